// Fashion-MNIST from Debian's dataset-fashion-mnist package.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg::data {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// The 10 class names, by label.
const std::vector<std::string>& fashion_mnist_classes();

template <class T = float>
struct LabelledImages {
  Tensor<T> images;                 ///< (N, 784), pixels scaled to [0, 1]
  std::vector<std::size_t> labels;  ///< N labels in 0..9
  /// One image as (C, H, W): a loader's LoaderOptions::sample_shape for (N, 1, 28, 28) batches.
  Shape image_shape = {1, 28, 28};
};

template <class T = float>
struct FashionMnist {
  LabelledImages<T> train;  ///< 60,000 images
  LabelledImages<T> test;   ///< 10,000 images
};

/// Loads the four IDX files from `directory`. A missing or corrupt file throws xg::Error naming
/// the file and the fix ("apt-get install dataset-fashion-mnist"). `limit` > 0 keeps only the
/// first `limit` images of each split (for smoke tests).
///
/// The files are train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
/// t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (an uncompressed twin without ".gz"
/// is used when only that one exists). Checked: images of shape (N, 28, 28), N labels, labels
/// below 10. Pixels become k / 255.
template <class T = float>
FashionMnist<T> load_fashion_mnist(const std::string& directory = kFashionMnistDir,
                                   std::size_t limit = 0);

}  // namespace xg::data
