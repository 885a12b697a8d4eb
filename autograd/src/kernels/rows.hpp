// Loops over the rows, columns or one axis of contiguous row-major arrays, split over the pool's
// threads for large arrays so that each result is computed whole by one thread (the same bits
// for any thread count).
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/simd.hpp"

namespace xg::kernels {

/// Rows per task when each row holds `row` elements.
inline std::size_t rows_per_task(std::size_t row) {
  return std::max<std::size_t>(1, kParallelMinElements / std::max<std::size_t>(row, 1));
}

/// The sum of x[0, n), in SIMD lanes (kernels/simd.hpp).
template <class T>
inline T row_sum(const T* x, std::size_t n) {
  return simd::sum(x, n);
}

/// part(begin, end) summed over [0, n): one call for small n, else one per fixed chunk of
/// kReductionChunk elements (the same bits for any thread count), whose results are then added
/// up with row_sum.
template <class T, class Part>
inline T chunked_sum(std::size_t n, Part part) {
  if (n <= kReductionChunk) return part(std::size_t{0}, n);
  std::vector<T> partial((n + kReductionChunk - 1) / kReductionChunk);
  for_each_chunk(n, kReductionChunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
    partial[c] = part(begin, end);
  });
  return row_sum(partial.data(), partial.size());
}

/// The sum of x[0, n).
template <class T>
inline T sum_all(const T* x, std::size_t n) {
  return chunked_sum<T>(
      n, [x](std::size_t begin, std::size_t end) { return row_sum(x + begin, end - begin); });
}

/// Adds the row b[0, n) to each of the `rows` rows of y.
template <class T>
inline void add_row_to_rows(const T* b, std::size_t n, std::size_t rows, T* y) {
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < n; ++j) y[r * n + j] += b[j];
  }
}

namespace detail_rows {

/// sum[j] = the sum over r of term(r * ld + j), j in [0, n), each column added in row order. A
/// block of columns at a time is accumulated on the stack, row by row: each row's block is read
/// once, contiguously, and the adds vectorise across columns.
template <class T, class Term>
[[gnu::always_inline]] inline void column_sums_of(std::size_t rows, std::size_t n, std::size_t ld,
                                                  T* sum, Term term) {
  constexpr std::size_t kBlock = 256;
  if (rows == 0) {
    std::fill(sum, sum + n, T(0));
    return;
  }
  if (n < 8) {  // a few columns (a small layer's bias gradient): one register each, same order
    for (std::size_t j = 0; j < n; ++j) {
      T acc = term(j);
      for (std::size_t r = 1; r < rows; ++r) acc += term(r * ld + j);
      sum[j] = acc;
    }
    return;
  }
  for (std::size_t j0 = 0; j0 < n; j0 += kBlock) {
    const std::size_t w = std::min(kBlock, n - j0);
    T acc[kBlock];
    for (std::size_t j = 0; j < w; ++j) acc[j] = term(j0 + j);
    for (std::size_t r = 1; r < rows; ++r) {
      const std::size_t row = r * ld + j0;
      for (std::size_t j = 0; j < w; ++j) acc[j] += term(row + j);
    }
    std::copy(acc, acc + w, sum + j0);
  }
}

/// out[o, i] = the sum over r of the terms at [o, r, i] of an array of shape (outer, len, inner):
/// row(offset, len) sums a contiguous run (inner 1), term(offset) is one element.
template <class T, class Row, class Term>
[[gnu::always_inline]] inline void axis_sums_of(std::size_t outer, std::size_t len,
                                                std::size_t inner, T* out, Row row, Term term) {
  if (inner == 1) {
    parallel_for(
        outer,
        [&](std::size_t begin, std::size_t end) {
          for (std::size_t o = begin; o < end; ++o) out[o] = row(o * len, len);
        },
        rows_per_task(len));
    return;
  }
  if (outer == 1) {
    // One block of columns per task: each column is summed whole by one task.
    parallel_for(
        inner,
        [&](std::size_t begin, std::size_t end) {
          column_sums_of<T>(len, end - begin, inner, out + begin,
                            [&](std::size_t k) { return term(begin + k); });
        },
        std::max<std::size_t>(16, rows_per_task(len)));
    return;
  }
  parallel_for(
      outer,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t o = begin; o < end; ++o) {
          const std::size_t at = o * len * inner;
          column_sums_of<T>(len, inner, inner, out + o * inner,
                            [&](std::size_t k) { return term(at + k); });
        }
      },
      rows_per_task(len * inner));
}

}  // namespace detail_rows

/// sum[j] = the sum of column j of the (rows, n) matrix src whose rows start `ld` apart, each
/// column added in row order.
template <class T>
inline void column_sums(const T* src, std::size_t rows, std::size_t n, std::size_t ld, T* sum) {
  detail_rows::column_sums_of<T>(rows, n, ld, sum, [src](std::size_t k) { return src[k]; });
}

template <class T>
inline void column_sums(const T* src, std::size_t rows, std::size_t n, T* sum) {
  column_sums(src, rows, n, n, sum);
}

/// out[o, i] = the sum over r of src[o, r, i], src of shape (outer, len, inner): a sum along one
/// axis. Along the last axis (inner 1) each row is a row_sum; otherwise each column is summed in
/// the order of the axis.
template <class T>
inline void axis_sums(const T* src, std::size_t outer, std::size_t len, std::size_t inner, T* out) {
  detail_rows::axis_sums_of<T>(
      outer, len, inner, out, [src](std::size_t at, std::size_t n) { return row_sum(src + at, n); },
      [src](std::size_t k) { return src[k]; });
}

/// out[m] = the sum over o and i of src[o, m, i], src of shape (outer, mid, inner): every axis
/// but a middle one summed away (a convolution's bias gradient) in one pass in memory order,
/// each out[m] the sum of its runs' row_sums in the order of o. A range of m per task.
template <class T>
inline void middle_axis_sums(const T* src, std::size_t outer, std::size_t mid, std::size_t inner,
                             T* out) {
  parallel_for(
      mid,
      [&](std::size_t m0, std::size_t m1) {
        std::fill(out + m0, out + m1, T(0));
        for (std::size_t o = 0; o < outer; ++o) {
          const T* slice = src + (o * mid + m0) * inner;
          for (std::size_t m = m0; m < m1; ++m) out[m] += row_sum(slice + (m - m0) * inner, inner);
        }
      },
      rows_per_task(outer * inner));
}

/// out[o, i] = the sum over r of a[o, r, i] * b[o, r, i]: axis_sums of the product a * b, without
/// writing the product (the gradient of a broadcast factor).
template <class T>
inline void product_axis_sums(const T* a, const T* b, std::size_t outer, std::size_t len,
                              std::size_t inner, T* out) {
  detail_rows::axis_sums_of<T>(
      outer, len, inner, out,
      [a, b](std::size_t at, std::size_t n) { return simd::dot(a + at, b + at, n); },
      [a, b](std::size_t k) { return a[k] * b[k]; });
}

/// axis_max_with_shares for one contiguous slice: no branch per element, so each pass vectorises.
template <class T>
inline void row_max_with_shares(const T* x, std::size_t len, T* max, T* share) {
  T best = x[0];
  bool nan = false;
  for (std::size_t k = 0; k < len; ++k) {
    best = x[k] > best ? x[k] : best;
    nan |= x[k] != x[k];
  }
  if (nan) best = std::numeric_limits<T>::quiet_NaN();
  std::size_t ties = 0;
  for (std::size_t k = 0; k < len; ++k) {
    const bool at_max = nan ? x[k] != x[k] : x[k] == best;
    share[k] = at_max ? T(1) : T(0);
    ties += at_max;
  }
  if (ties != 1) {
    for (std::size_t k = 0; k < len; ++k) share[k] /= static_cast<T>(ties);
  }
  *max = best;
}

template <class T>
inline void axis_max_with_shares_serial(const T* x, std::size_t outer, std::size_t len,
                                        std::size_t inner, T* max, T* share) {
  if (inner == 1) {
    for (std::size_t o = 0; o < outer; ++o)
      row_max_with_shares(x + o * len, len, max + o, share + o * len);
    return;
  }
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t j = 0; j < inner; ++j) {
      const std::size_t base = o * len * inner + j;
      T best = x[base];
      for (std::size_t k = 1; k < len && best == best; ++k) {
        const T v = x[base + k * inner];
        if (v != v || v > best) best = v;
      }
      const bool nan = best != best;
      std::size_t ties = 0;
      for (std::size_t k = 0; k < len; ++k) {
        const T v = x[base + k * inner];
        const bool at_max = nan ? v != v : v == best;
        share[base + k * inner] = at_max ? T(1) : T(0);
        ties += at_max;
      }
      for (std::size_t k = 0; k < len; ++k) share[base + k * inner] /= static_cast<T>(ties);
      max[o * inner + j] = best;
    }
  }
}

/// For src viewed as (outer, len, inner) along its middle axis: max[o, j] = the maximum of slice
/// (o, :, j), and share[o, k, j] = 1/t for the t elements equal to it (ties share evenly), 0
/// elsewhere. NaN propagates as in PyTorch: a slice holding NaN has the maximum NaN, and its NaNs
/// share.
template <class T>
inline void axis_max_with_shares(const T* x, std::size_t outer, std::size_t len, std::size_t inner,
                                 T* max, T* share) {
  parallel_for(
      outer,
      [&](std::size_t begin, std::size_t end) {
        axis_max_with_shares_serial(x + begin * len * inner, end - begin, len, inner,
                                    max + begin * inner, share + begin * len * inner);
      },
      rows_per_task(len * inner));
}

}  // namespace xg::kernels
