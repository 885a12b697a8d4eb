// softmax, log_softmax and logsumexp along the middle axis of an array seen as
// (outer, len, inner), in two passes over each slice: its maximum, then the exponentials of the
// shifted values and their sum (written as they are made), then one scaling pass over the
// output. A non-finite maximum (a slice of -inf, or one holding +inf) is not subtracted, as in
// PyTorch. Rows go to the pool's threads, each computed whole by one of them.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "kernels/fast_math.hpp"
#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"

namespace xg::kernels {

enum class SoftmaxKind { softmax, log_softmax, logsumexp };

namespace detail_softmax {

/// The shift of a slice whose maximum is m.
template <class T>
inline T shift_of(T m) {
  return std::isfinite(m) ? m : T(0);
}

/// One contiguous slice (inner 1). `out` gets the slice's result (len values, or one for
/// logsumexp, which uses `scratch` of len values for the exponentials). Each pass is a plain
/// loop that vectorises; the slice stays in cache between them.
/// With `scale`, softmax's output is multiplied by *scale (logsumexp's backward g * softmax).
template <class T>
[[gnu::always_inline]] inline void softmax_row(const T* x, std::size_t len, T* out,
                                               SoftmaxKind kind, T* scratch,
                                               const T* scale = nullptr) {
  const T max = simd::max(x, len);
  const T m = shift_of(max);
  T* e = kind == SoftmaxKind::logsumexp ? scratch : out;
  if (m == max) {  // every x - m <= 0 (or NaN): the exponential needs no overflow handling
    for (std::size_t i = 0; i < len; ++i) e[i] = xg::detail::exp_nonpositive_of(x[i] - m);
  } else {
    for (std::size_t i = 0; i < len; ++i) e[i] = xg::detail::exp_of(x[i] - m);
  }
  const T s = row_sum(e, len);
  if (kind == SoftmaxKind::softmax) {
    const T inv = (scale ? *scale : T(1)) / s;  // one division per slice, as PyTorch's kernel
    for (std::size_t j = 0; j < len; ++j) out[j] *= inv;
  } else if (kind == SoftmaxKind::log_softmax) {
    const T log_s = xg::detail::log_of(s);
    for (std::size_t j = 0; j < len; ++j) out[j] = (x[j] - m) - log_s;
  } else {
    *out = xg::detail::log_of(s) + m;
  }
}

/// One (len, inner) block whose slices are its columns; m and s are scratch of `inner` values.
/// With `scale` (inner values), softmax's column j is multiplied by scale[j].
template <class T>
[[gnu::always_inline]] inline void softmax_columns(const T* x, std::size_t len, std::size_t inner,
                                                   T* out, SoftmaxKind kind, T* m, T* s,
                                                   const T* scale = nullptr) {
  for (std::size_t j = 0; j < inner; ++j) m[j] = x[j];
  for (std::size_t k = 1; k < len; ++k) {
    for (std::size_t j = 0; j < inner; ++j)
      m[j] = x[k * inner + j] > m[j] ? x[k * inner + j] : m[j];
  }
  for (std::size_t j = 0; j < inner; ++j) {
    m[j] = shift_of(m[j]);
    s[j] = 0;
  }
  for (std::size_t k = 0; k < len; ++k) {
    for (std::size_t j = 0; j < inner; ++j) {
      const T e = xg::detail::exp_of(x[k * inner + j] - m[j]);
      if (kind == SoftmaxKind::softmax) out[k * inner + j] = e;
      s[j] += e;
    }
  }
  if (kind == SoftmaxKind::logsumexp) {
    for (std::size_t j = 0; j < inner; ++j) out[j] = xg::detail::log_of(s[j]) + m[j];
    return;
  }
  if (kind == SoftmaxKind::log_softmax) {
    for (std::size_t j = 0; j < inner; ++j) s[j] = xg::detail::log_of(s[j]);
  } else if (scale) {
    for (std::size_t j = 0; j < inner; ++j) s[j] /= scale[j];
  }
  for (std::size_t k = 0; k < len; ++k) {
    for (std::size_t j = 0; j < inner; ++j) {
      T& o = out[k * inner + j];
      o = kind == SoftmaxKind::softmax ? o / s[j] : (x[k * inner + j] - m[j]) - s[j];
    }
  }
}

/// The backward of one contiguous slice: softmax y * (g - sum(g y)), or log_softmax
/// g - e^y sum(g) (y the forward's output).
template <class T>
[[gnu::always_inline]] inline void softmax_backward_row(const T* g, const T* y, std::size_t len,
                                                        T* out, SoftmaxKind kind) {
  const bool soft = kind == SoftmaxKind::softmax;
  const T s = soft ? simd::dot(g, y, len) : simd::sum(g, len);
  if (soft) {
    for (std::size_t j = 0; j < len; ++j) out[j] = y[j] * (g[j] - s);
  } else {
    for (std::size_t j = 0; j < len; ++j) out[j] = g[j] - xg::detail::exp_of(y[j]) * s;
  }
}

template <class T>
[[gnu::always_inline]] inline void softmax_backward_columns(const T* g, const T* y, std::size_t len,
                                                            std::size_t inner, T* out,
                                                            SoftmaxKind kind, T* s) {
  const bool soft = kind == SoftmaxKind::softmax;
  for (std::size_t j = 0; j < inner; ++j) s[j] = 0;
  for (std::size_t k = 0; k < len; ++k) {
    for (std::size_t j = 0; j < inner; ++j) {
      const std::size_t i = k * inner + j;
      s[j] += soft ? g[i] * y[i] : g[i];
    }
  }
  for (std::size_t k = 0; k < len; ++k) {
    for (std::size_t j = 0; j < inner; ++j) {
      const std::size_t i = k * inner + j;
      out[i] = soft ? y[i] * (g[i] - s[j]) : g[i] - xg::detail::exp_of(y[i]) * s[j];
    }
  }
}

}  // namespace detail_softmax

/// Slices [begin, end) of x seen as (outer, len, inner), len >= 1: softmax or log_softmax along
/// the middle axis into `out` of the same shape, or logsumexp into `out` of shape
/// (outer, inner). One thread's share of softmax_axis.
void softmax_slices(const float* x, std::size_t begin, std::size_t end, std::size_t len,
                    std::size_t inner, float* out, SoftmaxKind kind);
void softmax_slices(const double* x, std::size_t begin, std::size_t end, std::size_t len,
                    std::size_t inner, double* out, SoftmaxKind kind);

/// The gradient of logsumexp for slices [begin, end): g * softmax(x) along the middle axis,
/// with g of shape (outer, inner) (the reduced axis at 1), in one pass over x.
void logsumexp_backward_slices(const float* g, const float* x, std::size_t begin, std::size_t end,
                               std::size_t len, std::size_t inner, float* out);
void logsumexp_backward_slices(const double* g, const double* x, std::size_t begin, std::size_t end,
                               std::size_t len, std::size_t inner, double* out);

/// The gradient of softmax or log_softmax for slices [begin, end), from the incoming gradient g
/// and the forward's output y.
void softmax_backward_slices(const float* g, const float* y, std::size_t begin, std::size_t end,
                             std::size_t len, std::size_t inner, float* out, SoftmaxKind kind);
void softmax_backward_slices(const double* g, const double* y, std::size_t begin, std::size_t end,
                             std::size_t len, std::size_t inner, double* out, SoftmaxKind kind);

/// softmax, log_softmax or logsumexp along the middle axis of x seen as (outer, len, inner),
/// len >= 1, its slices spread over the pool.
template <class T>
void softmax_axis(const T* x, std::size_t outer, std::size_t len, std::size_t inner, T* out,
                  SoftmaxKind kind) {
  parallel_for(
      outer,
      [&](std::size_t begin, std::size_t end) {
        softmax_slices(x, begin, end, len, inner, out, kind);
      },
      rows_per_task(len * inner));
}

/// The gradient of logsumexp along the middle axis of x seen as (outer, len, inner), g of shape
/// (outer, inner).
template <class T>
void logsumexp_backward_axis(const T* g, const T* x, std::size_t outer, std::size_t len,
                             std::size_t inner, T* out) {
  parallel_for(
      outer,
      [&](std::size_t begin, std::size_t end) {
        logsumexp_backward_slices(g, x, begin, end, len, inner, out);
      },
      rows_per_task(len * inner));
}

/// The gradient of softmax or log_softmax along the middle axis of (outer, len, inner) arrays.
template <class T>
void softmax_backward_axis(const T* g, const T* y, std::size_t outer, std::size_t len,
                           std::size_t inner, T* out, SoftmaxKind kind) {
  parallel_for(
      outer,
      [&](std::size_t begin, std::size_t end) {
        softmax_backward_slices(g, y, begin, end, len, inner, out, kind);
      },
      rows_per_task(len * inner));
}

}  // namespace xg::kernels
