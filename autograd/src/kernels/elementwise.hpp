// Elementwise loops over contiguous buffers, split over the pool's threads for large tensors.
// Header templates: each operation passes its own scalar function, which the loop inlines (and
// the compiler vectorises where the function allows it). Each loop body first copies what it
// reads (pointers and the function with its captured scalars) into locals: read through the
// enclosing closure, a captured float could alias the floats the loop stores, and GCC would not
// vectorise the loop.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xtensor/xarray.hpp>

#include "kernels/broadcast_plan.hpp"
#include "kernels/buffer.hpp"
#include "kernels/parallel.hpp"
#include "ops/util.hpp"

namespace xg::kernels {

/// o[i] = f(in[i]) for i in [0, n), in parallel for large n. `o` may be `in`.
template <class T, class F>
void map(const T* in, T* o, std::size_t n, F f) {
  parallel_for(n, [&](std::size_t begin, std::size_t end) {
    const T* src = in;
    T* dst = o;
    const F fn = f;
    for (std::size_t i = begin; i < end; ++i) dst[i] = fn(src[i]);
  });
}

/// o[i] = f(a[i], b[i]) for i in [0, n), in parallel for large n. `o` may be `a` or `b`.
template <class T, class F>
void zip(const T* a, const T* b, T* o, std::size_t n, F f) {
  parallel_for(n, [&](std::size_t begin, std::size_t end) {
    const T* pa = a;
    const T* pb = b;
    T* dst = o;
    const F fn = f;
    for (std::size_t i = begin; i < end; ++i) dst[i] = fn(pa[i], pb[i]);
  });
}

/// f of every value of a, into a new buffer of a's shape.
template <class T, class F>
xt::xarray<T> map_values(const char* op, const xt::xarray<T>& a, F f) {
  xt::xarray<T> out = detail::uninitialized_array<T>(op, a.shape());
  map(a.data(), out.data(), a.size(), f);
  return out;
}

/// kernel(x, out, n) over a's values into a new buffer of a's shape, in parallel chunks for large
/// arrays (for kernels compiled on their own, such as the target_clones loops).
template <class T, class Kernel>
xt::xarray<T> kernel_values(const char* op, const xt::xarray<T>& a, Kernel kernel) {
  xt::xarray<T> out = detail::uninitialized_array<T>(op, a.shape());
  const T* in = a.data();
  T* o = out.data();
  parallel_for(a.size(), [&](std::size_t b, std::size_t e) { kernel(in + b, o + b, e - b); });
  return out;
}

/// piece(r, j0, j1) for the pieces [j0, j1) of the plan's runs r, spread over the pool as one
/// flat range of the result's elements, so that one long run (a scalar broadcast over a whole
/// tensor) is split as well as many short ones.
template <class Piece>
void for_each_run_piece(const BroadcastPlan& plan, Piece&& piece) {
  const std::size_t inner = plan.inner;
  parallel_for(plan.rows * inner, [&](std::size_t begin, std::size_t end) {
    for (std::size_t r = begin / inner; r * inner < end; ++r) {
      const std::size_t start = r * inner;
      piece(r, std::max(begin, start) - start, std::min(end, start + inner) - start);
    }
  });
}

/// a (op) b with NumPy broadcasting, as loops over contiguous runs (BroadcastPlan): a run of one
/// operand against a run, or against one repeated value, of the other. Shapes are already
/// checked.
template <class T, class Op>
xt::xarray<T> broadcast_apply(const char* name, const xt::xarray<T>& a, const xt::xarray<T>& b,
                              Op op) {
  const auto& sa = a.shape();
  const auto& sb = b.shape();
  if (sa == sb) {
    xt::xarray<T> out = detail::uninitialized_array<T>(name, sa);
    zip(a.data(), b.data(), out.data(), a.size(), op);
    return out;
  }
  xt::xarray<T> out = detail::uninitialized_array<T>(name, detail::broadcast_shape(name, sa, sb));
  if (out.size() == 0) return out;
  const BroadcastPlan plan(sa, sb, out.shape());
  const T* pa = a.data();
  const T* pb = b.data();
  T* po = out.data();
  const bool a_run = plan.a_run, b_run = plan.b_run;
  for_each_run_piece(plan, [&](std::size_t r, std::size_t j0, std::size_t j1) {
    const Op f = op;
    const auto [ia, ib] = plan.offsets(r);
    const T* ra = pa + ia;
    const T* rb = pb + ib;
    T* ro = po + r * plan.inner;
    if (a_run && b_run) {
      for (std::size_t j = j0; j < j1; ++j) ro[j] = f(ra[j], rb[j]);
    } else if (a_run) {
      const T y = *rb;
      for (std::size_t j = j0; j < j1; ++j) ro[j] = f(ra[j], y);
    } else if (b_run) {
      const T x = *ra;
      for (std::size_t j = j0; j < j1; ++j) ro[j] = f(x, rb[j]);
    } else {
      const T v = f(*ra, *rb);
      for (std::size_t j = j0; j < j1; ++j) ro[j] = v;
    }
  });
  return out;
}

/// a repeated to `out`'s shape (a broadcast of a's shape), as copies of contiguous runs.
template <class T>
void broadcast_copy(const xt::xarray<T>& a, xt::xarray<T>& out) {
  if (out.size() == 0) return;
  const BroadcastPlan plan(a.shape(), a.shape(), out.shape());
  const T* pa = a.data();
  T* po = out.data();
  for_each_run_piece(plan, [&](std::size_t r, std::size_t j0, std::size_t j1) {
    const T* ra = pa + plan.offsets(r).first;
    T* ro = po + r * plan.inner;
    if (plan.a_run) {
      std::copy(ra + j0, ra + j1, ro + j0);
    } else {
      std::fill(ro + j0, ro + j1, *ra);
    }
  });
}

}  // namespace xg::kernels
