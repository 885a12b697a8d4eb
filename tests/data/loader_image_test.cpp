// DataLoader for image models: (N, C, H, W) batches, seeded per-sample augmentation in the
// training loader only, and get_state / set_state for bit-identical resume mid-epoch.
#include <gtest/gtest.h>

#include <vector>

#include "data/data_test_util.hpp"
#include "xgrad/data/augment.hpp"
#include "xgrad/data/fashion_mnist.hpp"
#include "xgrad/data/loader.hpp"
#include "xgrad/errors.hpp"

namespace {

using xg::Tensor;
using xg::data::Augmentation;
using xg::data::DataLoader;
using xg::data::LoaderOptions;
using xg::data::RandomCrop;
using xg::data::RandomHorizontalFlip;

/// n flat images of 1 x h x w: pixel p of image i is i + p / 1000 (so every pixel names its
/// image and place); labels i % 10.
template <class T = float>
Tensor<T> images(std::size_t n, std::size_t h = 28, std::size_t w = 28) {
  std::vector<T> v(n * h * w);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t p = 0; p < h * w; ++p) {
      v[i * h * w + p] = static_cast<T>(double(i) + double(p) / 1000.0);
    }
  }
  return Tensor<T>::from({n, h * w}, v);
}

std::vector<std::size_t> labels(std::size_t n) {
  std::vector<std::size_t> l(n);
  for (std::size_t i = 0; i < n; ++i) l[i] = i % 10;
  return l;
}

/// The batches of one walk over `batches`, as copies.
template <class Range>
std::vector<xg::data::Batch<float>> collect(const Range& batches) {
  std::vector<xg::data::Batch<float>> out;
  for (const auto& b : batches) out.push_back(b);
  return out;
}

void expect_same(const std::vector<xg::data::Batch<float>>& a,
                 const std::vector<xg::data::Batch<float>>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].labels, b[i].labels) << what << ", batch " << i;
    ASSERT_EQ(a[i].inputs.shape(), b[i].inputs.shape()) << what << ", batch " << i;
    EXPECT_EQ(a[i].inputs.value(), b[i].inputs.value()) << what << ", batch " << i;  // bit for bit
  }
}

const LoaderOptions kTrain{.batch_size = 8,
                           .shuffle = true,
                           .seed = 3,
                           .sample_shape = {1, 28, 28},
                           .augment = xg::data::crop_and_flip({1, 28, 28}, 2, 11)};

TEST(DataLoaderImages, NchwBatchesAreTheRowsInImageShape) {
  const auto x = images(21);
  const auto data_shape = xg::data::LabelledImages<>{}.image_shape;
  EXPECT_EQ(data_shape, (xg::Shape{1, 28, 28}));
  DataLoader loader(x, labels(21), {.batch_size = 8, .shuffle = true, .sample_shape = data_shape});
  EXPECT_EQ(loader.batch_sample_shape(), (xg::Shape{1, 28, 28}));
  std::vector<std::size_t> sizes;
  for (const auto& b : loader) {
    ASSERT_EQ(b.inputs.shape(), (xg::Shape{b.size(), 1, 28, 28}));
    sizes.push_back(b.size());
    for (std::size_t r = 0; r < b.size(); ++r) {
      const auto id = static_cast<std::size_t>(b.inputs.value()(r, 0, 0, 0));  // pixel 0 is i
      EXPECT_EQ(b.labels[r], id % 10);
      for (std::size_t y : {0, 13, 27}) {
        for (std::size_t xx : {0, 5, 27}) {
          EXPECT_EQ(b.inputs.value()(r, 0, y, xx), x.value()(id, y * 28 + xx));
        }
      }
    }
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{8, 8, 5}));
  // Without sample_shape the rows keep their (784) shape: the MLP's loader is unchanged.
  DataLoader flat(x, labels(21), {.batch_size = 8});
  EXPECT_EQ((*flat.begin()).inputs.shape(), (xg::Shape{8, 784}));
  // Any (C, H, W) that holds the row: 3 channels of 4 x 5.
  DataLoader rgb(images(6, 6, 10), labels(6), {.batch_size = 4, .sample_shape = {3, 4, 5}});
  EXPECT_EQ((*rgb.begin()).inputs.shape(), (xg::Shape{4, 3, 4, 5}));
}

TEST(DataLoaderImages, SampleShapeThatDoesNotFactorThrows) {
  const auto x = images(4);
  EXPECT_THROW_WITH(DataLoader(x, labels(4), {.sample_shape = {1, 28, 27}}), xg::ShapeError,
                    "DataLoader", "sample_shape (1, 28, 27)", "756", "(4, 784)", "784");
  EXPECT_THROW_WITH(DataLoader(x, labels(4), {.sample_shape = {3, 28, 28}}), xg::ShapeError,
                    "(3, 28, 28)", "2352");
  // Augmentation on flat samples, a crop larger than the padded image, a bad p.
  EXPECT_THROW_WITH(DataLoader(x, labels(4), {.augment = {.flip = RandomHorizontalFlip{}}}),
                    xg::ShapeError, "DataLoader", "(C, H, W)", "(784)");
  EXPECT_THROW_WITH(
      DataLoader(x, labels(4),
                 {.sample_shape = {1, 28, 28}, .augment = {.crop = RandomCrop{33, 33, 2}}}),
      xg::ShapeError, "DataLoader", "RandomCrop of 33 x 33", "32 x 32");
  EXPECT_THROW_WITH(
      DataLoader(x, labels(4),
                 {.sample_shape = {1, 28, 28}, .augment = {.flip = RandomHorizontalFlip{1.01}}}),
      xg::DomainError, "DataLoader", "p must be in [0, 1]");
}

TEST(DataLoaderImages, AugmentedSamplesAreTheDrawsOfTheirPosition) {
  const auto x = images(30);
  DataLoader plain(x, labels(30), {.batch_size = 8, .shuffle = true, .seed = 3});
  DataLoader loader(x, labels(30), kTrain);
  const auto& a = kTrain.augment;
  for (std::size_t epoch = 0; epoch < 2; ++epoch) {
    const auto batches = loader.epoch();
    EXPECT_EQ(batches.number(), epoch);
    const auto reference = collect(plain.epoch());
    std::size_t position = 0, flipped = 0, shifted = 0;
    std::size_t i = 0;
    for (const auto& b : batches) {
      // The shuffle is the plain loader's: augmentation draws from its own numbers.
      ASSERT_EQ(b.labels, reference[i].labels);
      ASSERT_EQ(b.inputs.shape(), (xg::Shape{b.size(), 1, 28, 28}));
      for (std::size_t r = 0; r < b.size(); ++r, ++position) {
        const auto d = xg::data::draw_augmentation(a, 28, 28, epoch, position);
        std::vector<float> expected(784);
        xg::data::augment_image(reference[i].inputs.value().data() + r * 784, expected.data(), 1,
                                28, 28, a, d);
        const float* got = b.inputs.value().data() + r * 784;
        ASSERT_EQ(std::vector<float>(got, got + 784), expected) << "sample " << position;
        flipped += d.flip;
        shifted += d.top != 2 || d.left != 2;
      }
      ++i;
    }
    EXPECT_EQ(position, 30u);
    EXPECT_GT(flipped, 5u);
    EXPECT_GT(shifted, 20u);
  }
}

TEST(DataLoaderImages, ACropByHandThroughTheLoader) {
  // One 1 x 2 x 2 image [[1, 2], [3, 4]], a 2 x 2 crop after padding 1: each sample is one of the
  // 9 windows of the padded 4 x 4 image, possibly mirrored; zeros fill the rest.
  const auto x = Tensor<float>::from({1, 4}, {1, 2, 3, 4});
  DataLoader loader(x, std::vector<std::size_t>{0},
                    {.batch_size = 1,
                     .sample_shape = {1, 2, 2},
                     .augment = {.crop = RandomCrop{2, 2, 1}, .seed = 4}});
  const float padded[4][4] = {{0, 0, 0, 0}, {0, 1, 2, 0}, {0, 3, 4, 0}, {0, 0, 0, 0}};
  for (std::size_t epoch = 0; epoch < 40; ++epoch) {
    const auto b = *loader.begin();
    const auto d = xg::data::draw_augmentation(loader.options().augment, 2, 2, epoch, 0);
    ASSERT_LE(d.top, 2u);
    ASSERT_LE(d.left, 2u);
    const auto& v = b.inputs.value();
    for (std::size_t y = 0; y < 2; ++y) {
      for (std::size_t xx = 0; xx < 2; ++xx) {
        EXPECT_EQ(v(0, 0, y, xx), padded[d.top + y][d.left + xx]) << "epoch " << epoch;
      }
    }
  }
}

TEST(DataLoaderImages, SameSeedSameBatchesOtherSeedOthers) {
  const auto x = images(40);
  DataLoader a(x, labels(40), kTrain), b(x, labels(40), kTrain);
  LoaderOptions other_aug = kTrain;
  other_aug.augment.seed = 12;
  DataLoader c(x, labels(40), other_aug);
  for (int epoch = 0; epoch < 3; ++epoch) {
    const auto ea = collect(a.epoch());
    expect_same(ea, collect(b.epoch()), "same seeds");
    const auto ec = collect(c.epoch());
    ASSERT_EQ(ea.size(), ec.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < ea.size(); ++i) {
      EXPECT_EQ(ea[i].labels, ec[i].labels) << "the augmentation seed leaves the order alone";
      differ += ea[i].inputs.value() != ec[i].inputs.value();
    }
    EXPECT_EQ(differ, ea.size()) << "another augmentation seed, other images";
  }
  // An epoch walked twice is augmented the same way twice; the next epoch differently.
  const auto epoch = a.epoch();
  const auto first = collect(epoch);
  expect_same(first, collect(epoch), "the same epoch walked again");
  const auto next = collect(a.epoch());
  EXPECT_NE(first[0].inputs.value(), next[0].inputs.value());
}

TEST(DataLoaderImages, EvaluationLoaderIsUntouched) {
  const auto x = images(20);
  const auto before = x.value();
  DataLoader train(x, labels(20), kTrain);
  DataLoader eval(x, labels(20), {.batch_size = 6, .shuffle = false, .sample_shape = {1, 28, 28}});
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (const auto& b : train) EXPECT_EQ(b.inputs.shape()[1], 1u);
    std::size_t row = 0;
    for (const auto& b : eval) {
      for (std::size_t r = 0; r < b.size(); ++r, ++row) {
        const float* got = b.inputs.value().data() + r * 784;
        const float* want = x.value().data() + row * 784;
        ASSERT_EQ(std::vector<float>(got, got + 784), std::vector<float>(want, want + 784))
            << "row " << row;
        EXPECT_EQ(b.labels[r], row % 10);
      }
    }
    EXPECT_EQ(row, 20u);
  }
  EXPECT_EQ(x.value(), before) << "augmenting batches leaves the data set alone";
}

// ---------------------------------------------------------------------------------------------
// get_state / set_state

/// A loader whose batch count does not divide the data (the last batch is short).
DataLoader<float> training_loader() {
  return DataLoader(images(37), labels(37), kTrain);
}

TEST(DataLoaderState, ResumeMidEpochGivesBitIdenticalRemainingBatches) {
  for (std::size_t stop : {0u, 2u, 3u}) {  // the batch after which training stops (of 5)
    auto straight = training_loader();
    std::vector<std::vector<xg::data::Batch<float>>> epochs;
    for (int e = 0; e < 4; ++e) epochs.push_back(collect(straight.epoch()));

    std::string state;
    {
      auto first = training_loader();
      expect_same(collect(first.epoch()), epochs[0], "epoch 0 before the interruption");
      std::size_t index = 0;
      for (const auto& b : first) {  // epoch 1, interrupted after batch `stop`
        expect_same({b}, {epochs[1][index]}, "epoch 1 before the interruption");
        if (index++ == stop) {
          state = first.get_state();
          break;
        }
      }
    }
    auto resumed = training_loader();
    resumed.set_state(state);
    EXPECT_EQ(resumed.get_state(), state) << "a restored state reads back unchanged";
    const auto rest = resumed.epoch();
    EXPECT_EQ(rest.number(), 1u);
    EXPECT_EQ(rest.start(), stop + 1);
    EXPECT_EQ(rest.size(), 5 - stop - 1);
    EXPECT_EQ(rest.begin().index(), stop + 1);
    expect_same(
        collect(rest),
        std::vector<xg::data::Batch<float>>(epochs[1].begin() + long(stop) + 1, epochs[1].end()),
        "the rest of epoch 1");
    expect_same(collect(resumed.epoch()), epochs[2], "epoch 2 after the resume");
    expect_same(collect(resumed.epoch()), epochs[3], "epoch 3 after the resume");
  }
}

TEST(DataLoaderState, ResumeAtEpochBoundariesAndBeforeTheStart) {
  auto straight = training_loader();
  const auto e0 = collect(straight.epoch());
  const auto e1 = collect(straight.epoch());

  auto fresh = training_loader();
  const std::string at_start = fresh.get_state();
  auto a = training_loader();
  a.set_state(at_start);
  expect_same(collect(a.epoch()), e0, "resumed before the first epoch");

  // A finished epoch: the state is the next one's start.
  auto b = training_loader();
  (void)collect(b.epoch());
  const std::string after_epoch = b.get_state();
  EXPECT_NE(after_epoch.find("epoch 1 position 0"), std::string::npos) << after_epoch;
  auto c = training_loader();
  c.set_state(after_epoch);
  expect_same(collect(c.epoch()), e1, "resumed after a whole epoch");

  // An epoch drawn but not walked yet starts over, with the same order.
  auto d = training_loader();
  (void)d.epoch();
  (void)d.epoch();
  const std::string drawn = d.get_state();
  EXPECT_NE(drawn.find("epoch 1 position 0"), std::string::npos) << drawn;
  auto e = training_loader();
  e.set_state(drawn);
  expect_same(collect(e.epoch()), e1, "resumed in an epoch drawn but not walked");
}

TEST(DataLoaderState, OnlyTheLatestEpochCountsAndPlainLoadersResumeToo) {
  auto loader = training_loader();
  const auto old = loader.epoch();
  auto it = loader.begin();  // the latest epoch: 1
  ++it;
  for (const auto& b : old) (void)b;  // walking an older epoch is not progress
  EXPECT_NE(loader.get_state().find("epoch 1 position 2"), std::string::npos);

  // Without augmentation, NCHW or not: the same mechanism.
  DataLoader plain(images(23, 4, 4), labels(23), {.batch_size = 5, .seed = 8});
  DataLoader twin(images(23, 4, 4), labels(23), {.batch_size = 5, .seed = 8});
  (void)collect(twin.epoch());
  const auto reference = collect(twin.epoch());
  (void)collect(plain.epoch());
  auto p = plain.begin();
  const std::string state = plain.get_state();  // batch 0 of epoch 1 handed out
  DataLoader resumed(images(23, 4, 4), labels(23), {.batch_size = 5, .seed = 8});
  resumed.set_state(state);
  expect_same(collect(resumed.epoch()), {reference.begin() + 1, reference.end()}, "plain");
}

TEST(DataLoaderState, BadStatesThrowAndChangeNothing) {
  auto loader = training_loader();
  (void)*loader.begin();
  const std::string good = loader.get_state();
  auto target = training_loader();
  (void)collect(target.epoch());
  const std::string before = target.get_state();

  EXPECT_THROW_WITH(target.set_state("garbage"), xg::Error, "DataLoader::set_state",
                    "not a loader state");
  EXPECT_THROW_WITH(target.set_state(good.substr(0, good.size() / 2)), xg::Error,
                    "DataLoader::set_state", "generator state");
  EXPECT_THROW_WITH(target.set_state(good + " 7"), xg::Error, "generator state");
  std::string bad_position = good;
  bad_position.replace(bad_position.find("position 1"), 10, "position 5");
  EXPECT_THROW_WITH(target.set_state(bad_position), xg::Error, "position 5", "5 batches");
  std::string bad_line = good;
  bad_line.replace(bad_line.find("position"), 8, "place");
  EXPECT_THROW_WITH(target.set_state(bad_line), xg::Error, "epoch E position P");

  // A loader with other options or other data refuses it, naming both.
  LoaderOptions other = kTrain;
  other.batch_size = 9;
  DataLoader wider(images(37), labels(37), other);
  EXPECT_THROW_WITH(wider.set_state(good), xg::Error, "saved by a loader with", "batch_size 8",
                    "batch_size 9");
  DataLoader shorter(images(36), labels(36), kTrain);
  EXPECT_THROW_WITH(shorter.set_state(good), xg::Error, "samples 37", "samples 36");
  LoaderOptions other_aug = kTrain;
  other_aug.augment.seed = 1;
  DataLoader reseeded(images(37), labels(37), other_aug);
  EXPECT_THROW_WITH(reseeded.set_state(good), xg::Error, "augment_seed 11", "augment_seed 1");

  EXPECT_EQ(target.get_state(), before) << "failed set_state calls change nothing";
  target.set_state(good);
  EXPECT_EQ(target.get_state(), good);
}

}  // namespace
