// Random crop and horizontal flip of (C, H, W) images (see augment.hpp).
#include "xgrad/data/augment.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::data {

namespace {

/// SplitMix64's output function: a bijective mix of all 64 bits.
std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ULL;

/// SplitMix64 (Steele, Lea and Flood): a counter stepped by the golden gamma, then mixed.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  std::uint64_t operator()() { return mix64(state_ += kGamma); }

 private:
  std::uint64_t state_;
};

/// Uniform integer in [0, n) (Lemire's multiply-shift, as the loader's shuffle).
std::size_t draw_below(SplitMix64& rng, std::size_t n) {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

Augmentation crop_and_flip(const Shape& image_shape, std::size_t padding, std::uint64_t seed,
                           double fill) {
  if (image_shape.size() != 3) {
    throw ShapeError("crop_and_flip: image_shape must be (C, H, W), got " + shape_str(image_shape));
  }
  Augmentation a{.flip = RandomHorizontalFlip{}, .seed = seed};
  if (padding > 0) a.crop = RandomCrop{image_shape[1], image_shape[2], padding, fill};
  check_augmentation(a, image_shape, "crop_and_flip");
  return a;
}

void check_augmentation(const Augmentation& a, const Shape& image_shape, const std::string& who) {
  if (!a.enabled()) return;
  if (image_shape.size() != 3) {
    throw ShapeError(who +
                     ": augmentation needs image samples of shape (C, H, W) (set sample_shape), "
                     "got samples of shape " +
                     shape_str(image_shape));
  }
  if (a.crop) {
    const RandomCrop& c = *a.crop;
    const std::size_t h = image_shape[1] + 2 * c.padding, w = image_shape[2] + 2 * c.padding;
    if (c.height == 0 || c.width == 0 || c.height > h || c.width > w) {
      throw ShapeError(who + ": RandomCrop of " + std::to_string(c.height) + " x " +
                       std::to_string(c.width) + " does not fit images of shape " +
                       shape_str(image_shape) + " padded by " + std::to_string(c.padding) + " to " +
                       std::to_string(h) + " x " + std::to_string(w) +
                       " (the crop must be at least 1 x 1 and at most the padded size)");
    }
    if (!std::isfinite(c.fill)) {
      throw DomainError(who + ": RandomCrop fill must be finite, got " + num(c.fill));
    }
  }
  if (a.flip && !(a.flip->p >= 0.0 && a.flip->p <= 1.0)) {
    throw DomainError(who + ": RandomHorizontalFlip p must be in [0, 1], got " + num(a.flip->p));
  }
}

Shape augmented_shape(const Augmentation& a, const Shape& image_shape) {
  check_augmentation(a, image_shape, "augmented_shape");
  if (!a.crop) return image_shape;
  return {image_shape[0], a.crop->height, a.crop->width};
}

AugmentDraw draw_augmentation(const Augmentation& a, std::size_t height, std::size_t width,
                              std::uint64_t epoch, std::uint64_t position) {
  // The key hashes the three numbers in turn, so neighbouring epochs and positions start far
  // apart in SplitMix64's sequence.
  SplitMix64 rng(mix64(mix64(mix64(a.seed) ^ (epoch * kGamma + 1)) ^ (position * kGamma + 2)));
  AugmentDraw d;
  if (a.crop) {
    d.top = draw_below(rng, height + 2 * a.crop->padding - a.crop->height + 1);
    d.left = draw_below(rng, width + 2 * a.crop->padding - a.crop->width + 1);
  }
  if (a.flip) {
    // torch.rand(1) < p: 53 random bits in [0, 1); p = 1 always flips, p = 0 never.
    d.flip = static_cast<double>(rng() >> 11) * 0x1.0p-53 < a.flip->p;
  }
  return d;
}

template <class T>
void augment_image(const T* src, T* dst, std::size_t channels, std::size_t height,
                   std::size_t width, const Augmentation& a, const AugmentDraw& d) {
  const std::size_t pad = a.crop ? a.crop->padding : 0;
  const std::size_t out_h = a.crop ? a.crop->height : height;
  const std::size_t out_w = a.crop ? a.crop->width : width;
  const T fill = a.crop ? static_cast<T>(a.crop->fill) : T(0);
  // Output column x reads padded column left + x, i.e. source column left + x - pad; it lies in
  // the image for x in [x_lo, x_hi). Likewise for rows. All in signed arithmetic.
  const auto shift_x = static_cast<std::ptrdiff_t>(d.left) - static_cast<std::ptrdiff_t>(pad);
  const auto shift_y = static_cast<std::ptrdiff_t>(d.top) - static_cast<std::ptrdiff_t>(pad);
  const auto ow = static_cast<std::ptrdiff_t>(out_w), w = static_cast<std::ptrdiff_t>(width);
  const std::ptrdiff_t x_lo = std::clamp<std::ptrdiff_t>(-shift_x, 0, ow);
  const std::ptrdiff_t x_hi = std::clamp<std::ptrdiff_t>(w - shift_x, x_lo, ow);
  for (std::size_t c = 0; c < channels; ++c) {
    const T* plane = src + c * height * width;
    for (std::size_t y = 0; y < out_h; ++y) {
      T* row = dst + (c * out_h + y) * out_w;
      const std::ptrdiff_t sy = static_cast<std::ptrdiff_t>(y) + shift_y;
      if (sy < 0 || sy >= static_cast<std::ptrdiff_t>(height)) {
        std::fill(row, row + out_w, fill);
        continue;
      }
      const T* in = plane + static_cast<std::size_t>(sy) * width;
      if (!d.flip) {
        std::fill(row, row + x_lo, fill);
        std::copy(in + (x_lo + shift_x), in + (x_hi + shift_x), row + x_lo);
        std::fill(row + x_hi, row + ow, fill);
      } else {
        // Mirrored: output column x holds cropped column out_w - 1 - x.
        std::fill(row, row + (ow - x_hi), fill);
        std::reverse_copy(in + (x_lo + shift_x), in + (x_hi + shift_x), row + (ow - x_hi));
        std::fill(row + (ow - x_lo), row + ow, fill);
      }
    }
  }
}

#define XG_INSTANTIATE(T)                                                             \
  template void augment_image<T>(const T*, T*, std::size_t, std::size_t, std::size_t, \
                                 const Augmentation&, const AugmentDraw&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::data
