// load_fashion_mnist on small synthetic files (always) and on the real data set (when Debian's
// dataset-fashion-mnist is installed).
#include <gtest/gtest.h>

#include <cmath>

#include "data/data_test_util.hpp"
#include "xgrad/data/fashion_mnist.hpp"
#include "xgrad/data/idx.hpp"
#include "xgrad/errors.hpp"

namespace {

using xg::test::idx_bytes;
using xg::test::TempDir;
using xg::test::write_bytes;

const char* const kFix = "apt-get install dataset-fashion-mnist";

/// Image i of a synthetic split: pixel p has value (i * 31 + p) % 256.
std::vector<std::uint8_t> synthetic_images(std::size_t n, std::size_t side = 28) {
  std::vector<std::uint8_t> v(n * side * side);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t p = 0; p < side * side; ++p) {
      v[i * side * side + p] = static_cast<std::uint8_t>((i * 31 + p) % 256);
    }
  }
  return v;
}

/// A directory with 5 training and 3 test images (gzip), labels 0,1,2,...
void write_synthetic(const TempDir& dir, std::size_t n_train = 5, std::size_t n_test = 3) {
  for (auto [prefix, n] :
       {std::pair<const char*, std::size_t>{"train", n_train}, {"t10k", n_test}}) {
    std::vector<std::uint8_t> labels(n);
    for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::uint8_t>((i * 3) % 10);
    const auto d = static_cast<std::uint32_t>(n);
    write_bytes(dir.file(std::string(prefix) + "-images-idx3-ubyte.gz"),
                idx_bytes({d, 28, 28}, synthetic_images(n)), true);
    write_bytes(dir.file(std::string(prefix) + "-labels-idx1-ubyte.gz"), idx_bytes({d}, labels),
                true);
  }
}

template <class T>
class DataFashionMnistSynthetic : public ::testing::Test {};
TYPED_TEST_SUITE(DataFashionMnistSynthetic, xg::test::FloatTypes);

TYPED_TEST(DataFashionMnistSynthetic, ShapesScalingAndLabels) {
  using T = TypeParam;
  TempDir dir;
  write_synthetic(dir);
  const auto data = xg::data::load_fashion_mnist<T>(dir.path().string());
  ASSERT_EQ(data.train.images.shape(), (xg::Shape{5, 784}));
  ASSERT_EQ(data.test.images.shape(), (xg::Shape{3, 784}));
  EXPECT_EQ(data.train.image_shape, (xg::Shape{1, 28, 28})) << "NCHW: one channel of 28 x 28";
  EXPECT_EQ(data.test.image_shape, (xg::Shape{1, 28, 28}));
  EXPECT_EQ(data.train.labels, (std::vector<std::size_t>{0, 3, 6, 9, 2}));
  EXPECT_EQ(data.test.labels, (std::vector<std::size_t>{0, 3, 6}));
  const auto& v = data.train.images.value();
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t p : {std::size_t(0), std::size_t(1), std::size_t(255), std::size_t(783)}) {
      const double raw = static_cast<double>((i * 31 + p) % 256);
      EXPECT_NEAR(v(i, p), raw / 255.0, 1e-7) << "image " << i << " pixel " << p;
    }
  }
  // 255 maps to exactly 1 and 0 to exactly 0.
  EXPECT_EQ(v(0, 0), T(0));
  EXPECT_EQ(v(0, 255), T(1));
  EXPECT_FALSE(data.train.images.requires_grad());
}

TYPED_TEST(DataFashionMnistSynthetic, LimitKeepsTheFirstRows) {
  using T = TypeParam;
  TempDir dir;
  write_synthetic(dir);
  const auto data = xg::data::load_fashion_mnist<T>(dir.path().string(), 2);
  ASSERT_EQ(data.train.images.shape(), (xg::Shape{2, 784}));
  ASSERT_EQ(data.test.images.shape(), (xg::Shape{2, 784}));
  EXPECT_EQ(data.train.labels, (std::vector<std::size_t>{0, 3}));
  EXPECT_NEAR(data.train.images.value()(1, 0), 31.0 / 255.0, 1e-7);
  // A limit above the size keeps everything.
  const auto all = xg::data::load_fashion_mnist<T>(dir.path().string(), 1000);
  EXPECT_EQ(all.train.labels.size(), 5u);
  EXPECT_EQ(all.test.labels.size(), 3u);
}

TEST(DataFashionMnist, ClassNames) {
  const auto& names = xg::data::fashion_mnist_classes();
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "T-shirt/top");
  EXPECT_EQ(names[1], "Trouser");
  EXPECT_EQ(names[5], "Sandal");
  EXPECT_EQ(names[8], "Bag");
  EXPECT_EQ(names[9], "Ankle boot");
}

TEST(DataFashionMnist, MissingFileNamesTheFileAndThePackage) {
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    TempDir dir;
    write_synthetic(dir);
    std::filesystem::remove(dir.file(name));
    EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(dir.path().string()), xg::Error,
                      dir.file(name), "missing", kFix, "dataset-fashion-mnist");
  }
}

TEST(DataFashionMnist, MissingDirectoryNamesTheFirstFile) {
  TempDir dir;
  const std::string absent = dir.file("no-such-dir");
  EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(absent), xg::Error,
                    absent + "/train-images-idx3-ubyte.gz", "no directory", kFix);
}

TEST(DataFashionMnist, UncompressedFilesAreAcceptedToo) {
  TempDir dir;
  write_synthetic(dir);
  const std::string gz = dir.file("t10k-images-idx3-ubyte.gz");
  write_bytes(dir.file("t10k-images-idx3-ubyte"), idx_bytes({3, 28, 28}, synthetic_images(3)),
              false);
  std::filesystem::remove(gz);
  const auto data = xg::data::load_fashion_mnist<double>(dir.path().string());
  EXPECT_EQ(data.test.images.shape(), (xg::Shape{3, 784}));
  EXPECT_NEAR(data.test.images.value()(2, 10), 72.0 / 255.0, 1e-12);
}

TEST(DataFashionMnist, CorruptFileNamesTheFileAndThePackage) {
  TempDir dir;
  write_synthetic(dir);
  const std::string path = dir.file("train-labels-idx1-ubyte.gz");
  write_bytes(path, {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 5}, true);
  EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(dir.path().string()), xg::Error, path,
                    "bad magic", kFix);
  write_bytes(path, idx_bytes({5}, {1, 2, 3}), true);
  EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(dir.path().string()), xg::Error, path,
                    "truncated", kFix);
}

TEST(DataFashionMnist, CountMismatchIsAnError) {
  TempDir dir;
  write_synthetic(dir);
  const std::string labels = dir.file("t10k-labels-idx1-ubyte.gz");
  write_bytes(labels, idx_bytes({4}, {1, 2, 3, 4}), true);
  EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(dir.path().string()), xg::Error, labels,
                    "4 labels", "3 images", kFix);
}

TEST(DataFashionMnist, WrongImageShapeIsAnError) {
  TempDir dir;
  write_synthetic(dir);
  const std::string images = dir.file("train-images-idx3-ubyte.gz");
  write_bytes(images, idx_bytes({5, 27, 28}, std::vector<std::uint8_t>(5 * 27 * 28, 1)), true);
  EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(dir.path().string()), xg::Error, images,
                    "(5, 27, 28)", "(N, 28, 28)", kFix);
  write_bytes(images, idx_bytes({5, 784}, synthetic_images(5)), true);
  EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(dir.path().string()), xg::Error, images,
                    "(5, 784)", kFix);
  // Labels stored as a 2-D array.
  write_synthetic(dir);
  const std::string labels = dir.file("train-labels-idx1-ubyte.gz");
  write_bytes(labels, idx_bytes({5, 1}, {0, 1, 2, 3, 4}), true);
  EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(dir.path().string()), xg::Error, labels,
                    "(5, 1)", kFix);
}

TEST(DataFashionMnist, LabelOutOfRangeIsAnError) {
  TempDir dir;
  write_synthetic(dir);
  const std::string labels = dir.file("train-labels-idx1-ubyte.gz");
  write_bytes(labels, idx_bytes({5}, {0, 1, 10, 3, 4}), true);
  EXPECT_THROW_WITH(xg::data::load_fashion_mnist<float>(dir.path().string()), xg::Error, labels,
                    "label 10 at index 2", kFix);
}

// ---------------------------------------------------------------------------------------------
// The real data set

bool real_data_present() {
  return std::filesystem::is_directory(xg::data::kFashionMnistDir);
}

TEST(DataFashionMnistReal, FullDataSet) {
  if (!real_data_present()) {
    GTEST_SKIP() << xg::data::kFashionMnistDir << " is missing (apt-get install "
                 << "dataset-fashion-mnist)";
  }
  // Loading speed is a benchmark's business (shared machines, sanitizer builds), not a test's.
  const auto data = xg::data::load_fashion_mnist<float>();

  ASSERT_EQ(data.train.images.shape(), (xg::Shape{60000, 784}));
  ASSERT_EQ(data.test.images.shape(), (xg::Shape{10000, 784}));
  ASSERT_EQ(data.train.labels.size(), 60000u);
  ASSERT_EQ(data.test.labels.size(), 10000u);

  // Every value is k / 255 for an integer k in 0..255; the integer sums match the raw files
  // (computed independently with Python's gzip module).
  for (const auto* split : {&data.train, &data.test}) {
    const auto& v = split->images.value();
    std::uint64_t sum = 0;
    float lo = 1, hi = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const float x = v.data()[i];
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      const float k = std::round(x * 255.0f);
      ASSERT_NEAR(x * 255.0f, k, 1e-3f);
      sum += static_cast<std::uint64_t>(k);
    }
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
    EXPECT_EQ(sum, split == &data.train ? 3431114169ull : 573469082ull);
  }

  // Balanced classes: 6000 per class in train, 1000 in test.
  std::vector<std::size_t> train_hist(10, 0), test_hist(10, 0);
  for (auto l : data.train.labels) ++train_hist.at(l);
  for (auto l : data.test.labels) ++test_hist.at(l);
  EXPECT_EQ(train_hist, std::vector<std::size_t>(10, 6000));
  EXPECT_EQ(test_hist, std::vector<std::size_t>(10, 1000));

  // Known samples: the first training image is an ankle boot whose pixels sum to 76247 / 255,
  // with 217 at row 14, column 14; the last one is a sandal (5).
  EXPECT_EQ(data.train.labels[0], 9u);
  EXPECT_EQ(xg::data::fashion_mnist_classes()[data.train.labels[0]], "Ankle boot");
  EXPECT_EQ(data.test.labels[0], 9u);
  EXPECT_EQ(data.test.labels[1], 2u);
  const auto& train = data.train.images.value();
  double first_sum = 0;
  for (std::size_t p = 0; p < 784; ++p) first_sum += train(0, p);
  EXPECT_NEAR(first_sum * 255.0, 76247.0, 0.05);
  EXPECT_EQ(train(0, 14 * 28 + 14), 217.0f / 255.0f);
  EXPECT_EQ(train(0, 96), 1.0f / 255.0f);
  EXPECT_EQ(train(0, 95), 0.0f);
  EXPECT_EQ(train(59999, 400), 129.0f / 255.0f);
  EXPECT_EQ(data.train.labels[59999], 5u);

  // The loader agrees with the raw IDX reader on the first test image.
  const auto raw =
      xg::data::read_idx(std::string(xg::data::kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz");
  ASSERT_EQ(raw.dimension(), 3u);
  for (std::size_t p = 0; p < 784; ++p) {
    ASSERT_EQ(data.test.images.value()(0, p), static_cast<float>(raw(0, p / 28, p % 28)) / 255.0f);
  }
}

TEST(DataFashionMnistReal, LimitAndDouble) {
  if (!real_data_present()) GTEST_SKIP() << xg::data::kFashionMnistDir << " is missing";
  const auto data = xg::data::load_fashion_mnist<double>(xg::data::kFashionMnistDir, 100);
  ASSERT_EQ(data.train.images.shape(), (xg::Shape{100, 784}));
  ASSERT_EQ(data.test.images.shape(), (xg::Shape{100, 784}));
  EXPECT_EQ(data.train.labels[0], 9u);
  EXPECT_EQ(data.train.images.value()(0, 14 * 28 + 14), 217.0 / 255.0);
}

}  // namespace
