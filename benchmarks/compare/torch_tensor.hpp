// The libtorch side's one way to make a tensor from the problem's plain vectors, and the
// gradient checksum of cases 16-21 (torch headers only, like every *_torch.cpp).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace compare {

/// A copy of `v` as a float tensor of `shape`.
inline torch::Tensor tensor_of(const std::vector<float>& v, std::vector<std::int64_t> shape,
                               bool requires_grad = false) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32)
      .clone()
      .requires_grad_(requires_grad);
}

/// The sum of squares of every parameter's gradient, in double (a plain loop: no copy).
inline double grad_sum_sq(const std::vector<torch::Tensor>& params) {
  double sum = 0;
  for (const auto& p : params) {
    const auto g = p.grad().contiguous();
    const float* v = g.data_ptr<float>();
    for (std::int64_t i = 0; i < g.numel(); ++i) sum += static_cast<double>(v[i]) * v[i];
  }
  return sum;
}

}  // namespace compare
