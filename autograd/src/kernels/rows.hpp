// Row and column loops over contiguous row-major matrices.
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

}  // namespace xg::kernels
