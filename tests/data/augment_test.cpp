// Random crop with padding and horizontal flip of (C, H, W) images: the kernel checked by hand
// and against a padded-image reference, the draws, and the checks of bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include "data/data_test_util.hpp"
#include "xgrad/data/augment.hpp"
#include "xgrad/errors.hpp"

namespace {

using xg::data::Augmentation;
using xg::data::AugmentDraw;
using xg::data::RandomCrop;
using xg::data::RandomHorizontalFlip;

/// The 3 x 4 image 1..12, row by row.
std::vector<double> image_1_to_12() {
  std::vector<double> v(12);
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

std::vector<double> augment(const std::vector<double>& src, std::size_t c, std::size_t h,
                            std::size_t w, const Augmentation& a, AugmentDraw d) {
  const auto out_shape = xg::data::augmented_shape(a, {c, h, w});
  std::vector<double> out(out_shape[0] * out_shape[1] * out_shape[2], -99);
  xg::data::augment_image(src.data(), out.data(), c, h, w, a, d);
  return out;
}

// The padded image (padding 1) is
//   0  0  0  0  0  0
//   0  1  2  3  4  0
//   0  5  6  7  8  0
//   0  9 10 11 12  0
//   0  0  0  0  0  0
// and a 3 x 4 crop at (top, left) cuts rows top..top+2, columns left..left+3 out of it.
TEST(DataAugment, CropWithPaddingByHand) {
  const Augmentation a{.crop = RandomCrop{3, 4, 1}};
  const auto img = image_1_to_12();
  EXPECT_EQ(augment(img, 1, 3, 4, a, {0, 0, false}), (std::vector<double>{0, 0, 0, 0,  //
                                                                          0, 1, 2, 3,  //
                                                                          0, 5, 6, 7}));
  EXPECT_EQ(augment(img, 1, 3, 4, a, {1, 1, false}), img) << "the centre is the image itself";
  EXPECT_EQ(augment(img, 1, 3, 4, a, {2, 2, false}), (std::vector<double>{6, 7, 8, 0,     //
                                                                          10, 11, 12, 0,  //
                                                                          0, 0, 0, 0}));
  EXPECT_EQ(augment(img, 1, 3, 4, a, {0, 2, false}), (std::vector<double>{0, 0, 0, 0,  //
                                                                          2, 3, 4, 0,  //
                                                                          6, 7, 8, 0}));
  EXPECT_EQ(augment(img, 1, 3, 4, a, {2, 0, false}), (std::vector<double>{0, 5, 6, 7,    //
                                                                          0, 9, 10, 11,  //
                                                                          0, 0, 0, 0}));
}

TEST(DataAugment, FlipByHand) {
  const auto img = image_1_to_12();
  const Augmentation flip_only{.flip = RandomHorizontalFlip{}};
  EXPECT_EQ(augment(img, 1, 3, 4, flip_only, {0, 0, true}), (std::vector<double>{4, 3, 2, 1,  //
                                                                                 8, 7, 6, 5,  //
                                                                                 12, 11, 10, 9}));
  EXPECT_EQ(augment(img, 1, 3, 4, flip_only, {0, 0, false}), img);
  // Crop first, then the flip mirrors the cropped window (the padding column moves across).
  const Augmentation both{.crop = RandomCrop{3, 4, 1}, .flip = RandomHorizontalFlip{}};
  EXPECT_EQ(augment(img, 1, 3, 4, both, {0, 2, true}), (std::vector<double>{0, 0, 0, 0,  //
                                                                            0, 4, 3, 2,  //
                                                                            0, 8, 7, 6}));
}

TEST(DataAugment, FillSmallerCropsAndChannels) {
  // Two channels (the second is the first + 100), fill -1, a 2 x 3 crop with padding 2.
  std::vector<double> img = image_1_to_12();
  for (int i = 0; i < 12; ++i) img.push_back(img[i] + 100);
  const Augmentation a{.crop = RandomCrop{2, 3, 2, -1.0}};
  // Padded 7 x 8; at (1, 3): padded rows 1-2 (row 1 is padding, row 2 is image row 0),
  // columns 3-5 (image columns 1-3).
  EXPECT_EQ(augment(img, 2, 3, 4, a, {1, 3, false}),
            (std::vector<double>{-1, -1, -1, 2, 3, 4,  //
                                 -1, -1, -1, 102, 103, 104}));
  // A window entirely in the padding, on either side.
  EXPECT_EQ(augment(img, 2, 3, 4, a, {0, 0, false}), std::vector<double>(12, -1));
  EXPECT_EQ(augment(img, 2, 3, 4, a, {5, 5, true}), std::vector<double>(12, -1));
  // No padding, a crop smaller than the image: a plain window.
  const Augmentation inner{.crop = RandomCrop{2, 2, 0}};
  EXPECT_EQ(augment(image_1_to_12(), 1, 3, 4, inner, {1, 1, false}),
            (std::vector<double>{6, 7, 10, 11}));
  EXPECT_EQ(augment(image_1_to_12(), 1, 3, 4, inner, {1, 2, true}),
            (std::vector<double>{8, 7, 12, 11}));
  EXPECT_EQ(xg::data::augmented_shape(a, {2, 3, 4}), (xg::Shape{2, 2, 3}));
  EXPECT_EQ(xg::data::augmented_shape(Augmentation{.flip = RandomHorizontalFlip{}}, {2, 3, 4}),
            (xg::Shape{2, 3, 4}));
}

/// out[c][y][x] = padded[c][top + y][left + x'] through an explicitly padded copy.
std::vector<float> reference(const std::vector<float>& src, std::size_t c, std::size_t h,
                             std::size_t w, const RandomCrop& crop, const AugmentDraw& d) {
  const std::size_t p = crop.padding, ph = h + 2 * p, pw = w + 2 * p;
  std::vector<float> padded(c * ph * pw, static_cast<float>(crop.fill));
  for (std::size_t k = 0; k < c; ++k)
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t x = 0; x < w; ++x)
        padded[(k * ph + y + p) * pw + x + p] = src[(k * h + y) * w + x];
  std::vector<float> out;
  for (std::size_t k = 0; k < c; ++k)
    for (std::size_t y = 0; y < crop.height; ++y)
      for (std::size_t x = 0; x < crop.width; ++x) {
        const std::size_t xs = d.flip ? crop.width - 1 - x : x;
        out.push_back(padded[(k * ph + d.top + y) * pw + d.left + xs]);
      }
  return out;
}

TEST(DataAugment, EveryOffsetMatchesAPaddedReference) {
  const std::size_t c = 3, h = 5, w = 7;
  std::vector<float> img(c * h * w);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<float>(i) * 0.5f + 1;
  for (const RandomCrop& crop :
       {RandomCrop{5, 7, 2, 0.25}, RandomCrop{3, 4, 0}, RandomCrop{8, 9, 3}, RandomCrop{1, 1, 1},
        RandomCrop{9, 11, 2, -2}}) {
    const Augmentation a{.crop = crop, .flip = RandomHorizontalFlip{}};
    const auto shape = xg::data::augmented_shape(a, {c, h, w});
    for (std::size_t top = 0; top + crop.height <= h + 2 * crop.padding; ++top) {
      for (std::size_t left = 0; left + crop.width <= w + 2 * crop.padding; ++left) {
        for (bool flip : {false, true}) {
          const AugmentDraw d{top, left, flip};
          std::vector<float> out(shape[0] * shape[1] * shape[2]);
          xg::data::augment_image(img.data(), out.data(), c, h, w, a, d);
          ASSERT_EQ(out, reference(img, c, h, w, crop, d))
              << "crop " << crop.height << "x" << crop.width << " padding " << crop.padding
              << " at (" << top << ", " << left << ") flip " << flip;
        }
      }
    }
  }
}

TEST(DataAugment, DrawsCoverEveryOffsetAndFlipWithP) {
  const Augmentation a{.crop = RandomCrop{28, 28, 2}, .flip = RandomHorizontalFlip{}, .seed = 5};
  std::map<std::pair<std::size_t, std::size_t>, int> offsets;
  int flips = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const AugmentDraw d = xg::data::draw_augmentation(a, 28, 28, i / 1000, i % 1000);
    ASSERT_LE(d.top, 4u);
    ASSERT_LE(d.left, 4u);
    ++offsets[{d.top, d.left}];
    flips += d.flip;
  }
  ASSERT_EQ(offsets.size(), 25u) << "every one of the 5 x 5 offsets";
  for (const auto& [offset, count] : offsets) EXPECT_NEAR(count, n / 25, 150);
  EXPECT_NEAR(flips, n / 2, 300);
  // p 0 never flips, p 1 always; the crop's draws do not depend on p.
  for (std::size_t i = 0; i < 200; ++i) {
    const Augmentation never{.crop = a.crop, .flip = RandomHorizontalFlip{0.0}, .seed = 5};
    const Augmentation always{.crop = a.crop, .flip = RandomHorizontalFlip{1.0}, .seed = 5};
    const auto d0 = xg::data::draw_augmentation(never, 28, 28, 0, i);
    const auto d1 = xg::data::draw_augmentation(always, 28, 28, 0, i);
    const auto d = xg::data::draw_augmentation(a, 28, 28, 0, i);
    EXPECT_FALSE(d0.flip);
    EXPECT_TRUE(d1.flip);
    EXPECT_EQ(d0.top, d.top);
    EXPECT_EQ(d1.left, d.left);
  }
}

TEST(DataAugment, DrawsArePureFunctionsOfSeedEpochAndPosition) {
  const Augmentation a{.crop = RandomCrop{28, 28, 4}, .flip = RandomHorizontalFlip{}, .seed = 1};
  Augmentation other = a;
  other.seed = 2;
  auto key = [](const AugmentDraw& d) { return d.top * 1000 + d.left * 10 + d.flip; };
  int same_seed_diff = 0, seed_diff = 0, epoch_diff = 0, position_diff = 0;
  for (std::size_t i = 0; i < 500; ++i) {
    const auto d = xg::data::draw_augmentation(a, 28, 28, 3, i);
    same_seed_diff += key(d) != key(xg::data::draw_augmentation(a, 28, 28, 3, i));
    seed_diff += key(d) != key(xg::data::draw_augmentation(other, 28, 28, 3, i));
    epoch_diff += key(d) != key(xg::data::draw_augmentation(a, 28, 28, 4, i));
    position_diff += key(d) != key(xg::data::draw_augmentation(a, 28, 28, 3, i + 1));
  }
  EXPECT_EQ(same_seed_diff, 0);
  // 162 outcomes (9 x 9 offsets, 2 flips): nearly every draw differs.
  EXPECT_GT(seed_diff, 480);
  EXPECT_GT(epoch_diff, 480);
  EXPECT_GT(position_diff, 480);
}

TEST(DataAugment, CropAndFlip) {
  const auto a = xg::data::crop_and_flip({1, 28, 28}, 2, 9, -0.5);
  ASSERT_TRUE(a.crop.has_value());
  EXPECT_EQ(a.crop->height, 28u);
  EXPECT_EQ(a.crop->width, 28u);
  EXPECT_EQ(a.crop->padding, 2u);
  EXPECT_EQ(a.crop->fill, -0.5);
  ASSERT_TRUE(a.flip.has_value());
  EXPECT_EQ(a.flip->p, 0.5);
  EXPECT_EQ(a.seed, 9u);
  const auto flip_only = xg::data::crop_and_flip({3, 32, 16}, 0, 1);
  EXPECT_FALSE(flip_only.crop.has_value());
  EXPECT_TRUE(flip_only.flip.has_value());
  EXPECT_THROW_WITH(xg::data::crop_and_flip({784}, 2, 0), xg::ShapeError, "crop_and_flip",
                    "(C, H, W)", "(784)");
}

TEST(DataAugment, BadInputThrows) {
  using xg::data::check_augmentation;
  const xg::Shape image{1, 28, 28};
  EXPECT_THROW_WITH(check_augmentation({.crop = RandomCrop{31, 28, 1}}, image, "test"),
                    xg::ShapeError, "test", "RandomCrop of 31 x 28", "(1, 28, 28)", "padded by 1",
                    "30 x 30");
  EXPECT_THROW_WITH(check_augmentation({.crop = RandomCrop{28, 29}}, image, "test"), xg::ShapeError,
                    "28 x 29", "28 x 28");
  EXPECT_THROW_WITH(check_augmentation({.crop = RandomCrop{0, 28, 2}}, image, "test"),
                    xg::ShapeError, "0 x 28");
  EXPECT_NO_THROW(check_augmentation({.crop = RandomCrop{32, 32, 2}}, image, "test"));
  for (double p : {-0.1, 1.5, std::nan("")}) {
    EXPECT_THROW_WITH(check_augmentation({.flip = RandomHorizontalFlip{p}}, image, "test"),
                      xg::DomainError, "test", "RandomHorizontalFlip p", "[0, 1]");
  }
  EXPECT_NO_THROW(check_augmentation({.flip = RandomHorizontalFlip{0}}, image, "test"));
  EXPECT_NO_THROW(check_augmentation({.flip = RandomHorizontalFlip{1}}, image, "test"));
  EXPECT_THROW_WITH(check_augmentation({.crop = RandomCrop{28, 28, 2, INFINITY}}, image, "test"),
                    xg::DomainError, "fill", "finite");
  EXPECT_THROW_WITH(check_augmentation({.flip = RandomHorizontalFlip{}}, {784}, "test"),
                    xg::ShapeError, "test", "(C, H, W)", "sample_shape", "(784)");
  EXPECT_NO_THROW(check_augmentation({}, {784}, "test")) << "no augmentation, any samples";
}

}  // namespace
