// Helpers shared by the autograd tests.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "xgrad/autograd.hpp"

namespace xg::test {

/// A leaf of the given shape with uniform values in [lo, hi), from a fixed seed.
template <class T>
Tensor<T> uniform(const Shape& shape, double lo = -1.0, double hi = 1.0, unsigned seed = 7,
                  bool requires_grad = true) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return Tensor<T>::from(shape, v, requires_grad);
}

/// Asserts that gradcheck<T>(f, inputs[, options]) passes, printing its diagnosis otherwise.
#define EXPECT_GRADCHECK(T, ...)                       \
  do {                                                 \
    auto xg_result_ = ::xg::gradcheck<T>(__VA_ARGS__); \
    EXPECT_TRUE(xg_result_.ok) << xg_result_.message;  \
    EXPECT_GT(xg_result_.checked, 0u);                 \
  } while (0)

#define EXPECT_GRADGRADCHECK(T, ...)                       \
  do {                                                     \
    auto xg_result_ = ::xg::gradgradcheck<T>(__VA_ARGS__); \
    EXPECT_TRUE(xg_result_.ok) << xg_result_.message;      \
    EXPECT_GT(xg_result_.checked, 0u);                     \
  } while (0)

}  // namespace xg::test
