// Per-sample image augmentation for the training loader: PyTorch's transforms.RandomCrop (with
// padding) and transforms.RandomHorizontalFlip, on (C, H, W) samples in row-major order.
//
// The random numbers of a sample are a pure function of (seed, epoch, position in the epoch),
// drawn with SplitMix64 from a key hashed from the three: no generator advances as batches are
// gathered, so an epoch walked twice is augmented the same way twice and a loader resumed from
// get_state() (epoch and position) augments exactly as the uninterrupted run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "xgrad/tensor.hpp"

namespace xg::data {

/// transforms.RandomCrop((height, width), padding, fill): pads every side of the image with
/// `padding` pixels of value `fill`, then cuts a height x width window whose top-left corner is
/// uniform over the positions that fit (top drawn first, then left, as torchvision does).
struct RandomCrop {
  std::size_t height = 0, width = 0;
  std::size_t padding = 0;
  double fill = 0;
};

/// transforms.RandomHorizontalFlip(p): mirrors the image left-right with probability p.
struct RandomHorizontalFlip {
  double p = 0.5;
};

/// The augmentation of a training loader: the crop first, then the flip (either may be absent).
/// `seed` seeds the augmentation's random numbers only (the loader's shuffle has its own).
struct Augmentation {
  std::optional<RandomCrop> crop = std::nullopt;
  std::optional<RandomHorizontalFlip> flip = std::nullopt;
  std::uint64_t seed = 0;
  bool enabled() const { return crop.has_value() || flip.has_value(); }
};

/// The usual augmentation of small image sets (CIFAR, Fashion-MNIST): a random crop of the
/// image's own size after `padding` pixels of `fill` on each side, then a flip with p = 0.5;
/// torchvision's Compose([RandomCrop((H, W), padding, fill), RandomHorizontalFlip()]).
/// `image_shape` is the sample's (C, H, W) (ShapeError otherwise); padding 0 leaves out the crop.
Augmentation crop_and_flip(const Shape& image_shape, std::size_t padding, std::uint64_t seed,
                           double fill = 0);

/// What the augmentation does to one sample: the crop window's top-left corner in the padded
/// image, and whether the cropped image is mirrored.
struct AugmentDraw {
  std::size_t top = 0, left = 0;
  bool flip = false;
};

/// The draw of the sample at `position` (0-based, counted over the epoch) of epoch `epoch`, for
/// images of height x width (check_augmentation must have accepted them).
AugmentDraw draw_augmentation(const Augmentation& a, std::size_t height, std::size_t width,
                              std::uint64_t epoch, std::uint64_t position);

/// The (C, H', W') shape of an augmented (C, H, W) image: the crop's size, or (C, H, W) without
/// a crop. Throws as check_augmentation.
Shape augmented_shape(const Augmentation& a, const Shape& image_shape);

/// Checks that `a` fits images of `image_shape`: a (C, H, W) shape (ShapeError otherwise), a
/// crop of at least 1 x 1 that is no larger than the padded image (ShapeError), a finite fill and
/// a flip probability in [0, 1] (DomainError). `who` starts the messages.
void check_augmentation(const Augmentation& a, const Shape& image_shape, const std::string& who);

/// Writes the augmentation `d` of the (C, H, W) image at `src` into `dst`, of
/// augmented_shape(a, {C, H, W}): dst[c][y][x] = padded[c][top + y][left + x'] with x' = x, or
/// W' - 1 - x when flipped, where padded is src with `padding` fill pixels on each side. Plain
/// loops over the raw buffers; `dst` must not overlap `src`.
template <class T>
void augment_image(const T* src, T* dst, std::size_t channels, std::size_t height,
                   std::size_t width, const Augmentation& a, const AugmentDraw& d);

}  // namespace xg::data
