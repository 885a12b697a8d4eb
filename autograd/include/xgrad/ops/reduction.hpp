// Reductions over all elements (result shape ()) or along one axis, the index reductions
// argmax / argmin, the statistics var / stddev, and the running sum cumsum.
#pragma once

#include <cstddef>

#include <xtensor/xarray.hpp>

#include "xgrad/tensor.hpp"

namespace xg {

template <class T>
Tensor<T> sum(const Tensor<T>& a);
template <class T>
Tensor<T> sum(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims = false);
template <class T>
Tensor<T> mean(const Tensor<T>& a);
template <class T>
Tensor<T> mean(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims = false);
/// Maximum; ties share the gradient evenly.
template <class T>
Tensor<T> max(const Tensor<T>& a);
template <class T>
Tensor<T> max(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims = false);
/// Minimum; ties share the gradient evenly (as max).
template <class T>
Tensor<T> min(const Tensor<T>& a);
template <class T>
Tensor<T> min(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims = false);

/// The row-major (flat) index of the first maximum of a non-empty tensor; a NaN counts as the
/// maximum (PyTorch). Not differentiable: indices, not a tensor.
template <class T>
std::size_t argmax(const Tensor<T>& a);
/// The index along `axis` of each slice's first maximum (NaN counts as the maximum), of the
/// shape of max(a, axis, keepdims): with keepdims it is what gather(a, axis, index) takes.
template <class T>
xt::xarray<std::size_t> argmax(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims = false);
/// argmax's counterpart for the minimum (first minimum; NaN counts as the minimum).
template <class T>
std::size_t argmin(const Tensor<T>& a);
template <class T>
xt::xarray<std::size_t> argmin(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims = false);

/// Variance of all elements: sum((a - mean)^2) / (n - 1), or / n when not `unbiased`.
/// Unbiased of a single element is a DomainError (PyTorch gives NaN).
template <class T>
Tensor<T> var(const Tensor<T>& a, bool unbiased = true);
/// Variance along `axis`; unbiased with one element along the axis is a DomainError.
template <class T>
Tensor<T> var(const Tensor<T>& a, std::ptrdiff_t axis, bool unbiased = true, bool keepdims = false);
/// var(a, 1) names axis 1 (an int would otherwise be ambiguous between axis and `unbiased`).
template <class T>
Tensor<T> var(const Tensor<T>& a, int axis, bool unbiased = true, bool keepdims = false) {
  return var(a, static_cast<std::ptrdiff_t>(axis), unbiased, keepdims);
}
/// Standard deviation, sqrt(var) (PyTorch's torch::std; `std` cannot name a function here).
/// Its gradient is infinite where the variance is 0: backward then throws DomainError.
template <class T>
Tensor<T> stddev(const Tensor<T>& a, bool unbiased = true);
template <class T>
Tensor<T> stddev(const Tensor<T>& a, std::ptrdiff_t axis, bool unbiased = true,
                 bool keepdims = false);
template <class T>
Tensor<T> stddev(const Tensor<T>& a, int axis, bool unbiased = true, bool keepdims = false) {
  return stddev(a, static_cast<std::ptrdiff_t>(axis), unbiased, keepdims);
}

/// Running sum along `axis`: out[..., i, ...] = sum of a[..., 0..i, ...]. Same shape as a.
template <class T>
Tensor<T> cumsum(const Tensor<T>& a, std::ptrdiff_t axis);

/// log(sum(exp(a))), stable for large values.
template <class T>
Tensor<T> logsumexp(const Tensor<T>& a);
template <class T>
Tensor<T> logsumexp(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims = false);

}  // namespace xg
