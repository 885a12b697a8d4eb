// nn::Conv2d and nn::Conv1d: shapes, parameters, PyTorch's initialisation bounds and printed
// form, unbatched inputs, errors, the summary's output shapes and a training step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;
using D = double;

/// The largest |v| of a tensor.
template <class T>
double largest(const Tensor<T>& t) {
  double m = 0;
  for (auto v : t.value()) m = std::max(m, std::abs(static_cast<double>(v)));
  return m;
}

TEST(NnConv2d, ShapesAndParameters) {
  nn::Conv2d<D> conv(3, 8, 3, {.stride = 2, .padding = 1});
  EXPECT_EQ(conv.weight().shape(), (Shape{8, 3, 3, 3}));
  EXPECT_EQ(conv.bias().shape(), (Shape{8}));
  EXPECT_EQ(conv.parameters().size(), 2u);
  EXPECT_EQ(conv.parameter_count(), 8u * 27 + 8);
  const auto y = conv(test::uniform<D>({2, 3, 9, 9}));
  EXPECT_EQ(y.shape(), (Shape{2, 8, 5, 5}));
  EXPECT_EQ(conv(test::uniform<D>({3, 9, 9})).shape(), (Shape{8, 5, 5}));  // unbatched

  nn::Conv2d<D> grouped(4, 6, {3, 2}, {.dilation = {1, 2}, .groups = 2, .bias = false});
  EXPECT_EQ(grouped.weight().shape(), (Shape{6, 2, 3, 2}));
  EXPECT_FALSE(grouped.bias().defined());
  EXPECT_EQ(grouped.parameters().size(), 1u);
  EXPECT_EQ(grouped(test::uniform<D>({1, 4, 5, 5})).shape(), (Shape{1, 6, 3, 3}));
}

TEST(NnConv2d, ForwardIsConv2dWithTheLayersParameters) {
  nn::Conv2d<D> conv(2, 4, {2, 3}, {.stride = {1, 2}, .padding = 1, .groups = 2});
  const auto x = test::uniform<D>({3, 2, 6, 7}, -1, 1, 5);
  const auto want =
      conv2d(x, conv.weight(), conv.bias(), {.stride = {1, 2}, .padding = 1, .groups = 2});
  xg::test::expect_close(conv(x).value(), want.value(), 0);
}

TEST(NnConv2d, InitialisationBoundsArePyTorchs) {
  // kaiming_uniform_(a = sqrt(5)) on the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on the
  // bias: both bounded by 1/sqrt(in / groups kH kW).
  struct Layer {
    std::size_t in, out;
    Size2 k;
    std::size_t groups;
  };
  for (const Layer& l : {Layer{16, 64, 3, 1}, Layer{8, 256, {3, 5}, 4}, Layer{32, 512, 1, 32}}) {
    nn::Generator gen(7);
    nn::Conv2d<float> conv(l.in, l.out, l.k, {.groups = l.groups, .generator = &gen});
    const double bound = 1.0 / std::sqrt(double(l.in / l.groups * l.k.h * l.k.w));
    SCOPED_TRACE(conv.extra_repr());
    EXPECT_LE(largest(conv.weight()), bound);
    EXPECT_GT(largest(conv.weight()), 0.95 * bound);  // uniform over the whole interval
    EXPECT_LE(largest(conv.bias()), bound);
    EXPECT_GT(largest(conv.bias()), 0.5 * bound);
    double mean = 0;
    for (auto v : conv.weight().value()) mean += v;
    mean /= double(conv.weight().size());
    EXPECT_LT(std::abs(mean), 0.1 * bound);
  }
}

TEST(NnConv2d, SeededGeneratorsGiveTheSameWeights) {
  nn::Generator a(3), b(3);
  nn::Conv2d<D> c1(2, 3, 3, {.generator = &a}), c2(2, 3, 3, {.generator = &b});
  xg::test::expect_close(c1.weight().value(), c2.weight().value(), 0);
  xg::test::expect_close(c1.bias().value(), c2.bias().value(), 0);
  nn::Conv2d<D> zero(
      2, 3, 3,
      {.weight_init = nn::Init::constant, .bias_init = nn::Init::zeros, .weight_value = 0.5});
  for (double v : zero.weight().value()) EXPECT_EQ(v, 0.5);
  for (double v : zero.bias().value()) EXPECT_EQ(v, 0.0);
}

TEST(NnConv, PrintedAsPyTorchPrintsThem) {
  // The strings of PyTorch 1.13's repr() of the same layers.
  EXPECT_EQ(nn::Conv2d<D>(1, 32, 3).extra_repr(), "1, 32, kernel_size=(3, 3), stride=(1, 1)");
  EXPECT_EQ(nn::Conv2d<D>(16, 33, {3, 5}, {.stride = {2, 1}, .padding = {4, 2}, .dilation = {3, 1}})
                .extra_repr(),
            "16, 33, kernel_size=(3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1)");
  EXPECT_EQ(nn::Conv2d<D>(4, 8, 1, {.groups = 2, .bias = false}).extra_repr(),
            "4, 8, kernel_size=(1, 1), stride=(1, 1), groups=2, bias=False");
  EXPECT_EQ(nn::Conv1d<D>(16, 33, 3, {.stride = 2}).extra_repr(),
            "16, 33, kernel_size=(3,), stride=(2,)");
  EXPECT_EQ(nn::Conv1d<D>(4, 4, 5, {.padding = 2, .groups = 4}).extra_repr(),
            "4, 4, kernel_size=(5,), stride=(1,), padding=(2,), groups=4");
  EXPECT_EQ(nn::Conv2d<D>(1, 32, 3).type_name(), "Conv2d");
  EXPECT_EQ(nn::Conv1d<D>(1, 32, 3).type_name(), "Conv1d");
}

TEST(NnConv, Errors) {
  EXPECT_THROW_WITH(nn::Conv2d<D>(0, 4, 3), DomainError, "Conv2d(0, 4", "must be positive");
  EXPECT_THROW_WITH(nn::Conv2d<D>(2, 4, {3, 0}), DomainError, "kernel_size must be positive");
  EXPECT_THROW_WITH(nn::Conv2d<D>(2, 4, 3, {.stride = 0}), DomainError, "stride");
  EXPECT_THROW_WITH(nn::Conv2d<D>(2, 4, 3, {.groups = 0}), DomainError, "groups");
  EXPECT_THROW_WITH(nn::Conv2d<D>(3, 4, 3, {.groups = 2}), ShapeError, "Conv2d(3, 4",
                    "divisible by groups = 2");
  EXPECT_THROW_WITH(nn::Conv1d<D>(4, 6, 3, {.groups = 4}), ShapeError, "Conv1d(4, 6",
                    "divisible by groups = 4");
  nn::Conv2d<D> conv(3, 4, 3);
  EXPECT_THROW_WITH(conv(test::uniform<D>({2, 2, 5, 5})), ShapeError,
                    "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1))", "(2, 2, 5, 5)",
                    "expected (N, 3, H, W) or (3, H, W)");
  EXPECT_THROW_WITH(conv(test::uniform<D>({5, 5})), ShapeError, "Conv2d", "(5, 5)");
  EXPECT_THROW_WITH(conv(test::uniform<D>({1, 3, 2, 2})), ShapeError, "conv2d", "empty");
  nn::Conv1d<D> c1(3, 4, 3);
  EXPECT_THROW_WITH(c1(test::uniform<D>({2, 3, 5, 5})), ShapeError, "Conv1d", "(N, 3, L)");
  EXPECT_THROW_WITH(c1(Tensor<D>()), GraphError, "Conv1d", "undefined");
}

TEST(NnConv1d, ShapesAndValues) {
  nn::Conv1d<D> conv(4, 6, 3, {.stride = 2, .padding = 1, .groups = 2});
  EXPECT_EQ(conv.weight().shape(), (Shape{6, 2, 3}));
  EXPECT_EQ(conv.bias().shape(), (Shape{6}));
  const auto x = test::uniform<D>({2, 4, 9});
  const auto y = conv(x);
  EXPECT_EQ(y.shape(), (Shape{2, 6, 5}));
  xg::test::expect_close(
      y.value(),
      conv1d(x, conv.weight(), conv.bias(), {.stride = 2, .padding = 1, .groups = 2}).value(), 0);
  EXPECT_EQ(conv(test::uniform<D>({4, 9})).shape(), (Shape{6, 5}));
  const double bound = 1.0 / std::sqrt(2.0 * 3.0);
  EXPECT_LE(largest(conv.weight()), bound);
  EXPECT_LE(largest(conv.bias()), bound);
}

TEST(NnConv2d, SummaryShowsOutputShapesAndParameters) {
  nn::Sequential<float> model{nn::Conv2d(1, 32, 3), nn::ReLU(), nn::Conv2d(32, 64, 3)};
  const std::string s = model.summary({1, 28, 28});
  EXPECT_NE(s.find("(None, 32, 26, 26)"), std::string::npos) << s;
  EXPECT_NE(s.find("(None, 64, 24, 24)"), std::string::npos) << s;
  EXPECT_NE(s.find("320"), std::string::npos) << s;     // 32 * 9 + 32
  EXPECT_NE(s.find("18,496"), std::string::npos) << s;  // 64 * 32 * 9 + 64
}

TEST(NnConv2d, TrainingStepsLowerTheLoss) {
  // Conv -> ReLU -> Conv to one channel, fitted by plain gradient descent to the output of a
  // fixed random convolution of the same inputs.
  nn::manual_seed(11);
  nn::Conv2d<float> c1(2, 4, 3, {.padding = 1}), c2(4, 1, 3, {.padding = 1});
  const auto x = test::uniform<float>({4, 2, 8, 8}, -1, 1, 3, false);
  const auto target =
      conv2d(x, test::uniform<float>({1, 2, 3, 3}, -1, 1, 4, false), Conv2dOptions{.padding = 1});
  auto params = c1.parameters();
  for (const auto& p : c2.parameters()) params.push_back(p);
  float first = 0, last = 0;
  for (int step = 0; step < 20; ++step) {
    const auto loss = mse_loss(c2(relu(c1(x))), target);
    if (step == 0) first = loss.item();
    last = loss.item();
    for (auto& p : params) p.zero_grad();
    loss.backward();
    NoGradGuard no_grad;
    for (auto& p : params) {
      ASSERT_TRUE(p.has_grad());
      auto& v = p.mutable_value();
      v -= 0.2f * p.grad().value();
    }
  }
  EXPECT_LT(last, 0.7f * first) << "first " << first << ", last " << last;
}

}  // namespace
