// Reductions over all elements (result shape ()) or along one axis.
#pragma once

#include <cstddef>

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
/// log(sum(exp(a))), stable for large values.
template <class T>
Tensor<T> logsumexp(const Tensor<T>& a);
template <class T>
Tensor<T> logsumexp(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims = false);

}  // namespace xg
