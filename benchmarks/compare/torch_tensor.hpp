// The libtorch side's one way to make a tensor from the problem's plain vectors (torch headers
// only, like every *_torch.cpp).
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

}  // namespace compare
