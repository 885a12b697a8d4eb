// Gradient clipping as PyTorch's torch.nn.utils: call between backward() and the optimizer step.
#pragma once

#include <limits>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg::nn {

/// Scales the gradients of `parameters` together so that their total norm (the norm_type-norm
/// of all gradient elements, as if concatenated; infinity for the largest magnitude) is at most
/// max_norm, and returns the total norm before clipping. Parameters without a gradient are
/// skipped. A total norm that is not finite is a DomainError naming it, and no gradient is
/// changed (PyTorch's error_if_nonfinite); so is a max_norm below 0 or a norm_type that is not
/// positive. The scale is max_norm / (total + 1e-6), as in PyTorch, applied only when below 1.
template <class T>
double clip_grad_norm_(const std::vector<Tensor<T>>& parameters, double max_norm,
                       double norm_type = 2.0);

/// Clamps every gradient element of `parameters` into [-clip_value, clip_value]; DomainError for
/// a clip_value below 0 or not finite.
template <class T>
void clip_grad_value_(const std::vector<Tensor<T>>& parameters, double clip_value);

}  // namespace xg::nn
