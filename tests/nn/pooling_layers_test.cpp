// Pooling, Flatten and Dropout2d layers: they call the operations with their arguments
// (PyTorch's defaults: stride = kernel), print them as PyTorch does, fit in a Sequential CNN
// head, and Dropout2d follows train() / eval() and its generator.
#include <gtest/gtest.h>

#include <memory>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;
using TD = Tensor<double>;

TEST(NnPooling, LayersCallTheOperations) {
  const TD x = test::uniform<double>({2, 3, 7, 6}, -1, 1, 4);
  EXPECT_EQ(nn::MaxPool2d<double>(2)(x).value(), max_pool2d(x, 2).value());
  EXPECT_EQ(nn::MaxPool2d<double>({3, 2}, {2, 1}, {1, 0}, {1, 2}, true)(x).value(),
            max_pool2d(x, {3, 2}, {2, 1}, {1, 0}, {1, 2}, true).value());
  EXPECT_EQ(nn::AvgPool2d<double>(3, 2, 1, true, false)(x).value(),
            avg_pool2d(x, 3, 2, 1, true, false).value());
  EXPECT_EQ(nn::AvgPool2d<double>(2, {}, 0, false, true, 3)(x).value(),
            avg_pool2d(x, 2, 2, 0, false, true, 3).value());
  EXPECT_EQ(nn::AdaptiveAvgPool2d<double>({3, 4})(x).value(),
            adaptive_avg_pool2d(x, {3, 4}).value());
  const TD s = test::uniform<double>({2, 3, 11}, -1, 1, 5);
  EXPECT_EQ(nn::MaxPool1d<double>(3, 2, 1)(s).value(), max_pool1d(s, 3, 2, 1).value());
  EXPECT_EQ(nn::MaxPool1d<double>(3)(s).shape(), (Shape{2, 3, 3}));
  EXPECT_EQ(nn::AvgPool1d<double>(4, 3, 2, false, false)(s).value(),
            avg_pool1d(s, 4, 3, 2, false, false).value());
  EXPECT_EQ(nn::Flatten<double>()(x).shape(), (Shape{2, 126}));
  EXPECT_EQ(nn::Flatten<double>(2, 3)(x).shape(), (Shape{2, 3, 42}));
  // Float by default, like the other layers.
  static_assert(std::is_same_v<decltype(nn::MaxPool2d(2)), nn::MaxPool2d<float>>);
  static_assert(std::is_same_v<decltype(nn::Flatten()), nn::Flatten<float>>);
}

TEST(NnPooling, ExtraReprAsPyTorch) {
  EXPECT_EQ(nn::MaxPool2d<float>(2).extra_repr(),
            "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false");
  EXPECT_EQ(nn::MaxPool2d<float>({3, 2}, 1, {1, 0}, 1, true).extra_repr(),
            "kernel_size=(3, 2), stride=1, padding=(1, 0), dilation=1, ceil_mode=true");
  EXPECT_EQ(nn::AvgPool2d<float>(3, 2, 1).extra_repr(), "kernel_size=3, stride=2, padding=1");
  EXPECT_EQ(nn::AdaptiveAvgPool2d<float>({5, 7}).extra_repr(), "output_size=(5, 7)");
  EXPECT_EQ(nn::AdaptiveAvgPool2d<float>(1).extra_repr(), "output_size=1");
  EXPECT_EQ(nn::MaxPool1d<float>(3).extra_repr(),
            "kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=false");
  EXPECT_EQ(nn::AvgPool1d<float>(3, 2).extra_repr(), "kernel_size=(3,), stride=(2,), padding=(0,)");
  EXPECT_EQ(nn::Flatten<float>().extra_repr(), "start_dim=1, end_dim=-1");
  EXPECT_EQ(nn::Dropout2d<float>(0.25).extra_repr(), "p=0.25");
  EXPECT_EQ(nn::MaxPool2d<float>(2).type_name(), "MaxPool2d");
  EXPECT_EQ(nn::Dropout2d<float>().type_name(), "Dropout2d");
}

TEST(NnPooling, ASequentialHeadTrainsThroughPoolingAndFlatten) {
  nn::manual_seed(3);
  nn::Sequential<double> model{nn::MaxPool2d<double>(2), nn::AvgPool2d<double>(3, 1, 1),
                               nn::Dropout2d<double>(0.2), nn::Flatten<double>(),
                               nn::Linear<double>(2 * 3 * 3, 4)};
  const TD x = test::uniform<double>({5, 2, 7, 6}, -1, 1, 8);
  auto y = model(x);
  EXPECT_EQ(y.shape(), (Shape{5, 4}));
  sum(y).backward();
  for (const auto& p : model.parameters()) EXPECT_TRUE(p.has_grad());
  const std::string s = model.summary({2, 7, 6});
  EXPECT_NE(s.find("MaxPool2d"), std::string::npos) << s;
  EXPECT_NE(s.find("(None, 2, 3, 3)"), std::string::npos) << s;
  EXPECT_NE(s.find("(None, 18)"), std::string::npos) << s;
}

TEST(NnDropout2d, FollowsTrainEvalAndItsGenerator) {
  nn::Generator gen(11);
  nn::Dropout2d<double> drop(0.5, &gen);
  EXPECT_DOUBLE_EQ(drop.p(), 0.5);
  const TD x = TD::full({3, 8, 2, 2}, 1.0, true);
  auto y = drop(x);
  Generator same(11);
  EXPECT_EQ(y.value(), dropout2d(x, 0.5, true, &same).value());
  for (double v : y.value()) EXPECT_TRUE(v == 0.0 || v == 2.0);
  drop.eval();
  EXPECT_EQ(drop(x).identity(), x.identity());
  drop.train();
  EXPECT_NE(drop(x).value(), y.value());  // the generator moved on
  EXPECT_THROW_WITH(drop(TD::zeros({3, 8})), ShapeError, "dropout2d", "(3, 8)");
  EXPECT_THROW_WITH(nn::Dropout2d<double>(1.5), DomainError, "Dropout2d", "1.5");
  EXPECT_THROW_WITH(nn::Dropout2d<double>(-0.5), DomainError, "Dropout2d");
  nn::Dropout2d<double> all(1.0);
  const TD zeros = all(x);
  for (double v : zeros.value()) EXPECT_EQ(v, 0.0);
}

TEST(NnPooling, ShapeErrorsNameTheOperation) {
  EXPECT_THROW_WITH(nn::MaxPool2d<double>(2)(TD::zeros({3, 4, 4})), ShapeError, "max_pool2d",
                    "4-D");
  EXPECT_THROW_WITH(nn::AvgPool1d<double>(2)(TD::zeros({3, 4, 4, 4})), ShapeError, "avg_pool1d");
  EXPECT_THROW_WITH(nn::MaxPool2d<double>(5)(TD::zeros({1, 1, 4, 4})), ShapeError, "max_pool2d",
                    "below 1");
  EXPECT_THROW_WITH(nn::Flatten<double>(3)(TD::zeros({2, 3})), ShapeError, "flatten");
}

}  // namespace
