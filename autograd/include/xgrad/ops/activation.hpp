// Activation functions (the nn module wraps them as layers).
#pragma once

#include <cstddef>

#include "xgrad/ops/elementwise.hpp"

namespace xg {

/// Heaviside step: 1 where a > threshold, else 0. Its gradient is zero everywhere.
template <class T>
Tensor<T> step(const Tensor<T>& a, scalar_t<T> threshold = 0);
/// Piecewise linear: clamp to [lo, hi]; gradient 1 inside, 0 outside.
template <class T>
Tensor<T> hardtanh(const Tensor<T>& a, scalar_t<T> lo = -1, scalar_t<T> hi = 1);
/// 1 / (1 + e^-a), computed without overflow; backward uses the output: s(1 - s).
template <class T>
Tensor<T> sigmoid(const Tensor<T>& a);
/// Backward uses the output: 1 - t^2.
template <class T>
Tensor<T> tanh(const Tensor<T>& a);
template <class T>
Tensor<T> relu(const Tensor<T>& a);
/// a for a > 0, slope * a otherwise.
template <class T>
Tensor<T> leaky_relu(const Tensor<T>& a, scalar_t<T> slope = scalar_t<T>(0.01));
/// a for a > 0, alpha (e^a - 1) otherwise.
template <class T>
Tensor<T> elu(const Tensor<T>& a, scalar_t<T> alpha = 1);
/// log(1 + e^(beta a)) / beta, linear above `threshold` (PyTorch's definition).
template <class T>
Tensor<T> softplus(const Tensor<T>& a, scalar_t<T> beta = 1, scalar_t<T> threshold = 20);
/// Which GELU: the exact x Phi(x), or PyTorch's approximate="tanh" form
/// x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.
enum class GeluApproximation { none, tanh };
/// Gaussian error linear unit x Phi(x), Phi the standard normal CDF (or its tanh approximation).
template <class T>
Tensor<T> gelu(const Tensor<T>& a, GeluApproximation approximate = GeluApproximation::none);
/// x sigmoid(x) (also called swish).
template <class T>
Tensor<T> silu(const Tensor<T>& a);
/// Softmax along `axis` (negative counts from the end), stable for large logits.
template <class T>
Tensor<T> softmax(const Tensor<T>& a, std::ptrdiff_t axis = -1);
/// log(softmax) along `axis`, computed as a - logsumexp(a).
template <class T>
Tensor<T> log_softmax(const Tensor<T>& a, std::ptrdiff_t axis = -1);

}  // namespace xg
