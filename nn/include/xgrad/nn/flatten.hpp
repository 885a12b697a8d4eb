// Flatten: torch.nn.Flatten, axes start..end (both included) collapsed into one; by default
// everything but the batch axis, so a conv stack's (N, C, H, W) feeds a Linear as (N, C H W).
#pragma once

#include <cstddef>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

template <class T = float>
class Flatten : public Module<T> {
 public:
  explicit Flatten(std::ptrdiff_t start_axis = 1, std::ptrdiff_t end_axis = -1)
      : start_(start_axis), end_(end_axis) {}
  /// xg::flatten(x, start, end); ShapeError for an axis that x does not have.
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Flatten"; }
  /// "start_dim=1, end_dim=-1", as PyTorch's.
  std::string extra_repr() const override;

 private:
  std::ptrdiff_t start_, end_;
};

}  // namespace xg::nn
