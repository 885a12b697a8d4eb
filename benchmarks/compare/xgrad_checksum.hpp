// The xgrad side's gradient checksum of cases 16-21 (compare.hpp, keep_first_step_checksum);
// xgrad headers only.
#pragma once

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

}  // namespace compare
