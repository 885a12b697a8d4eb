// Loops over the rows, columns or one axis of contiguous row-major arrays.
#pragma once

#include <cstddef>

namespace xg::kernels {

/// Adds the row b[0, n) to each of the `rows` rows of y.
template <class T>
inline void add_row_to_rows(const T* b, std::size_t n, std::size_t rows, T* y) {
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < n; ++j) y[r * n + j] += b[j];
  }
}

/// sum[j] = the sum of column j of the (rows, n) matrix src. Eight columns at a time in
/// registers, then the rest one by one: no store per row, and no memset call for a short row.
template <class T>
inline void column_sums(const T* src, std::size_t rows, std::size_t n, T* sum) {
  constexpr std::size_t kBlock = 8;
  std::size_t j0 = 0;
  for (; j0 + kBlock <= n; j0 += kBlock) {
    T acc[kBlock] = {};
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t j = 0; j < kBlock; ++j) acc[j] += src[r * n + j0 + j];
    }
    for (std::size_t j = 0; j < kBlock; ++j) sum[j0 + j] = acc[j];
  }
  for (; j0 < n; ++j0) {
    T acc = 0;
    for (std::size_t r = 0; r < rows; ++r) acc += src[r * n + j0];
    sum[j0] = acc;
  }
}

/// out[o, i] = the sum over r of src[o, r, i], src of shape (outer, len, inner): a sum along one
/// axis, each in the order of the axis.
template <class T>
inline void axis_sums(const T* src, std::size_t outer, std::size_t len, std::size_t inner, T* out) {
  for (std::size_t o = 0; o < outer; ++o)
    column_sums(src + o * len * inner, len, inner, out + o * inner);
}

/// For src viewed as (outer, len, inner) along its middle axis: max[o, j] = the maximum of slice
/// (o, :, j), and share[o, k, j] = 1/t for the t elements equal to it (ties share evenly), 0
/// elsewhere. NaN propagates as in PyTorch: a slice holding NaN has the maximum NaN, and its NaNs
/// share.
template <class T>
inline void axis_max_with_shares(const T* x, std::size_t outer, std::size_t len, std::size_t inner,
                                 T* max, T* share) {
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

}  // namespace xg::kernels
