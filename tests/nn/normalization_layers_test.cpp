// BatchNorm1d / BatchNorm2d and LayerNorm: train and eval behaviour against hand computation,
// running statistics, options and errors.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;
using TD = Tensor<double>;

std::vector<double> flat(const TD& t) {
  return std::vector<double>(t.value().begin(), t.value().end());
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << i;
}

TEST(NnBatchNorm, DefaultsAsPyTorch) {
  nn::BatchNorm2d<double> bn(3);
  EXPECT_EQ(flat(bn.weight()), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(flat(bn.bias()), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(flat(bn.running_mean()), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(flat(bn.running_var()), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(bn.num_batches_tracked().shape(), Shape{});
  EXPECT_EQ(bn.num_batches_tracked().value()(), 0.0);
  EXPECT_EQ(bn.parameters().size(), 2u);
  EXPECT_EQ(bn.buffers().size(), 3u);
  EXPECT_EQ(bn.options().eps, 1e-5);
  EXPECT_EQ(bn.options().momentum, 0.1);
  EXPECT_TRUE(bn.is_training());
}

TEST(NnBatchNorm, TrainingUsesBatchStatisticsAndUpdatesTheRunningOnes) {
  // Channel 0: 1, 2, 3, 6 (mean 3, biased var 3.5, unbiased 14/3); channel 1: 0, 0, 4, 4
  // (mean 2, var 4, unbiased 16/3).
  nn::BatchNorm1d<double> bn(2);
  const TD x = TD::from({4, 2}, {1, 0, 2, 0, 3, 4, 6, 4});
  const TD y = bn(x);
  const double r0 = 1 / std::sqrt(3.5 + 1e-5), r1 = 1 / std::sqrt(4 + 1e-5);
  expect_near(flat(y), {-2 * r0, -2 * r1, -1 * r0, -2 * r1, 0, 2 * r1, 3 * r0, 2 * r1}, 1e-14);
  expect_near(flat(bn.running_mean()), {0.3, 0.2}, 1e-15);
  expect_near(flat(bn.running_var()), {0.9 + 0.1 * 14 / 3, 0.9 + 0.1 * 16 / 3}, 1e-15);
  bn(x);
  expect_near(flat(bn.running_mean()), {0.9 * 0.3 + 0.3, 0.9 * 0.2 + 0.2}, 1e-15);
  EXPECT_EQ(bn.num_batches_tracked().value()(), 2.0);

  // Evaluation: the running statistics, which it leaves alone.
  bn.eval();
  const auto rm = flat(bn.running_mean()), rv = flat(bn.running_var());
  const TD z = bn(x);
  for (std::size_t i = 0; i < 8; ++i) {
    const std::size_t c = i % 2;
    EXPECT_NEAR(z.value().data()[i], (x.value().data()[i] - rm[c]) / std::sqrt(rv[c] + 1e-5),
                1e-14);
  }
  EXPECT_EQ(flat(bn.running_mean()), rm);
  EXPECT_EQ(bn.num_batches_tracked().value()(), 2.0);
  // A single sample can be evaluated, not trained on.
  EXPECT_EQ(bn(TD::from({1, 2}, {1, 2})).shape(), (Shape{1, 2}));
  bn.train();
  EXPECT_THROW_WITH(bn(TD::from({1, 2}, {1, 2})), DomainError, "more than 1 value per channel");
  EXPECT_EQ(bn.num_batches_tracked().value()(), 2.0);  // a refused batch is not counted
}

TEST(NnBatchNorm, AffineParametersScaleShiftAndGetGradients) {
  nn::BatchNorm2d<double> bn(2);
  bn.weight().set_value(TD::from({2}, {2, -1}).value());
  bn.bias().set_value(TD::from({2}, {0.5, 1}).value());
  const TD x = test::uniform<double>({3, 2, 2, 2}, -1, 1, 4, false);
  const TD plain = batch_norm(x, TD(), TD(), TD(), TD(), true);
  const TD y = bn(x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t c = (i / 4) % 2;
    EXPECT_NEAR(y.value().data()[i],
                plain.value().data()[i] * (c == 0 ? 2 : -1) + (c == 0 ? 0.5 : 1), 1e-14);
  }
  sum(y).backward();
  expect_near(flat(bn.bias().grad()), {12, 12}, 1e-14);  // 12 values per channel
  expect_near(flat(bn.weight().grad()), {0, 0}, 1e-12);  // sum of xhat
}

TEST(NnBatchNorm, MomentumNoneTakesTheCumulativeAverage) {
  nn::BatchNorm1d<double> bn(1, {.momentum = std::nullopt});
  const std::vector<std::vector<double>> batches = {{1, 3}, {2, 6, 7}, {-4, 0}};
  double mean_sum = 0, var_sum = 0;
  for (const auto& b : batches) {
    bn(TD::from({b.size(), 1}, b));
    double m = 0, v = 0;
    for (double x : b) m += x;
    m /= static_cast<double>(b.size());
    for (double x : b) v += (x - m) * (x - m);
    mean_sum += m;
    var_sum += v / static_cast<double>(b.size() - 1);
  }
  EXPECT_NEAR(bn.running_mean().value()(0), mean_sum / 3, 1e-15);
  // The initial 1 is averaged out at the first step (factor 1).
  EXPECT_NEAR(bn.running_var().value()(0), var_sum / 3, 1e-14);
  EXPECT_NE(bn.extra_repr().find("momentum=None"), std::string::npos);
}

TEST(NnBatchNorm, WithoutRunningStatisticsBothModesUseTheBatch) {
  nn::BatchNorm1d<double> bn(3, {.affine = false, .track_running_stats = false});
  EXPECT_TRUE(bn.parameters().empty());
  EXPECT_TRUE(bn.buffers().empty());
  EXPECT_FALSE(bn.running_mean().defined());
  const TD x = test::uniform<double>({4, 3, 5}, -1, 1, 5, false);
  const TD want = batch_norm(x, TD(), TD(), TD(), TD(), true);
  EXPECT_EQ(bn(x).value(), want.value());
  bn.eval();
  EXPECT_EQ(bn(x).value(), want.value());
}

TEST(NnBatchNorm, ShapeAndOptionErrorsNameTheLayer) {
  nn::BatchNorm2d<float> bn2(3);
  EXPECT_THROW_WITH(bn2(Tensor<float>::zeros({2, 3})), ShapeError, "BatchNorm2d(3)", "(N, C, H, W)",
                    "(2, 3)");
  EXPECT_THROW_WITH(bn2(Tensor<float>::zeros({2, 4, 2, 2})), ShapeError, "BatchNorm2d(3)",
                    "4 channels", "expected 3");
  nn::BatchNorm1d<float> bn1(3);
  EXPECT_THROW_WITH(bn1(Tensor<float>::zeros({2, 3, 2, 2})), ShapeError, "BatchNorm1d(3)",
                    "(N, C) or (N, C, L)");
  EXPECT_EQ(bn1(Tensor<float>::ones({2, 3, 4})).shape(), (Shape{2, 3, 4}));
  EXPECT_THROW_WITH(nn::BatchNorm1d<float>(0), DomainError, "num_features");
  EXPECT_THROW_WITH(nn::BatchNorm1d<float>(2, {.eps = 0}), DomainError, "eps");
  EXPECT_THROW_WITH(nn::BatchNorm1d<float>(2, {.momentum = 1.5}), DomainError, "momentum");
}

TEST(NnLayerNorm, NormalisesTrailingAxesInBothModes) {
  nn::LayerNorm<double> ln({2, 2});
  EXPECT_EQ(ln.weight().shape(), (Shape{2, 2}));
  EXPECT_EQ(ln.parameter_count(), 8u);
  EXPECT_TRUE(ln.buffers().empty());
  const TD x = TD::from({2, 2, 2}, {1, 2, 3, 6, 0, 0, 4, 4});
  const double r0 = 1 / std::sqrt(3.5 + 1e-5), r1 = 1 / std::sqrt(4 + 1e-5);
  const std::vector<double> want = {-2 * r0, -1 * r0, 0, 3 * r0, -2 * r1, -2 * r1, 2 * r1, 2 * r1};
  expect_near(flat(ln(x)), want, 1e-14);
  ln.eval();
  expect_near(flat(ln(x)), want, 1e-14);
  EXPECT_EQ(ln.extra_repr(), "(2, 2), eps=1e-05, elementwise_affine=true");
  nn::LayerNorm<double> bare({4}, 1e-3, false);
  EXPECT_TRUE(bare.parameters().empty());
  EXPECT_THROW_WITH(bare(TD::zeros({4, 3})), ShapeError, "LayerNorm((4))", "(4, 3)");
  EXPECT_THROW_WITH(nn::LayerNorm<double>({}), DomainError, "non-empty");
  EXPECT_THROW_WITH(nn::LayerNorm<double>({2}, 0.0), DomainError, "eps");
}

TEST(NnLayerNorm, GradcheckThroughTheModule) {
  nn::LayerNorm<double> ln({3});
  const TD w = test::uniform<double>({3}, 0.5, 1.5, 6), b = test::uniform<double>({3}, -1, 1, 7);
  test::Fn<double> f = [&ln](const std::vector<TD>& in) {
    ln.weight() = in[1];
    ln.bias() = in[2];
    return ln(in[0]);
  };
  EXPECT_GRADCHECK(double, f, {test::uniform<double>({4, 3}, -1, 1, 8), w, b});
}

}  // namespace
