// Module buffers: registration, names, moves, summaries, and checkpoints that save and restore
// them exactly and strictly.
#include <gtest/gtest.h>

#include <filesystem>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;
using nn::make;
using F = Tensor<float>;

/// A module with one parameter and two buffers.
class Counter : public nn::Module<float> {
 public:
  Counter() {
    register_parameter("w", F::ones({2}));
    register_buffer("count", F::zeros({}));
    register_buffer("total", F::zeros({2}));
  }
  F forward(const F& x) override {
    own_buffer(0).mutable_value()() += 1;
    own_buffer(1).mutable_value() += x.value();
    return mul(x, own_parameter(0));
  }
  std::string type_name() const override { return "Counter"; }
};

class Registers : public nn::Module<float> {
 public:
  explicit Registers(int which) {
    register_parameter("w", F::zeros({1}));
    if (which == 0) register_buffer("b", F::zeros({1}, true));
    if (which == 1) register_buffer("b", F());
    if (which == 2) register_buffer("w", F::zeros({1}));
    if (which == 3) register_buffer("a.b", F::zeros({1}));
    if (which == 4) register_buffer("b", mul(F::ones({1}, true), 2.0f));
  }
  F forward(const F& x) override { return x; }
  std::string type_name() const override { return "Registers"; }
};

TEST(NnBuffers, AreNotParametersAndHaveHierarchicalNames) {
  nn::Sequential<float> model{nn::Linear(3, 2), nn::BatchNorm1d(2), make<Counter>()};
  std::vector<std::string> names;
  for (const auto& [name, b] : model.named_buffers()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"1.running_mean", "1.running_var",
                                             "1.num_batches_tracked", "2.count", "2.total"}));
  std::vector<std::string> params;
  for (const auto& [name, p] : model.named_parameters()) params.push_back(name);
  EXPECT_EQ(params, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "2.w"}));
  for (const auto& b : model.buffers()) {
    EXPECT_FALSE(b.requires_grad());
    for (const auto& p : model.parameters()) EXPECT_NE(b.identity(), p.identity());
  }
  // A root names its buffer tensors by their paths, as its parameters.
  EXPECT_EQ(model.buffers()[0].name(), "1.running_mean");
  EXPECT_EQ(model.parameter_count(), 3u * 2 + 2 + 2 + 2 + 2);
}

TEST(NnBuffers, RegistrationErrors) {
  EXPECT_THROW_WITH(Registers(0), GraphError, "register_buffer('b')", "not require grad");
  EXPECT_THROW_WITH(Registers(1), GraphError, "undefined");
  EXPECT_THROW_WITH(Registers(2), Error, "already registered");
  EXPECT_THROW_WITH(Registers(3), Error, "no '.'");
  EXPECT_THROW_WITH(Registers(4), GraphError, "leaf");
}

TEST(NnBuffers, MoveWithTheModule) {
  Counter c;
  const void* id = c.buffers()[0].identity();
  nn::Sequential<float> model{std::move(c)};
  ASSERT_EQ(model.buffers().size(), 2u);
  EXPECT_EQ(model.buffers()[0].identity(), id);
  model(F::ones({2}));
  model(F::ones({2}));
  EXPECT_EQ(model.buffers()[0].value()(), 2.0f);
}

TEST(NnBuffers, SummaryCountsThemAsNonTrainableAndToStringIsUnchanged) {
  nn::Sequential<float> model{nn::Linear(4, 3), nn::BatchNorm1d(3)};
  const std::string s = model.summary({4});
  EXPECT_NE(s.find("1 (BatchNorm1d)"), std::string::npos) << s;
  EXPECT_NE(s.find("(None, 3)                 13"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 28"), std::string::npos) << s;
  EXPECT_NE(s.find("Trainable params: 21"), std::string::npos) << s;
  EXPECT_NE(s.find("Non-trainable params: 7"), std::string::npos) << s;
  EXPECT_EQ(model.to_string(),
            "Sequential(\n"
            "  (0): Linear(in=4, out=3, bias=true)  # 15 parameters\n"
            "  (1): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=true, "
            "track_running_stats=true)  # 6 parameters\n"
            ")  # 21 parameters");
}

std::shared_ptr<nn::Sequential<float>> bn_model() {
  return std::make_shared<nn::Sequential<float>>(
      std::initializer_list<std::shared_ptr<nn::Module<float>>>{make<nn::Linear<float>>(3, 4),
                                                                make<nn::BatchNorm1d<float>>(4),
                                                                make<nn::Linear<float>>(4, 1)});
}

TEST(NnBuffers, CheckpointsSaveAndRestoreThemBitExactly) {
  test::TempDir dir("buffers");
  nn::manual_seed(1);
  auto a = bn_model();
  for (unsigned step = 0; step < 3; ++step) (*a)(test::uniform<float>({5, 3}, -1, 2, step, false));
  nn::save_parameters(*a, dir.str());
  EXPECT_EQ(list_arrays(dir.str()),
            (std::vector<std::string>{"0.bias", "0.weight", "1.bias", "1.num_batches_tracked",
                                      "1.running_mean", "1.running_var", "1.weight", "2.bias",
                                      "2.weight"}));
  nn::manual_seed(2);
  auto b = bn_model();
  const auto before = b->buffers();
  nn::load_parameters(*b, dir.str());
  const auto got = b->buffers(), want = a->buffers();
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].identity(), before[i].identity());  // loaded in place
    EXPECT_EQ(got[i].value(), want[i].value()) << i;     // every bit
  }
  EXPECT_EQ(got[2].value()(), 3.0f);
  a->eval();
  b->eval();
  const auto x = test::uniform<float>({2, 3}, -1, 1, 9, false);
  EXPECT_EQ((*a)(x).value(), (*b)(x).value());
}

TEST(NnBuffers, StrictLoadingNamesMissingExtraAndMisShapedBuffers) {
  test::TempDir dir("strict-buffers");
  auto a = bn_model();
  nn::save_parameters(*a, dir.str());

  // Missing: a buffer file removed; nothing is loaded.
  std::filesystem::remove(dir.path() / "1.running_var.npy");
  auto b = bn_model();
  const xt::xarray<float> w = b->parameters()[0].value();
  EXPECT_THROW_WITH(nn::load_parameters(*b, dir.str()), Error, "missing 1 entry", "'1.running_var'",
                    "1.running_var.npy");
  EXPECT_EQ(b->parameters()[0].value(), w);
  const auto keys = nn::load_parameters(*b, dir.str(), /*strict=*/false);
  EXPECT_EQ(keys.missing_keys, (std::vector<std::string>{"1.running_var"}));

  // Unexpected: a checkpoint with buffers into a model without them.
  nn::save_parameters(*a, dir.str());
  nn::Sequential<float> plain{nn::Linear(3, 4), nn::LayerNorm({4}), nn::Linear(4, 1)};
  EXPECT_THROW_WITH(nn::load_parameters(plain, dir.str()), Error, "unexpected 3 entries",
                    "'1.num_batches_tracked'", "'1.running_mean'", "'1.running_var'");

  // Mis-shaped: a buffer of another size, named as a buffer.
  auto wide = std::make_shared<nn::Sequential<float>>(
      std::initializer_list<std::shared_ptr<nn::Module<float>>>{make<nn::Linear<float>>(3, 4),
                                                                make<nn::BatchNorm1d<float>>(4),
                                                                make<nn::Linear<float>>(4, 1)});
  std::map<std::string, xt::xarray<float>> stored;
  for (const auto& [name, p] : wide->named_parameters()) stored.emplace(name, p.value());
  for (const auto& [name, p] : wide->named_buffers()) stored.emplace(name, p.value());
  stored["1.running_mean"] = xt::xarray<float>::from_shape({5});
  save_arrays<float>(dir.str(), stored);
  EXPECT_THROW_WITH(nn::load_parameters(*wide, dir.str()), ShapeError, "buffer '1.running_mean'",
                    "(4)", "(5)");
}

TEST(NnBuffers, AModelWithoutBuffersWritesTheFilesItAlwaysDid) {
  test::TempDir dir("no-buffers");
  nn::Sequential<float> model{nn::Linear(2, 2), nn::Tanh()};
  nn::save_parameters(model, dir.str());
  EXPECT_EQ(list_arrays(dir.str()), (std::vector<std::string>{"0.bias", "0.weight"}));
  EXPECT_TRUE(nn::load_parameters(model, dir.str()).empty());
}

}  // namespace
