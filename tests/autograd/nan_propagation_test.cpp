// NaN is never dropped: reductions, maximum/minimum and clamp give NaN where an input is NaN, as
// PyTorch does, and anomaly mode then names the operation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_support.hpp"

namespace xg {
namespace {

template <class T>
class NanPropagation : public ::testing::Test {};
TYPED_TEST_SUITE(NanPropagation, test::FloatTypes);

template <class T>
constexpr T kNaN_nan_propagation = std::numeric_limits<T>::quiet_NaN();
template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();

TYPED_TEST(NanPropagation, MaxOfAllIsNaNAndItsGradientGoesToTheNaN) {
  using T = TypeParam;
  auto x = Tensor<T>::from({3}, {1, kNaN_nan_propagation<T>, 2}, true);
  auto m = max(x);
  EXPECT_TRUE(std::isnan(m.item()));  // not 2: the NaN is not skipped
  m.backward();
  const auto& g = x.grad().value();
  EXPECT_EQ(g(0), T(0));
  EXPECT_EQ(g(1), T(1));  // was at index 2
  EXPECT_EQ(g(2), T(0));
}

TYPED_TEST(NanPropagation, SeveralNaNsShareTheGradientAsTiesDo) {
  using T = TypeParam;
  auto x = Tensor<T>::from({4}, {kNaN_nan_propagation<T>, 5, kNaN_nan_propagation<T>, 1}, true);
  max(x).backward();
  const auto& g = x.grad().value();
  EXPECT_EQ(g(0), T(0.5));
  EXPECT_EQ(g(1), T(0));
  EXPECT_EQ(g(2), T(0.5));
  EXPECT_EQ(g(3), T(0));
}

TYPED_TEST(NanPropagation, MaxAlongAnAxisIsNaNOnlyInTheSlicesHoldingNaN) {
  using T = TypeParam;
  // Rows [1, NaN, 2] and [4, 3, 4]; the NaN comes first, last and in the middle of slices.
  auto x = Tensor<T>::from({2, 3}, {1, kNaN_nan_propagation<T>, 2, 4, 3, 4}, true);
  auto m = max(x, 1);
  ASSERT_EQ(m.shape(), (Shape{2}));
  EXPECT_TRUE(std::isnan(m.value()(0)));
  EXPECT_EQ(m.value()(1), T(4));
  sum(m).backward();
  const auto& g = x.grad().value();
  EXPECT_EQ(g(0, 0), T(0));
  EXPECT_EQ(g(0, 1), T(1));
  EXPECT_EQ(g(0, 2), T(0));
  EXPECT_EQ(g(1, 0), T(0.5));  // a tie shares
  EXPECT_EQ(g(1, 1), T(0));
  EXPECT_EQ(g(1, 2), T(0.5));

  auto first = Tensor<T>::from({3, 1}, {kNaN_nan_propagation<T>, 1, 2});
  EXPECT_TRUE(std::isnan(max(first, 0, true).value()(0, 0)));
  auto last = Tensor<T>::from({1, 3}, {1, 2, kNaN_nan_propagation<T>});
  EXPECT_TRUE(std::isnan(max(last, 1).value()(0)));
}

TYPED_TEST(NanPropagation, SumMeanLogsumexpAndSoftmaxPropagate) {
  using T = TypeParam;
  auto x = Tensor<T>::from({1, 3}, {1, kNaN_nan_propagation<T>, 2});
  EXPECT_TRUE(std::isnan(sum(x).item()));
  EXPECT_TRUE(std::isnan(mean(x, 1).value()(0)));
  EXPECT_TRUE(std::isnan(logsumexp(x, 1).value()(0)));
  for (auto v : softmax(x, 1).value()) EXPECT_TRUE(std::isnan(v));
}

TYPED_TEST(NanPropagation, MaximumAndMinimumGiveNaN) {
  using T = TypeParam;
  auto a = Tensor<T>::from({3}, {kNaN_nan_propagation<T>, 1, 2}, true);
  auto b = Tensor<T>::from({3}, {0, kNaN_nan_propagation<T>, 3}, true);
  auto hi = maximum(a, b);
  auto lo = minimum(a, b);
  EXPECT_TRUE(std::isnan(hi.value()(0)));
  EXPECT_TRUE(std::isnan(hi.value()(1)));
  EXPECT_EQ(hi.value()(2), T(3));
  EXPECT_TRUE(std::isnan(lo.value()(0)));
  EXPECT_TRUE(std::isnan(lo.value()(1)));
  EXPECT_EQ(lo.value()(2), T(2));
  // Where a NaN is involved both inputs get the gradient (PyTorch's masks are both false).
  sum(hi).backward();
  EXPECT_EQ(a.grad().value()(0), T(1));
  EXPECT_EQ(b.grad().value()(0), T(1));
  EXPECT_EQ(a.grad().value()(2), T(0));
  EXPECT_EQ(b.grad().value()(2), T(1));
}

TYPED_TEST(NanPropagation, MaximumOfInfinitiesIsExact) {
  using T = TypeParam;
  // A blend share * a + (1 - share) * b would give inf + 0 * -inf = NaN.
  auto a = Tensor<T>::from({2}, {kInf<T>, -kInf<T>});
  auto b = Tensor<T>::from({2}, {-kInf<T>, kInf<T>});
  EXPECT_EQ(maximum(a, b).value()(0), kInf<T>);
  EXPECT_EQ(maximum(a, b).value()(1), kInf<T>);
  EXPECT_EQ(minimum(a, b).value()(0), -kInf<T>);
  // Ties still split the gradient evenly.
  auto c = Tensor<T>::from({1}, {2}, true);
  auto d = Tensor<T>::from({1}, {2}, true);
  sum(maximum(c, d)).backward();
  EXPECT_EQ(c.grad().value()(0), T(0.5));
  EXPECT_EQ(d.grad().value()(0), T(0.5));
}

TYPED_TEST(NanPropagation, ClampKeepsNaN) {
  using T = TypeParam;
  auto x = Tensor<T>::from({4}, {kNaN_nan_propagation<T>, -3, 0.5, 3}, true);
  auto y = clamp(x, T(-1), T(1));
  EXPECT_TRUE(std::isnan(y.value()(0)));
  EXPECT_EQ(y.value()(1), T(-1));
  EXPECT_EQ(y.value()(2), T(0.5));
  EXPECT_EQ(y.value()(3), T(1));
  sum(y).backward();
  // PyTorch's clamp_backward: g where lo <= x <= hi, which is false for NaN.
  EXPECT_EQ(x.grad().value()(0), T(0));
  EXPECT_EQ(x.grad().value()(2), T(1));
}

TYPED_TEST(NanPropagation, AnomalyModeNamesTheOperation) {
  using T = TypeParam;
  auto x = Tensor<T>::from({3}, {1, kNaN_nan_propagation<T>, 2}, true);
  for (auto op : {+[](const Tensor<T>& t) { return max(t); },
                  +[](const Tensor<T>& t) { return max(t, 0); }}) {
    DetectAnomaly<T> anomaly;
    EXPECT_THROW_WITH(op(x), AnomalyError, "forward of 'max", "NaN");
  }
  DetectAnomaly<T> anomaly;
  EXPECT_THROW_WITH(clamp(x, T(0), T(1)), AnomalyError, "forward of 'clamp'");
  EXPECT_THROW_WITH(maximum(x, Tensor<T>::scalar(0)), AnomalyError, "forward of 'maximum'");
}

TEST(NanPropagation, MaxGradchecksAwayFromTies) {
  auto x = test::uniform<double>({3, 4}, -2, 2, 5);
  test::Fn<double> all = [](const std::vector<Tensor<double>>& v) { return max(v[0]); };
  test::Fn<double> rows = [](const std::vector<Tensor<double>>& v) { return max(v[0], 1); };
  test::Fn<double> cols = [](const std::vector<Tensor<double>>& v) { return max(v[0], 0, true); };
  for (const auto& f : {all, rows, cols}) {
    EXPECT_GRADCHECK(double, f, {x});
    EXPECT_GRADGRADCHECK(double, f, {x});
  }
  auto lo = test::uniform<double>({5}, -2, 2, 9);
  test::Fn<double> clamped = [](const std::vector<Tensor<double>>& v) {
    return clamp(v[0], -0.5, 0.5);
  };
  EXPECT_GRADCHECK(double, clamped, {lo});
}

}  // namespace
}  // namespace xg
