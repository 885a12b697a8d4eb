// Fashion-MNIST loader (see fashion_mnist.hpp).
#include "xgrad/data/fashion_mnist.hpp"

#include <algorithm>
#include <array>
#include <filesystem>

#include "xgrad/data/idx.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::data {

namespace {

constexpr const char* kFix =
    "install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)";
constexpr std::size_t kSide = 28;
constexpr std::size_t kClasses = 10;

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw Error("load_fashion_mnist: " + file + " " + what + "; " + kFix);
}

/// 'text' (appended piecewise: GCC 12 warns falsely (-Wrestrict) about "'" + std::string&&).
std::string quoted(const std::string& text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

/// `directory/name`; when only the uncompressed twin (without ".gz") exists, that one.
std::string locate(const std::string& directory, const std::string& name) {
  const std::filesystem::path gz = std::filesystem::path(directory) / name;
  std::error_code ec;
  if (!std::filesystem::exists(gz, ec)) {
    const std::filesystem::path plain = std::filesystem::path(directory) / gz.stem();
    if (std::filesystem::is_regular_file(plain, ec)) return plain.string();
    std::string what = "is missing";
    if (!std::filesystem::is_directory(directory, ec)) {
      what += " (there is no directory '";
      what += directory;
      what += "')";
    }
    fail(quoted(gz.string()), what);
  }
  return gz.string();
}

/// read_idx with the fix appended to its message.
xt::xarray<std::uint8_t> read(const std::string& path) {
  try {
    return read_idx(path);
  } catch (const Error& e) {
    throw Error(std::string("load_fashion_mnist: ") + e.what() + "; " + kFix);
  }
}

template <class T>
LabelledImages<T> load_split(const std::string& directory, const std::string& prefix,
                             std::size_t limit) {
  const std::string image_path = locate(directory, prefix + "-images-idx3-ubyte.gz");
  const std::string label_path = locate(directory, prefix + "-labels-idx1-ubyte.gz");
  const auto images = read(image_path);
  const auto labels = read(label_path);
  const std::string image_file = quoted(image_path);
  const std::string label_file = quoted(label_path);
  if (images.dimension() != 3 || images.shape()[1] != kSide || images.shape()[2] != kSide) {
    fail(image_file, "holds shape " + shape_str(images.shape()) + " instead of (N, 28, 28) images");
  }
  if (labels.dimension() != 1) {
    fail(label_file, "holds shape " + shape_str(labels.shape()) + " instead of (N) labels");
  }
  const std::size_t count = images.shape()[0];
  if (labels.shape()[0] != count) {
    fail(label_file, "holds " + std::to_string(labels.shape()[0]) + " labels but " + image_file +
                         " holds " + std::to_string(count) + " images");
  }
  const std::size_t n = limit > 0 ? std::min(limit, count) : count;

  LabelledImages<T> out;
  out.labels.resize(n);
  const std::uint8_t* lab = labels.data();
  for (std::size_t i = 0; i < n; ++i) {
    if (lab[i] >= kClasses) {
      fail(label_file, "holds label " + std::to_string(lab[i]) + " at index " + std::to_string(i) +
                           " (labels are 0 to 9)");
    }
    out.labels[i] = lab[i];
  }

  // One table lookup per pixel over raw buffers: no per-element xtensor indexing.
  std::array<T, 256> scale;
  for (std::size_t v = 0; v < 256; ++v) scale[v] = static_cast<T>(v) / static_cast<T>(255);
  constexpr std::size_t pixels = kSide * kSide;
  auto value = xt::xarray<T>::from_shape({n, pixels});
  const std::uint8_t* src = images.data();
  T* dst = value.data();
  for (std::size_t i = 0, total = n * pixels; i < total; ++i) dst[i] = scale[src[i]];
  out.images = Tensor<T>(std::move(value));
  out.image_shape = {1, kSide, kSide};
  return out;
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

template <class T>
FashionMnist<T> load_fashion_mnist(const std::string& directory, std::size_t limit) {
  FashionMnist<T> data;
  data.train = load_split<T>(directory, "train", limit);
  data.test = load_split<T>(directory, "t10k", limit);
  return data;
}

#define XG_INSTANTIATE(T) \
  template FashionMnist<T> load_fashion_mnist<T>(const std::string&, std::size_t);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::data
