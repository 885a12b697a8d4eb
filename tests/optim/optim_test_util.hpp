// Helpers shared by the optim tests: a quadratic whose gradient is known in closed form, a
// runner that records the parameter after each optimizer step, and tolerant comparisons (TempDir
// and EXPECT_THROW_WITH come from test_support.hpp).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "test_support.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/optim.hpp"

namespace xg::optim_test {

using Trace = std::vector<std::vector<double>>;

/// loss(w) = sum(0.5 a w^2 + b w), so dloss/dw = a w + b elementwise: the gradient at every step
/// of a trace is known without calling the library, and it changes as w moves.
struct Quadratic {
  std::vector<double> w0, a, b;

  std::vector<double> grad(const std::vector<double>& w) const {
    std::vector<double> g(w.size());
    for (std::size_t k = 0; k < w.size(); ++k) g[k] = a[k] * w[k] + b[k];
    return g;
  }
};

/// The problem most traces use: three elements with different curvatures and signs.
inline const Quadratic kProblem{{1.0, -2.0, 0.5}, {1.0, 2.0, 3.0}, {0.5, -1.0, 0.0}};

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <class T>
Tensor<T> parameter(const std::vector<double>& values) {
  return Tensor<T>::from({values.size()}, cast<T>(values), /*requires_grad=*/true);
}

template <class T>
std::vector<double> values_of(const Tensor<T>& t) {
  return std::vector<double>(t.value().begin(), t.value().end());
}

/// The quadratic's loss, recorded on the tape (backward yields a w + b up to rounding).
template <class T>
Tensor<T> quadratic_loss(const Tensor<T>& w, const Quadratic& q) {
  const auto a = Tensor<T>::from({q.a.size()}, cast<T>(q.a));
  const auto b = Tensor<T>::from({q.b.size()}, cast<T>(q.b));
  return sum(a * w * w) * T(0.5) + sum(b * w);
}

/// zero_grad, backward of the quadratic, step; the parameter's value after each step.
template <class T>
Trace run(optim::Optimizer<T>& opt, const Tensor<T>& w, const Quadratic& q, std::size_t steps) {
  Trace trace;
  for (std::size_t s = 0; s < steps; ++s) {
    opt.zero_grad();
    quadratic_loss(w, q).backward();
    opt.step();
    trace.push_back(values_of(w));
  }
  return trace;
}

/// ~1e-12 in double, ~1e-6 in float (relative to the value's magnitude when above 1).
template <class T>
double tolerance() {
  return std::is_same_v<T, double> ? 1e-12 : 1e-6;
}

template <class T>
void expect_trace_near(const Trace& actual, const Trace& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t s = 0; s < expected.size(); ++s) {
    ASSERT_EQ(actual[s].size(), expected[s].size());
    for (std::size_t k = 0; k < expected[s].size(); ++k) {
      const double tol = tolerance<T>() * std::max(1.0, std::abs(expected[s][k]));
      EXPECT_NEAR(actual[s][k], expected[s][k], tol) << "step " << s + 1 << ", element " << k;
    }
  }
}

/// A trace that barely moves would make a weak test: every element must have moved.
inline void expect_moves(const Trace& expected, const std::vector<double>& w0) {
  for (std::size_t k = 0; k < w0.size(); ++k) {
    EXPECT_GT(std::abs(expected.back()[k] - w0[k]), 1e-3) << "element " << k;
  }
}

}  // namespace xg::optim_test
