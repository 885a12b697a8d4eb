// Normalisation on the tape, as torch.nn.functional's batch_norm and layer_norm: the values are
// centred and scaled by statistics of the tensor itself, and the gradient flows through those
// statistics too (the three-term rule; docs/autograd.md), to any order.
#pragma once

#include "xgrad/tensor.hpp"

namespace xg {

/// Batch normalisation of x of shape (N, C), (N, C, L) or (N, C, H, W) (any rank >= 2), per
/// channel (axis 1) over all other axes: y = (x - mean) / sqrt(var + eps) * weight + bias.
///
/// training: mean and var are the batch's, the variance biased (divided by the count n =
/// N * L...); a batch with one value per channel is refused (DomainError), as PyTorch does. If
/// running_mean and running_var are given they are updated in place, outside the tape (each
/// write bumps their version): running = (1 - momentum) * running + momentum * batch, with the
/// unbiased batch variance (times n / (n - 1)) for running_var. They may be undefined, then
/// only the batch statistics are used.
/// Not training: mean and var are running_mean and running_var, which must be given.
///
/// running_mean, running_var, weight and bias, when given, have shape (C) (ShapeError);
/// weight and bias are optional (undefined tensors: no scale, no shift) and may require grad.
/// The running statistics are state, not inputs: they must not require grad (GraphError) and
/// no gradient flows into them. DomainError unless eps > 0 and 0 <= momentum <= 1.
template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, const Tensor<T>& running_mean,
                     const Tensor<T>& running_var, const Tensor<T>& weight = {},
                     const Tensor<T>& bias = {}, bool training = false, double momentum = 0.1,
                     double eps = 1e-5);

/// Layer normalisation over the last normalized_shape.size() axes of x, which must equal
/// normalized_shape (ShapeError otherwise, and for an empty normalized_shape): each slice over
/// those axes is centred by its mean and divided by sqrt(its biased variance + eps), then
/// multiplied by weight and shifted by bias (optional; of shape normalized_shape).
/// DomainError unless eps > 0.
template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape,
                     const Tensor<T>& weight = {}, const Tensor<T>& bias = {}, double eps = 1e-5);

}  // namespace xg
