// Sequential: chaining, add(), and the Keras-style summary of the regression example's model.
#include <gtest/gtest.h>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;
using nn::make;

TEST(NnSequential, Seed004RegressionSummary) {
  // Keras: Dense(10, input_dim=10, activation='tanh') + Dense(1) -> 110 + 11 = 121 parameters.
  nn::Sequential<float> model{make<nn::Linear<float>>(10, 10), make<nn::Tanh<float>>(),
                              make<nn::Linear<float>>(10, 1)};
  const std::string s = model.summary({10});
  const std::string want =
      "Model: \"Sequential\"\n"
      "_________________________________________________________________\n"
      "Layer (type)                 Output Shape              Param #\n"
      "=================================================================\n"
      "0 (Linear)                   (None, 10)                110\n"
      "_________________________________________________________________\n"
      "1 (Tanh)                     (None, 10)                0\n"
      "_________________________________________________________________\n"
      "2 (Linear)                   (None, 1)                 11\n"
      "=================================================================\n"
      "Total params: 121\n"
      "Trainable params: 121\n"
      "Non-trainable params: 0\n"
      "_________________________________________________________________\n";
  EXPECT_EQ(s, want);
  EXPECT_NE(s.find("Total params: 121"), std::string::npos);
  EXPECT_EQ(model.parameter_count(), 121u);
}

TEST(NnSequential, SummaryOfFashionMlpGroupsDigitsAndCountsFrozen) {
  nn::Sequential<float> model;
  model.add(make<nn::Linear<float>>(784, 500))
      .add(make<nn::Sigmoid<float>>())
      .add(make<nn::Dropout<float>>(0.5))
      .add(make<nn::Linear<float>>(500, 10));
  model.parameters()[3].requires_grad_(false);  // freeze the last bias
  const std::string s = model.summary({28 * 28});
  EXPECT_NE(s.find("0 (Linear)                   (None, 500)               392,500\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("2 (Dropout)                  (None, 500)               0\n"), std::string::npos)
      << s;
  EXPECT_NE(s.find("Total params: 397,510\n"), std::string::npos) << s;
  EXPECT_NE(s.find("Trainable params: 397,500\n"), std::string::npos) << s;
  EXPECT_NE(s.find("Non-trainable params: 10\n"), std::string::npos) << s;
}

TEST(NnSequential, SummaryRestoresModesRecordsNothingAndReportsBadShapes) {
  auto inner = std::make_shared<nn::Sequential<double>>(
      std::initializer_list<std::shared_ptr<nn::Module<double>>>{make<nn::Dropout<double>>(0.5)});
  nn::Sequential<double> model{make<nn::Linear<double>>(3, 2), inner};
  inner->eval();  // mixed modes: root training, inner evaluating
  const long nodes_before = live_node_count<double>();
  const std::string s = model.summary({3});
  EXPECT_NE(s.find("1 (Sequential)               (None, 2)                 0"), std::string::npos)
      << s;
  EXPECT_TRUE(model.is_training());
  EXPECT_TRUE(model[0].is_training());
  EXPECT_FALSE(inner->is_training());
  EXPECT_EQ(live_node_count<double>(), nodes_before);
  for (const auto& p : model.parameters()) EXPECT_FALSE(p.has_grad());

  EXPECT_THROW_WITH(model.summary({4}), ShapeError, "summary", "(4)", "Linear(in=3, out=2)",
                    "(1, 4)");
  EXPECT_TRUE(model.is_training());
  EXPECT_FALSE(inner->is_training());
}

TEST(NnSequential, ForwardChainsInOrder) {
  auto lin = make<nn::Linear<double>>(2, 2);
  lin->weight().mutable_value() = xt::xarray<double>{{1.0, -1.0}, {2.0, 0.5}};
  lin->bias().mutable_value() = xt::xarray<double>{0.5, -3.0};
  nn::Sequential<double> model{lin, make<nn::ReLU<double>>()};
  EXPECT_EQ(model.size(), 2u);
  auto x = Tensor<double>::from({1, 2}, {1.0, 2.0});
  // x W + b = (1 + 4 + 0.5, -1 + 1 - 3) = (5.5, -3) -> relu (5.5, 0)
  auto y = model(x);
  ASSERT_EQ(y.shape(), (Shape{1, 2}));
  EXPECT_DOUBLE_EQ(y.value()(0, 0), 5.5);
  EXPECT_DOUBLE_EQ(y.value()(0, 1), 0.0);
  // An empty Sequential is the identity.
  nn::Sequential<double> empty;
  EXPECT_EQ(empty(x).identity(), x.identity());
  EXPECT_NE(empty.summary({2}).find("Total params: 0"), std::string::npos);
}

TEST(NnSequential, AddRejectsNull) {
  nn::Sequential<float> model;
  EXPECT_THROW_WITH(model.add(nullptr), Error, "Sequential::add", "null");
  EXPECT_EQ(model.size(), 0u);
}

}  // namespace
