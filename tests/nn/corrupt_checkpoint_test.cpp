// Corrupt, truncated and wrong-type checkpoint files are rejected with an error naming the file
// and the fault, and a failed load changes nothing in the model or optimizer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nn/nn_test_util.hpp"
#include "xgrad/optim.hpp"

namespace {

using namespace xg;
using nn::make;
namespace fs = std::filesystem;

std::shared_ptr<nn::Sequential<float>> model(std::uint64_t seed) {
  nn::manual_seed(seed);
  return std::make_shared<nn::Sequential<float>>(
      std::initializer_list<std::shared_ptr<nn::Module<float>>>{make<nn::Linear<float>>(6, 5),
                                                                make<nn::Sigmoid<float>>(),
                                                                make<nn::Linear<float>>(5, 2)});
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

/// Loads the damaged checkpoint into a fresh model; expects Error mentioning `parts` and no
/// parameter changed.
template <class... Parts>
void expect_rejected(const std::string& dir, Parts... parts) {
  auto m = model(9);
  std::vector<xt::xarray<float>> before;
  for (const auto& p : m->parameters()) before.push_back(p.value());
  EXPECT_THROW_WITH(nn::load_parameters(*m, dir), Error, parts...);
  const auto after = m->parameters();
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].value(), before[i]) << i;
}

class CorruptCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override { nn::save_parameters(*model(1), dir.str()); }
  fs::path file(const char* name) const { return dir.path() / name; }
  /// Replaces one file of the checkpoint by `array` saved on its own.
  template <class U>
  void replace(const std::string& name, const xt::xarray<U>& array) {
    test::TempDir other("replacement");
    save_arrays<U>(other.str(), {{name, array}});
    fs::copy_file(other.path() / (name + ".npy"), dir.path() / (name + ".npy"),
                  fs::copy_options::overwrite_existing);
  }
  test::TempDir dir{"corrupt"};
};

TEST_F(CorruptCheckpoint, TruncatedDataIsRejected) {
  // 2.bias is the last parameter: the first three would load fine, yet none may be assigned.
  const std::string bytes = read_file(file("2.bias.npy"));
  write_file(file("2.bias.npy"), bytes.substr(0, bytes.size() - 3));
  expect_rejected(dir.str(), "2.bias.npy", "shape (2) needs 8 bytes of data but the file has 5",
                  "truncated");
}

TEST_F(CorruptCheckpoint, TruncatedHeaderAndEmptyFileAreRejected) {
  write_file(file("2.weight.npy"), read_file(file("2.weight.npy")).substr(0, 20));
  expect_rejected(dir.str(), "2.weight.npy", "truncated or corrupt header");
  write_file(file("2.weight.npy"), "");
  expect_rejected(dir.str(), "2.weight.npy", "not a .npy file");
}

TEST_F(CorruptCheckpoint, GarbageBadShapeAndHugeShapeAreRejectedWithoutAllocating) {
  write_file(file("0.bias.npy"), "this is not numpy at all, just text that is long enough");
  expect_rejected(dir.str(), "0.bias.npy", "bad magic");

  std::string bytes = read_file(file("0.weight.npy"));
  const auto at = bytes.find("(6, 5)");  // Linear stores (in, out)
  ASSERT_NE(at, std::string::npos);
  std::string bad_shape = bytes;
  bad_shape.replace(at, 6, "(6, x)");
  write_file(file("0.weight.npy"), bad_shape);
  expect_rejected(dir.str(), "0.weight.npy", "bad shape (6, x)");

  std::string huge = bytes;  // same header length: the shape text is padded with spaces
  huge.replace(at, 6, "(9999999999999, 9999999)");
  huge.erase(huge.find('\n') - 18, 18);
  write_file(file("0.weight.npy"), huge);
  expect_rejected(dir.str(), "0.weight.npy", "too large");
}

TEST_F(CorruptCheckpoint, WrongElementTypeNamesBothTypes) {
  replace<double>("0.bias", xt::xarray<double>::from_shape({5}));
  expect_rejected(dir.str(), "0.bias.npy", "'<f8'", "expected '<f4'");
}

TEST_F(CorruptCheckpoint, WrongShapeIsAShapeError) {
  replace<float>("2.weight", xt::xarray<float>::from_shape({5, 3}));
  expect_rejected(dir.str(), "'2.weight'", "(5, 2)", "(5, 3)");
}

TEST_F(CorruptCheckpoint, FortranOrderFilesFromNumpyLoadTransposedCorrectly) {
  // numpy.save of a Fortran-ordered (2, 3) array [[1,2,3],[4,5,6]]: data in column order.
  std::string dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
  dict.append(128 - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size()) +
                      std::string(1, '\0') + dict;
  for (float v : {1.f, 4.f, 2.f, 5.f, 3.f, 6.f}) bytes.append(reinterpret_cast<char*>(&v), 4);
  write_file(dir.path() / "f.npy", bytes);
  EXPECT_EQ(load_arrays<float>(dir.str(), {"f"}).at("f"),
            (xt::xarray<float>{{1, 2, 3}, {4, 5, 6}}));
}

TEST(CorruptOptimizerState, TruncatedStateIsRejectedAndChangesNothing) {
  auto w = Tensor<float>::from({3}, {1, 2, 3}, true);
  optim::SGD<float> opt({w}, {.lr = 0.1, .momentum = 0.9});
  sum(w * w).backward();
  opt.step();
  test::TempDir dir("optim");
  opt.save(dir.str());
  const fs::path buf = dir.path() / "momentum_buffer.0.npy";
  write_file(buf, read_file(buf).substr(0, read_file(buf).size() - 4));

  auto w2 = Tensor<float>::from({3}, {1, 2, 3}, true);
  optim::SGD<float> fresh({w2}, {.lr = 0.5, .momentum = 0.9});
  EXPECT_THROW_WITH(fresh.load(dir.str()), Error, "momentum_buffer.0.npy", "truncated");
  EXPECT_EQ(fresh.iterations(), 0u);
  EXPECT_EQ(fresh.lr(), 0.5);
}

}  // namespace
