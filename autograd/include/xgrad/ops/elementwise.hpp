// Elementwise operations. Binary operations broadcast with NumPy rules; the engine sums each
// gradient back to its input's shape. Shapes that cannot broadcast throw xg::ShapeError.
#pragma once

#include <type_traits>

#include <xtensor/xarray.hpp>

#include "xgrad/tensor.hpp"

namespace xg {

template <class T>
using scalar_t = std::type_identity_t<T>;  // keeps `t * 2.0` from deducing T from the literal

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b);
/// Throws DomainError if b holds a zero.
template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> neg(const Tensor<T>& a);

// Tensor-scalar forms (no broadcasting node for the scalar).
template <class T>
Tensor<T> add(const Tensor<T>& a, scalar_t<T> s);
template <class T>
Tensor<T> mul(const Tensor<T>& a, scalar_t<T> s);
/// s - a
template <class T>
Tensor<T> rsub(scalar_t<T> s, const Tensor<T>& a);
/// a / s; throws DomainError if s is zero.
template <class T>
Tensor<T> div(const Tensor<T>& a, scalar_t<T> s);
/// s / a; throws DomainError if a holds a zero.
template <class T>
Tensor<T> rdiv(scalar_t<T> s, const Tensor<T>& a);

/// a^p. Throws DomainError for a negative base with a non-integer exponent, or a zero base with
/// a negative exponent.
template <class T>
Tensor<T> pow(const Tensor<T>& a, scalar_t<T> p);
/// a^b elementwise (broadcasting). Needs a > 0 wherever b requires grad (d/db = a^b log a).
template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> exp(const Tensor<T>& a);
/// Natural log; throws DomainError naming the first non-positive element.
template <class T>
Tensor<T> log(const Tensor<T>& a);
/// Throws DomainError naming the first negative element.
template <class T>
Tensor<T> sqrt(const Tensor<T>& a);
/// Gradient sign(a) (0 at 0).
template <class T>
Tensor<T> abs(const Tensor<T>& a);
/// Limits to [lo, hi]; gradient 1 on [lo, hi] (bounds included, as in PyTorch), 0 outside.
template <class T>
Tensor<T> clamp(const Tensor<T>& a, scalar_t<T> lo, scalar_t<T> hi);
/// Elementwise max/min; on ties the gradient is split evenly.
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);
/// cond ? a : b elementwise; cond, a and b broadcast together.
template <class T>
Tensor<T> where(const xt::xarray<bool>& cond, const Tensor<T>& a, const Tensor<T>& b);

// Operators.
template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) {
  return add(a, b);
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) {
  return sub(a, b);
}
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) {
  return mul(a, b);
}
template <class T>
Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) {
  return div(a, b);
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a) {
  return neg(a);
}
template <class T>
Tensor<T> operator+(const Tensor<T>& a, scalar_t<T> s) {
  return add(a, s);
}
template <class T>
Tensor<T> operator+(scalar_t<T> s, const Tensor<T>& a) {
  return add(a, s);
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a, scalar_t<T> s) {
  return add(a, -s);
}
template <class T>
Tensor<T> operator-(scalar_t<T> s, const Tensor<T>& a) {
  return rsub(s, a);
}
template <class T>
Tensor<T> operator*(const Tensor<T>& a, scalar_t<T> s) {
  return mul(a, s);
}
template <class T>
Tensor<T> operator*(scalar_t<T> s, const Tensor<T>& a) {
  return mul(a, s);
}
template <class T>
Tensor<T> operator/(const Tensor<T>& a, scalar_t<T> s) {
  return div(a, s);
}
template <class T>
Tensor<T> operator/(scalar_t<T> s, const Tensor<T>& a) {
  return rdiv(s, a);
}

}  // namespace xg
