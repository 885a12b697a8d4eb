// Backward operations: the derivative of an operation whose rule has a fast loop is an operation
// in its own right (PyTorch's pattern, e.g. sigmoid_backward in derivatives.yaml). The forward
// op's rule is then one line, the same with and without create_graph: grad mode off computes
// values only, grad mode on records the backward op, whose own rule (written with operations)
// gives the second derivative.
//
// `grad` is dLoss/dOutput of the forward op; each function returns dLoss/dInput.
#pragma once

#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/elementwise.hpp"

namespace xg {

/// grad * y * (1 - y), with y = sigmoid(x) the forward op's output.
template <class T>
Tensor<T> sigmoid_backward(const Tensor<T>& grad, const Tensor<T>& output);

/// grad * (1 - y^2), with y = tanh(x) the forward op's output.
template <class T>
Tensor<T> tanh_backward(const Tensor<T>& grad, const Tensor<T>& output);

/// grad where input > threshold, else exactly 0: relu's backward (threshold 0).
template <class T>
Tensor<T> threshold_backward(const Tensor<T>& grad, const Tensor<T>& input,
                             scalar_t<T> threshold = 0);

/// grad times input's share of maximum(input, other): grad where input > other or either is
/// NaN, grad / 2 where they are equal, 0 where other is bigger. All three of one shape.
template <class T>
Tensor<T> maximum_backward(const Tensor<T>& grad, const Tensor<T>& input, const Tensor<T>& other);

/// minimum's counterpart of maximum_backward: grad where input < other (or NaN), grad / 2 on a
/// tie, 0 where other is smaller.
template <class T>
Tensor<T> minimum_backward(const Tensor<T>& grad, const Tensor<T>& input, const Tensor<T>& other);

/// grad / (2 y), with y = sqrt(x) the forward op's output (DomainError where y is 0).
template <class T>
Tensor<T> sqrt_backward(const Tensor<T>& grad, const Tensor<T>& output);

/// grad where input > 0, else grad * (y + alpha), with y = elu(input, alpha) the forward op's
/// output (alpha e^x = y + alpha there).
template <class T>
Tensor<T> elu_backward(const Tensor<T>& grad, const Tensor<T>& input, const Tensor<T>& output,
                       scalar_t<T> alpha);

/// grad where beta * input > threshold (softplus is linear there), else
/// grad * sigmoid(beta * input).
template <class T>
Tensor<T> softplus_backward(const Tensor<T>& grad, const Tensor<T>& input, scalar_t<T> beta,
                            scalar_t<T> threshold);

/// grad * gelu'(input): Phi(x) + x phi(x), or the derivative of the tanh form.
template <class T>
Tensor<T> gelu_backward(const Tensor<T>& grad, const Tensor<T>& input,
                        GeluApproximation approximate);

/// y * (grad - sum(grad * y, axis)), with y = softmax(x, axis) the forward op's output.
template <class T>
Tensor<T> softmax_backward(const Tensor<T>& grad, const Tensor<T>& output, std::ptrdiff_t axis);

/// grad - exp(y) * sum(grad, axis), with y = log_softmax(x, axis) the forward op's output.
template <class T>
Tensor<T> log_softmax_backward(const Tensor<T>& grad, const Tensor<T>& output, std::ptrdiff_t axis);

/// grad * sign(input), 0 where input is 0 (or NaN): the gradient of abs.
template <class T>
Tensor<T> abs_backward(const Tensor<T>& grad, const Tensor<T>& input);

/// grad * softmax(input, axis): the gradient of logsumexp(input, axis), with `grad` of input's
/// shape but 1 along the axis (the forward's output kept as keepdims), in one pass over input.
template <class T>
Tensor<T> logsumexp_backward(const Tensor<T>& grad, const Tensor<T>& input, std::ptrdiff_t axis);

/// d/dpred of scale * (pred - target)^2: 2 * scale * grad * (pred - target). `grad` is 0-d
/// (the loss was summed) or of pred's shape (elementwise losses).
template <class T>
Tensor<T> mse_loss_backward(const Tensor<T>& grad, const Tensor<T>& pred, const Tensor<T>& target,
                            scalar_t<T> scale);

/// d/dprob of -scale * (t log p + (1 - t) log(1 - p)), logs clamped at -100:
/// scale * grad * ((1 - t) / (1 - p) - t / p), with 1/x read as 0 where the log is clamped.
/// `grad` is 0-d or of prob's shape.
template <class T>
Tensor<T> bce_loss_backward(const Tensor<T>& grad, const Tensor<T>& prob, const Tensor<T>& target,
                            scalar_t<T> scale);

}  // namespace xg
