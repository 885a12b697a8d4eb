// The libtorch-like spelling: float by default, modules passed by value, accessors that are the
// registered parameters, shape-checked parameter values.
#include <gtest/gtest.h>

#include <filesystem>
#include <type_traits>

#include "nn/nn_test_util.hpp"
#include "xgrad/errors.hpp"

namespace {

using namespace xg;

/// The Fashion-MNIST model, built both ways from the same seed.
nn::Sequential<> by_value() {
  nn::manual_seed(4);
  return nn::Sequential{nn::Linear(784, 500), nn::Sigmoid(), nn::Dropout(0.5), nn::Linear(500, 10)};
}
std::shared_ptr<nn::Sequential<float>> by_make() {
  nn::manual_seed(4);
  auto model = nn::make<nn::Sequential<float>>();
  model->add(nn::make<nn::Linear<float>>(784, 500))
      .add(nn::make<nn::Sigmoid<float>>())
      .add(nn::make<nn::Dropout<float>>(0.5))
      .add(nn::make<nn::Linear<float>>(500, 10));
  return model;
}

TEST(NnValueModules, FloatIsTheDefault) {
  static_assert(std::is_same_v<nn::Module<>, nn::Module<float>>);
  static_assert(std::is_same_v<decltype(nn::Linear(2, 3)), nn::Linear<float>>);
  static_assert(std::is_same_v<decltype(nn::Sigmoid()), nn::Sigmoid<float>>);
  // Scalar arguments do not make a double layer.
  static_assert(std::is_same_v<decltype(nn::LeakyReLU(0.1)), nn::LeakyReLU<float>>);
  static_assert(std::is_same_v<decltype(nn::HardTanh(-2.0, 2.0)), nn::HardTanh<float>>);
  static_assert(std::is_same_v<decltype(nn::PReLU(3, 0.1)), nn::PReLU<float>>);
  static_assert(std::is_same_v<decltype(nn::Dropout(0.3)), nn::Dropout<float>>);
  static_assert(std::is_same_v<decltype(nn::MSELoss()), nn::MSELoss<float>>);
  static_assert(
      std::is_same_v<decltype(nn::CrossEntropyLoss(Reduction::sum)), nn::CrossEntropyLoss<float>>);
  static_assert(
      std::is_same_v<decltype(nn::make<nn::Linear>(2, 3)), std::shared_ptr<nn::Linear<float>>>);
  // The first module decides a Sequential's type; double stays available.
  nn::Sequential twice{nn::Linear<double>(2, 3), nn::Tanh<double>()};
  static_assert(std::is_same_v<decltype(twice), nn::Sequential<double>>);
  nn::Sequential empty;
  static_assert(std::is_same_v<decltype(empty), nn::Sequential<float>>);
  nn::LeakyReLU leaky(0.25);
  EXPECT_EQ(leaky.extra_repr(), "slope=0.25");
  nn::MSELoss loss(Reduction::sum);
  EXPECT_EQ(loss.reduction(), Reduction::sum);
  EXPECT_FLOAT_EQ(loss(Tensor<float>::from({2}, {1, 2}), Tensor<float>::from({2}, {0, 0})).item(),
                  5.0f);
}

TEST(NnValueModules, ValuesAreRegisteredExactlyAsMakeAndAdd) {
  nn::Sequential model = by_value();
  static_assert(std::is_same_v<decltype(model), nn::Sequential<float>>);
  const auto reference = by_make();
  ASSERT_EQ(model.size(), 4u);
  EXPECT_EQ(model.to_string(), reference->to_string());
  EXPECT_EQ(model.summary({784}), reference->summary({784}));
  EXPECT_EQ(model.parameter_count(), 784u * 500 + 500 + 500 * 10 + 10);
  const auto got = model.named_parameters();
  const auto want = reference->named_parameters();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_EQ(got[i].second.name(), want[i].first) << "named by its path";
    EXPECT_TRUE(got[i].second.requires_grad());
    EXPECT_EQ(got[i].second.value(), want[i].second.value()) << "same draws in the same order";
  }
  EXPECT_EQ(got[0].first, "0.weight");
  EXPECT_EQ(got[3].first, "3.bias");
  EXPECT_EQ(model.children()[1].first, "1");
  EXPECT_NE(dynamic_cast<nn::Linear<float>*>(model.children()[3].second.get()), nullptr);
  EXPECT_NE(dynamic_cast<nn::Dropout<float>*>(&model[2]), nullptr);
  // Checkpoint paths (state_dict keys) are the same.
  const auto dir = std::filesystem::temp_directory_path() / "xgrad_value_modules_ckpt";
  std::filesystem::remove_all(dir);
  nn::save_parameters(model, dir.string());
  for (const auto& [name, p] : want) {
    EXPECT_TRUE(std::filesystem::exists(dir / (name + ".npy"))) << name;
  }
  EXPECT_TRUE(nn::load_parameters(*reference, dir.string()).empty());
  std::filesystem::remove_all(dir);
  // Training mode and forward reach the moved children.
  model.eval();
  EXPECT_FALSE(model[2].is_training());
  EXPECT_EQ(model(Tensor<float>::zeros({3, 784})).shape(), (Shape{3, 10}));
}

TEST(NnValueModules, MixedArgumentsNestingAndAdd) {
  auto shared = nn::make<nn::Linear<float>>(3, 3);
  nn::Sequential model{nn::Sequential{nn::Linear(2, 3), nn::ReLU()}, shared,
                       nn::make<nn::Tanh<float>>()};
  model.add(nn::Linear(3, 1)).add(nn::Sigmoid());
  std::vector<std::string> names;
  for (const auto& [name, p] : model.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.0.weight", "0.0.bias", "1.weight", "1.bias",
                                             "3.weight", "3.bias"}));
  EXPECT_EQ(model.children()[1].second.get(), shared.get()) << "a shared_ptr is not copied";
  EXPECT_EQ(model.size(), 5u);
  EXPECT_EQ(model(Tensor<float>::ones({4, 2})).shape(), (Shape{4, 1}));
}

/// A user model in libtorch's style: children registered by value, kept as shared_ptrs.
struct Net : nn::Module<> {
  Net() {
    fc1 = register_module("fc1", nn::Linear(4, 3));
    fc2 = register_module("fc2", nn::Linear(3, 2, {.bias = false}));
  }
  Tensor<float> forward(const Tensor<float>& x) override { return (*fc2)(relu((*fc1)(x))); }
  std::string type_name() const override { return "Net"; }
  std::shared_ptr<nn::Linear<>> fc1, fc2;
};

TEST(NnValueModules, RegisterModuleByValue) {
  Net net;
  std::vector<std::string> names;
  for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight"}));
  EXPECT_EQ(net.children()[0].second.get(), net.fc1.get());
  EXPECT_EQ(net(Tensor<float>::ones({5, 4})).shape(), (Shape{5, 2}));
}

TEST(NnValueModules, MovingKeepsTheTreeAndRefusesRegisteredModules) {
  // The children of a moved module know their new parent: the cycle check still finds paths.
  auto leaf = nn::make<nn::Sequential<>>();
  nn::Sequential<> inner{leaf};
  auto holder = std::make_shared<nn::Sequential<>>(std::move(inner));
  EXPECT_EQ(inner.size(), 0u) << "moved from";
  ASSERT_EQ(holder->size(), 1u);
  EXPECT_EQ(holder->children()[0].second.get(), leaf.get());
  EXPECT_THROW_WITH(leaf->add(holder), GraphError, "would contain", "'0.0'");
  // A module that is a child somewhere cannot be moved out of its parent.
  auto lin = nn::make<nn::Linear<>>(2, 2);
  nn::Sequential<> parent{lin};
  EXPECT_THROW_WITH(nn::Linear<> stolen(std::move(*lin)), GraphError, "Linear",
                    "registered as a child cannot be moved");
  EXPECT_EQ(parent.parameter_count(), 6u);
}

// --- accessors are the registered parameters ----------------------------------------------

TEST(NnValueModules, ReassigningWeightIsWhatParametersSee) {
  nn::Linear<double> lin(3, 2);
  const auto w = Tensor<double>::ones({3, 2}, true);
  const auto b = Tensor<double>::full({2}, 0.5, true);
  lin.weight() = w;
  lin.bias() = b;
  const auto params = lin.parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].identity(), w.identity());
  EXPECT_EQ(params[1].identity(), b.identity());
  EXPECT_EQ(lin.named_parameters()[0].second.identity(), w.identity());
  // forward uses it too, so an optimizer over parameters() trains what forward uses.
  const auto y = lin(Tensor<double>::from({1, 3}, {1, 2, 3}));
  EXPECT_DOUBLE_EQ(y.value()(0, 0), 6.5);
  sum(y).backward();
  EXPECT_TRUE(w.has_grad());
  EXPECT_DOUBLE_EQ(w.grad().value()(2, 1), 3.0);
  // The same through a container and for PReLU's slope.
  nn::Sequential<double> model{nn::Linear<double>(2, 2), nn::PReLU<double>(2)};
  auto& prelu = dynamic_cast<nn::PReLU<double>&>(model[1]);
  const auto slope = Tensor<double>::full({2}, 0.1, true);
  prelu.slope() = slope;
  EXPECT_EQ(model.parameters().back().identity(), slope.identity());
  nn::Linear<double> no_bias(2, 2, {.bias = false});
  EXPECT_FALSE(no_bias.bias().defined());
  EXPECT_EQ(no_bias.parameters().size(), 1u);
}

// --- parameter values are shape-checked ---------------------------------------------------

TEST(NnValueModules, WrongShapedValueNamesTheParameter) {
  Net net;
  // Right after building, a parameter is named by its own name (building renames nothing)...
  EXPECT_THROW_WITH(net.fc1->weight().set_value(xt::zeros<float>({3, 4})), ShapeError, "set_value",
                    "'weight'", "(4, 3)", "(3, 4)");
  // ...and by its path once the root has listed its parameters (or run).
  net.parameters();
  const auto before = net.fc1->weight().value();
  EXPECT_THROW_WITH(net.fc1->weight().set_value(xt::zeros<float>({3, 4})), ShapeError, "set_value",
                    "'fc1.weight'", "(4, 3)", "(3, 4)");
  EXPECT_EQ(net.fc1->weight().value(), before) << "a refused value changes nothing";
  EXPECT_EQ(net.fc1->weight().shape(), (Shape{4, 3}));
  EXPECT_THROW_WITH(net.fc1->bias().set_value(xt::zeros<float>({4})), ShapeError, "'fc1.bias'",
                    "(3)", "(4)");
  // Inside a Sequential the path is the position.
  nn::Sequential model{nn::Linear(2, 3), nn::Tanh(), nn::Linear(3, 1)};
  model(Tensor<float>::ones({1, 2}));
  auto& last = dynamic_cast<nn::Linear<>&>(model[2]);
  EXPECT_THROW_WITH(last.weight().set_value(xt::zeros<float>({1, 3})), ShapeError, "'2.weight'",
                    "(3, 1)", "(1, 3)");
  // The right shape is taken, and parameters() sees it.
  xt::xarray<float> column = xt::zeros<float>({3, 1});
  column(2, 0) = 3;
  last.weight().set_value(column);
  EXPECT_EQ(model.parameters()[2].value()(2, 0), 3.0f);
  // Under a nesting added after the first naming, the path follows the new tree.
  auto outer = nn::make<nn::Sequential<>>();
  auto net_ptr = std::make_shared<Net>();
  net_ptr->parameters();  // named as a root: "fc1.weight"
  outer->add(nn::Linear(4, 4)).add(net_ptr);
  outer->parameters();
  EXPECT_THROW_WITH(net_ptr->fc1->weight().set_value(xt::zeros<float>({1})), ShapeError,
                    "'1.fc1.weight'");
}

}  // namespace
