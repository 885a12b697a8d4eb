// Elementwise loops over contiguous buffers, with a plain loop for the common broadcasts.
// Header templates: each operation passes its own scalar function, which the loop inlines.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xtensor/xarray.hpp>
#include <xtensor/xnoalias.hpp>

#include "kernels/buffer.hpp"
#include "ops/util.hpp"

namespace xg::kernels {

/// f of every value of a, as one loop into a buffer of a's shape (xtensor's expression
/// machinery costs more than the arithmetic for the small tensors of a scalar chain).
template <class T, class F>
xt::xarray<T> map_values(const char* op, const xt::xarray<T>& a, F f) {
  xt::xarray<T> out = detail::uninitialized_array<T>(op, a.shape());
  const T* in = a.data();
  T* o = out.data();
  for (std::size_t i = 0, n = a.size(); i < n; ++i) o[i] = f(in[i]);
  return out;
}

/// a (op) b with NumPy broadcasting. Equal shapes and the common "repeat over the leading axes"
/// case (bias adds, scalars) run as plain loops over the contiguous buffers; xtensor's general
/// broadcasting is many times slower there. Shapes are already checked.
template <class T, class Op>
xt::xarray<T> broadcast_apply(const char* name, const xt::xarray<T>& a, const xt::xarray<T>& b,
                              Op op) {
  const auto& sa = a.shape();
  const auto& sb = b.shape();
  if (sa == sb) {
    xt::xarray<T> out = detail::uninitialized_array<T>(name, sa);
    std::transform(a.data(), a.data() + a.size(), b.data(), out.data(), op);
    return out;
  }
  if (sa.size() >= sb.size() && detail::repeats_over_leading_axes(sb, sa)) {
    xt::xarray<T> out = detail::uninitialized_array<T>(name, sa);
    const std::size_t inner = b.size();
    const T* pa = a.data();
    T* po = out.data();
    for (std::size_t r = 0; inner != 0 && r < a.size() / inner; ++r) {
      for (std::size_t j = 0; j < inner; ++j)
        po[r * inner + j] = op(pa[r * inner + j], b.data()[j]);
    }
    return out;
  }
  if (sb.size() >= sa.size() && detail::repeats_over_leading_axes(sa, sb)) {
    xt::xarray<T> out = detail::uninitialized_array<T>(name, sb);
    const std::size_t inner = a.size();
    const T* pb = b.data();
    T* po = out.data();
    for (std::size_t r = 0; inner != 0 && r < b.size() / inner; ++r) {
      for (std::size_t j = 0; j < inner; ++j)
        po[r * inner + j] = op(a.data()[j], pb[r * inner + j]);
    }
    return out;
  }
  xt::xarray<T> out = detail::uninitialized_array<T>(name, detail::broadcast_shape(name, sa, sb));
  xt::noalias(out) =
      xt::make_lambda_xfunction([op](const T& x, const T& y) { return op(x, y); }, a, b);
  return out;
}

}  // namespace xg::kernels
