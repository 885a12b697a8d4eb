// What the xgrad side of cases 16-21 shares: the gradient checksum (compare.hpp,
// keep_first_step_checksum) and loading the problem's initial values; xgrad headers only.
#pragma once

#include <algorithm>
#include <vector>

#include "xgrad/tensor.hpp"

namespace compare {

/// The sum of squares of every parameter's gradient, in double (a plain loop: no copy).
inline double grad_sum_sq(const std::vector<xg::Tensor<float>>& params) {
  double sum = 0;
  for (const auto& p : params) {
    for (const float v : p.grad().value()) sum += static_cast<double>(v) * v;
  }
  return sum;
}

/// Overwrites t's values with v (the problem's initial weights, in xgrad's layout).
inline void set(xg::Tensor<float>& t, const std::vector<float>& v) {
  std::copy(v.begin(), v.end(), t.mutable_value().begin());
}

}  // namespace compare
