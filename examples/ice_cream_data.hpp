// The ice-cream shop: predict daily revenue from temperature and day of the week with a 2-2-1
// ReLU network (9 parameters). The rows are made by a "true" network whose output bias is 0.3
// (the optimum a brute-force scan finds), plus a little noise. Inputs and revenue are scaled to [0,
// 1].
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "xgrad/autograd.hpp"

namespace ice_cream {

constexpr std::size_t kRows = 10;

// Temperature (deg C) and weekday (0 = Monday ... 6 = Sunday) of the 10 training days.
constexpr std::array<double, kRows> kTemperature = {18, 22, 25, 30, 33, 15, 28, 35, 20, 26};
constexpr std::array<double, kRows> kWeekday = {0, 1, 2, 3, 4, 5, 6, 5, 6, 0};
// Small deterministic noise added to the true network's revenue.
constexpr std::array<double, kRows> kNoise = {0.010,  -0.012, 0.006,  -0.004, 0.009,
                                              -0.007, 0.003,  -0.010, 0.012,  -0.006};

/// The 9 parameters: hidden weights (2 inputs x 2 neurons), hidden biases, output weights, bias.
template <class T>
struct Params {
  xg::Tensor<T> w_hidden, b_hidden, w_out, b_out;
};

/// The parameters the data were generated with (the optimal values).
template <class T>
Params<T> true_params(bool requires_grad = false) {
  using Tn = xg::Tensor<T>;
  return {Tn::from({2, 2}, {T(1.2), T(-0.6), T(0.4), T(0.9)}, requires_grad),
          Tn::from({2}, {T(-0.3), T(0.1)}, requires_grad),
          Tn::from({2, 1}, {T(0.8), T(-0.5)}, requires_grad),
          Tn::from({1}, {T(0.3)}, requires_grad)};
}

/// Scaled inputs (10, 2): temperature / 40 and weekday / 6.
template <class T>
xg::Tensor<T> inputs() {
  std::vector<T> v;
  for (std::size_t i = 0; i < kRows; ++i) {
    v.push_back(static_cast<T>(kTemperature[i] / 40.0));
    v.push_back(static_cast<T>(kWeekday[i] / 6.0));
  }
  return xg::Tensor<T>::from({kRows, 2}, v);
}

// snippet-begin: predict
/// Forward pass: relu(relu(x W1 + b1) W2 + b2), shape (rows, 1).
template <class T>
xg::Tensor<T> predict(const Params<T>& p, const xg::Tensor<T>& x) {
  auto hidden = xg::relu(xg::matmul(x, p.w_hidden) + p.b_hidden);
  return xg::relu(xg::matmul(hidden, p.w_out) + p.b_out);
}
// snippet-end: predict

/// Revenue targets (10, 1): the true network's output plus the fixed noise.
template <class T>
xg::Tensor<T> targets() {
  xg::NoGradGuard no_grad;
  auto clean = predict(true_params<T>(), inputs<T>());
  auto v = clean.value();
  for (std::size_t i = 0; i < kRows; ++i) v(i, 0) += static_cast<T>(kNoise[i]);
  return xg::Tensor<T>(v);
}

}  // namespace ice_cream
