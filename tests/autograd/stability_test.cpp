// Numerical stability: losses and activations at extreme inputs (logits of +-1e4, activations at
// +-100, probabilities of exactly 0 and 1) stay finite and match their closed forms, values and
// gradients, in float and double.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <sstream>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace xg;

template <class T>
class Stability : public ::testing::Test {};
TYPED_TEST_SUITE(Stability, test::FloatTypes);

using LD = long double;

/// Rows of logits at +-1e4 with small gaps, so softmax is neither one-hot nor uniform.
template <class T>
Tensor<T> huge_logits() {
  return Tensor<T>::from({3, 3},
                         {T(1e4), T(1e4) - T(1), T(-1e4),  //
                          T(-1e4), T(-1e4) + T(2), T(-1e4) + T(1), T(1e4), T(-1e4), T(0)},
                         true);
}

/// softmax of one row in long double from the stored values: exp(x - max) / sum.
template <class T>
std::vector<LD> softmax_row(const xt::xarray<T>& x, std::size_t row) {
  const std::size_t c = x.shape()[1];
  LD m = x(row, 0);
  for (std::size_t j = 1; j < c; ++j) m = std::max<LD>(m, x(row, j));
  std::vector<LD> s(c);
  LD total = 0;
  for (std::size_t j = 0; j < c; ++j) total += s[j] = std::exp(LD(x(row, j)) - m);
  for (auto& v : s) v /= total;
  return s;
}

template <class T>
LD tol_stability() {
  return std::is_same_v<T, float> ? 1e-5L : 1e-12L;
}

/// Finite and within tol_stability (absolute, plus relative for large values) of the expected
/// value.
template <class T>
void expect_close(T got, LD want, const std::string& what) {
  EXPECT_TRUE(std::isfinite(got)) << what << " = " << got;
  EXPECT_LE(std::fabs(LD(got) - want), tol_stability<T>() * (1 + std::fabs(want)))
      << what << ": got " << got << ", want " << static_cast<double>(want);
}

/// "(i,j)" for failure messages (streamed: GCC 12 warns wrongly on chained string +).
std::string where(std::size_t i, std::size_t j) {
  std::ostringstream s;
  s << "(" << i << "," << j << ")";
  return s.str();
}

const std::vector<double> kWeights = {0.5, -1.0, 2.0};

/// kWeights as a tensor of T, to weight the three columns of the outputs.
template <class T>
Tensor<T> weights() {
  return Tensor<T>::from({3}, std::vector<T>(kWeights.begin(), kWeights.end()));
}

TYPED_TEST(Stability, SoftmaxAtHugeLogits) {
  using T = TypeParam;
  auto x = huge_logits<T>();
  auto s = softmax(x);
  auto c = weights<T>();
  sum(s * c).backward();
  for (std::size_t i = 0; i < 3; ++i) {
    const auto want = softmax_row(x.value(), i);
    LD dot = 0;
    for (std::size_t j = 0; j < 3; ++j) dot += want[j] * kWeights[j];
    for (std::size_t j = 0; j < 3; ++j) {
      const std::string at = where(i, j);
      expect_close<T>(s.value()(i, j), want[j], "softmax" + at);
      // d/dx_j sum_k c_k s_k = s_j (c_j - sum_k c_k s_k)
      expect_close<T>(x.grad().value()(i, j), want[j] * (kWeights[j] - dot), "grad" + at);
    }
  }
}

TYPED_TEST(Stability, LogSoftmaxAtHugeLogits) {
  using T = TypeParam;
  auto x = huge_logits<T>();
  auto ls = log_softmax(x);
  auto c = weights<T>();
  sum(ls * c).backward();
  const LD csum = std::accumulate(kWeights.begin(), kWeights.end(), LD(0));
  for (std::size_t i = 0; i < 3; ++i) {
    const auto s = softmax_row(x.value(), i);
    LD m = x.value()(i, 0), total = 0;
    for (std::size_t j = 1; j < 3; ++j) m = std::max<LD>(m, x.value()(i, j));
    for (std::size_t j = 0; j < 3; ++j) total += std::exp(LD(x.value()(i, j)) - m);
    for (std::size_t j = 0; j < 3; ++j) {
      const std::string at = where(i, j);
      // Values down to -2e4: finite, not -Inf (log of an underflowed softmax).
      expect_close<T>(ls.value()(i, j), LD(x.value()(i, j)) - m - std::log(total),
                      "log_softmax" + at);
      expect_close<T>(x.grad().value()(i, j), kWeights[j] - s[j] * csum, "grad" + at);
    }
  }
}

TYPED_TEST(Stability, LogsumexpAtHugeLogits) {
  using T = TypeParam;
  auto x = huge_logits<T>();
  auto l = logsumexp(x, 1);
  sum(l).backward();
  for (std::size_t i = 0; i < 3; ++i) {
    const auto s = softmax_row(x.value(), i);
    LD m = x.value()(i, 0), total = 0;
    for (std::size_t j = 1; j < 3; ++j) m = std::max<LD>(m, x.value()(i, j));
    for (std::size_t j = 0; j < 3; ++j) total += std::exp(LD(x.value()(i, j)) - m);
    expect_close<T>(l.value()(i), m + std::log(total), where(i, 0));
    for (std::size_t j = 0; j < 3; ++j) {
      EXPECT_TRUE(std::isfinite(x.grad().value()(i, j))) << where(i, j);
      // Relative error of exp(x - out) when out = m + log(sum) is rounded at magnitude 1e4.
      EXPECT_NEAR(x.grad().value()(i, j), s[j], 1e-3) << where(i, j);
    }
  }
  // The full reduction too: log(e^1e4 + e^1e4) = 1e4 + log 2.
  auto y = Tensor<T>::from({2}, {T(1e4), T(1e4)}, true);
  auto total = logsumexp(y);
  total.backward();
  expect_close<T>(total.item(), 1e4L + std::log(2.0L), "logsumexp of (1e4, 1e4)");
  EXPECT_NEAR(y.grad().value()(0), 0.5, 1e-3);
}

TYPED_TEST(Stability, LogsumexpGradientAtHugeLogitsIsAccurate) {
  using T = TypeParam;
  auto x = huge_logits<T>();
  sum(logsumexp(x, 1)).backward();
  for (std::size_t i = 0; i < 3; ++i) {
    const auto s = softmax_row(x.value(), i);
    for (std::size_t j = 0; j < 3; ++j) expect_close<T>(x.grad().value()(i, j), s[j], where(i, j));
  }
}

TYPED_TEST(Stability, BceWithLogitsAtHugeLogits) {
  using T = TypeParam;
  auto x = Tensor<T>::from({4}, {T(1e4), T(1e4), T(-1e4), T(-1e4)}, true);
  auto t = Tensor<T>::from({4}, {T(0), T(1), T(1), T(0)});
  auto losses = bce_with_logits(x, t, Reduction::none);
  const std::vector<LD> want_loss = {1e4L, 0, 1e4L, 0};
  for (std::size_t i = 0; i < 4; ++i) expect_close<T>(losses.value()(i), want_loss[i], "loss");
  sum(losses).backward();
  // d/dx = sigmoid(x) - t
  const std::vector<LD> want_grad = {1, 0, -1, 0};
  for (std::size_t i = 0; i < 4; ++i) expect_close<T>(x.grad().value()(i), want_grad[i], "grad");
}

TYPED_TEST(Stability, CrossEntropyAtHugeLogits) {
  using T = TypeParam;
  auto x = huge_logits<T>();
  const std::vector<std::size_t> labels = {2, 0, 0};
  auto loss = cross_entropy(x, labels);
  loss.backward();
  LD want = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    LD m = x.value()(i, 0), total = 0;
    for (std::size_t j = 1; j < 3; ++j) m = std::max<LD>(m, x.value()(i, j));
    for (std::size_t j = 0; j < 3; ++j) total += std::exp(LD(x.value()(i, j)) - m);
    want += -(LD(x.value()(i, labels[i])) - m - std::log(total)) / 3;
  }
  expect_close<T>(loss.item(), want, "cross_entropy");  // about (2e4 + 2 + 0) / 3
  for (std::size_t i = 0; i < 3; ++i) {
    const auto s = softmax_row(x.value(), i);
    for (std::size_t j = 0; j < 3; ++j) {
      expect_close<T>(x.grad().value()(i, j), (s[j] - (j == labels[i] ? 1 : 0)) / 3, "grad");
    }
  }
}

TYPED_TEST(Stability, SigmoidTanhSoftplusAtHundred) {
  using T = TypeParam;
  const LD e = std::exp(-100.0L);  // 3.7e-44: a float denormal
  // Near-zero results may round to 0 (sigmoid' = s(1 - s) with s rounded to 1 is 0, as in
  // PyTorch); what matters is finiteness and the magnitude.
  const LD tiny = 1e-37L;
  auto check = [&](const char* name, auto f, LD v_hi, LD v_lo, LD g_hi, LD g_lo) {
    auto x = Tensor<T>::from({2}, {T(100), T(-100)}, true);
    auto y = f(x);
    sum(y).backward();
    const std::string n = name;
    for (auto [got, want, what] :
         {std::tuple{y.value()(0), v_hi, n + "(100)"}, std::tuple{y.value()(1), v_lo, n + "(-100)"},
          std::tuple{x.grad().value()(0), g_hi, n + "'(100)"},
          std::tuple{x.grad().value()(1), g_lo, n + "'(-100)"}}) {
      EXPECT_TRUE(std::isfinite(got)) << what << " = " << got;
      EXPECT_LE(std::fabs(LD(got) - want), tol_stability<T>() * std::fabs(want) + tiny)
          << what << ": got " << got << ", want " << static_cast<double>(want);
    }
  };
  check(
      "sigmoid", [](const Tensor<T>& x) { return sigmoid(x); }, 1, e, e, e);
  check(
      "tanh", [](const Tensor<T>& x) { return tanh(x); }, 1, -1, 0, 0);
  check(
      "softplus", [](const Tensor<T>& x) { return softplus(x); }, 100, e, 1, e);
}

TYPED_TEST(Stability, BceOnProbabilitiesClampsTheLogAtZeroAndOne) {
  using T = TypeParam;
  // Exactly 0 and 1: each log is clamped at -100 (PyTorch's rule), so the loss is at most 100
  // per element and the clamped branch passes no gradient.
  auto p = Tensor<T>::from({4}, {T(0), T(1), T(0), T(1)}, true);
  auto t = Tensor<T>::from({4}, {T(1), T(0), T(0), T(1)});
  auto losses = bce_loss(p, t, Reduction::none);
  sum(losses).backward();
  const std::vector<LD> want = {100, 100, 0, 0};
  for (std::size_t i = 0; i < 4; ++i) {
    expect_close<T>(losses.value()(i), want[i], "bce loss " + std::to_string(i));
    EXPECT_TRUE(std::isfinite(p.grad().value()(i))) << i << ": " << p.grad().value()(i);
  }
  // Near but not at the edges the log is live: d/dp = -t/p + (1 - t)/(1 - p), large and finite.
  const T small = std::is_same_v<T, float> ? T(1e-30) : T(1e-40);
  auto q = Tensor<T>::from({2}, {small, T(1) - T(0.25)}, true);
  auto u = Tensor<T>::from({2}, {T(1), T(0)});
  sum(bce_loss(q, u, Reduction::none)).backward();
  expect_close<T>(q.grad().value()(0), -1 / LD(small), "d/dp at p = small, t = 1");
  expect_close<T>(q.grad().value()(1), 1 / (1 - LD(T(0.75))), "d/dp at p = 0.75, t = 0");
}

TYPED_TEST(Stability, DivisionAndLogAtZeroAreRejectedNotInfinite) {
  using T = TypeParam;
  // Outside a loss there is no epsilon to clamp with: the domain check names the op instead.
  auto x = Tensor<T>::from({2}, {T(1), T(0)}, true);
  EXPECT_THROW_WITH(log(x), DomainError, "log", "element (1)");
  EXPECT_THROW_WITH(div(Tensor<T>::ones({2}), x), DomainError, "div", "division by zero");
}

}  // namespace
