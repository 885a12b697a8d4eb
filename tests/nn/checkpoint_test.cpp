// Checkpoints: round trip, numpy-readable files, all-or-nothing loading with named errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;
using nn::make;

std::shared_ptr<nn::Sequential<float>> regression_model(std::size_t hidden = 10) {
  return std::make_shared<nn::Sequential<float>>(
      std::initializer_list<std::shared_ptr<nn::Module<float>>>{
          make<nn::Linear<float>>(10, hidden), make<nn::Tanh<float>>(),
          make<nn::Linear<float>>(hidden, 1)});
}

Tensor<float> inputs() {
  std::vector<float> v(40);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7) * 0.3f - 0.9f;
  return Tensor<float>::from({4, 10}, v);
}

TEST(NnCheckpoint, RoundTripGivesIdenticalPredictions) {
  test::TempDir dir("roundtrip");
  nn::manual_seed(1);
  auto a = regression_model();
  nn::save_parameters(*a, dir.str());
  for (const char* f : {"0.weight.npy", "0.bias.npy", "2.weight.npy", "2.bias.npy"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / f)) << f;
  }
  EXPECT_EQ(list_arrays(dir.str()),
            (std::vector<std::string>{"0.bias", "0.weight", "2.bias", "2.weight"}));
  // The files are plain .npy: magic string and a float32 little-endian header.
  std::ifstream in(dir.path() / "0.weight.npy", std::ios::binary);
  std::string head(128, '\0');
  in.read(head.data(), 128);
  EXPECT_EQ(head.substr(0, 6), "\x93NUMPY");
  EXPECT_NE(head.find("'descr': '<f4'"), std::string::npos) << head;
  EXPECT_NE(head.find("'shape': (10, 10)"), std::string::npos) << head;

  nn::manual_seed(2);
  auto b = regression_model();
  const auto x = inputs();
  ASSERT_NE((*a)(x).value(), (*b)(x).value());
  const auto params_before = b->parameters();
  nn::load_parameters(*b, dir.str());
  EXPECT_EQ((*a)(x).value(), (*b)(x).value());
  // Loaded in place: the same parameter tensors (an optimizer holding them sees the values).
  const auto params_after = b->parameters();
  for (std::size_t i = 0; i < params_after.size(); ++i) {
    EXPECT_EQ(params_after[i].node(), params_before[i].node());
    EXPECT_EQ(params_after[i].value(), a->parameters()[i].value());
  }
}

TEST(NnCheckpoint, ShapeMismatchNamesParameterAndShapesAndChangesNothing) {
  test::TempDir dir("mismatch");
  nn::manual_seed(3);
  auto saved = regression_model(10);
  nn::save_parameters(*saved, dir.str());
  // Only 0.weight, 0.bias and 2.weight differ; nothing may be copied before the check fails.
  nn::manual_seed(4);
  auto other = regression_model(8);
  std::vector<xt::xarray<float>> before;
  for (const auto& p : other->parameters()) before.push_back(p.value());
  EXPECT_THROW_WITH(nn::load_parameters(*other, dir.str()), ShapeError, "'0.weight'", "(10, 8)",
                    "(10, 10)");
  const auto after = other->parameters();
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].value(), before[i]) << i;

  // A mismatch late in the list: 2.bias matches, 0.* match, 2.weight does not.
  nn::Sequential<float> late{make<nn::Linear<float>>(10, 10), make<nn::Tanh<float>>(),
                             make<nn::Linear<float>>(10, 1)};
  std::filesystem::remove(dir.path() / "2.weight.npy");
  save_arrays<float>(dir.str(), {{"2.weight", xt::xarray<float>::from_shape({10, 2})}});
  const xt::xarray<float> first = late.parameters()[0].value();
  EXPECT_THROW_WITH(nn::load_parameters(late, dir.str()), ShapeError, "'2.weight'", "(10, 1)",
                    "(10, 2)");
  EXPECT_EQ(late.parameters()[0].value(), first);
}

TEST(NnCheckpoint, MissingFileOrWrongTypeNamesTheFile) {
  test::TempDir dir("missing");
  auto model = regression_model();
  nn::save_parameters(*model, dir.str());
  std::filesystem::remove(dir.path() / "2.bias.npy");
  auto other = regression_model();
  const xt::xarray<float> w = other->parameters()[0].value();
  EXPECT_THROW_WITH(nn::load_parameters(*other, dir.str()), Error, "2.bias.npy");
  EXPECT_EQ(other->parameters()[0].value(), w);

  // A float checkpoint loaded into a double model.
  nn::Sequential<double> dbl{make<nn::Linear<double>>(10, 10)};
  EXPECT_THROW_WITH(nn::load_parameters(dbl, dir.str()), Error, "0.weight.npy");
}

}  // namespace
