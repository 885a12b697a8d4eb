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
    EXPECT_EQ(params_after[i].identity(), params_before[i].identity());
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
  std::map<std::string, xt::xarray<float>> stored;
  for (const auto& [name, p] : late.named_parameters()) stored.emplace(name, p.value());
  stored["2.weight"] = xt::xarray<float>::from_shape({10, 2});
  save_arrays<float>(dir.str(), stored);
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
  EXPECT_THROW_WITH(nn::load_parameters(*other, dir.str()), Error, "'2.bias'", "missing",
                    "2.bias.npy");
  EXPECT_EQ(other->parameters()[0].value(), w);

  // A float checkpoint loaded into a double model of the same structure.
  nn::save_parameters(*model, dir.str());
  nn::Sequential<double> dbl{make<nn::Linear<double>>(10, 10), make<nn::Tanh<double>>(),
                             make<nn::Linear<double>>(10, 1)};
  EXPECT_THROW_WITH(nn::load_parameters(dbl, dir.str()), Error, "0.weight.npy", "'<f4'");
}

nn::Sequential<float> one_layer() {
  return nn::Sequential<float>{make<nn::Linear<float>>(10, 10)};
}

TEST(NnCheckpoint, AReusedDirectoryHoldsOnlyTheLastSave) {
  // The last save came from a one-layer model: a two-layer model must not take its second
  // layer from the run saved there before.
  test::TempDir dir("reused");
  nn::manual_seed(5);
  auto two = regression_model();
  nn::save_parameters(*two, dir.str());
  nn::manual_seed(6);
  auto one = one_layer();
  nn::save_parameters(one, dir.str());
  EXPECT_EQ(list_arrays(dir.str()), (std::vector<std::string>{"0.bias", "0.weight"}));

  nn::manual_seed(7);
  auto fresh = regression_model();
  std::vector<xt::xarray<float>> before;
  for (const auto& p : fresh->parameters()) before.push_back(p.value());
  EXPECT_THROW_WITH(nn::load_parameters(*fresh, dir.str()), Error, "load_parameters", dir.str(),
                    "missing 2 entries", "'2.bias'", "'2.weight'", "2.weight.npy", "strict");
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(fresh->parameters()[i].value(), before[i]) << i;
  }
}

TEST(NnCheckpoint, StrictLoadingNamesUnexpectedEntriesAndNonStrictReportsThem) {
  test::TempDir dir("strict");
  nn::manual_seed(8);
  auto two = regression_model();
  nn::save_parameters(*two, dir.str());

  // Unexpected: a one-layer model from a two-layer checkpoint.
  auto one = one_layer();
  const xt::xarray<float> w_before = one.parameters()[0].value();
  EXPECT_THROW_WITH(nn::load_parameters(one, dir.str()), Error, "unexpected 2 entries", "'2.bias'",
                    "'2.weight'", dir.str());
  EXPECT_EQ(one.parameters()[0].value(), w_before);
  const IncompatibleKeys skipped = nn::load_parameters(one, dir.str(), /*strict=*/false);
  EXPECT_TRUE(skipped.missing_keys.empty());
  EXPECT_EQ(skipped.unexpected_keys, (std::vector<std::string>{"2.bias", "2.weight"}));
  EXPECT_EQ(one.parameters()[0].value(), two->parameters()[0].value());
  EXPECT_EQ(one.parameters()[1].value(), two->parameters()[1].value());

  // Missing: a two-layer model from a one-layer checkpoint loads layer 0 and keeps layer 2.
  test::TempDir small("small");
  nn::save_parameters(one, small.str());
  nn::manual_seed(9);
  auto target = regression_model();
  const xt::xarray<float> layer2 = target->parameters()[2].value();
  const auto keys = nn::load_parameters(*target, small.str(), /*strict=*/false);
  EXPECT_EQ(keys.missing_keys, (std::vector<std::string>{"2.bias", "2.weight"}));
  EXPECT_TRUE(keys.unexpected_keys.empty());
  EXPECT_FALSE(keys.empty());
  EXPECT_EQ(target->parameters()[0].value(), one.parameters()[0].value());
  EXPECT_EQ(target->parameters()[2].value(), layer2);

  // A matching checkpoint: nothing skipped, in either mode.
  EXPECT_TRUE(nn::load_parameters(*two, dir.str()).empty());
  EXPECT_TRUE(nn::load_parameters(*two, dir.str(), false).empty());
  // Shapes are checked in either mode.
  auto wide = regression_model(8);
  EXPECT_THROW_WITH(nn::load_parameters(*wide, dir.str(), false), ShapeError, "'0.weight'");
}

}  // namespace
