// Data-movement loops of the shape operations over contiguous row-major buffers: blocks of rows,
// axis permutations, row selection and the class-label gather, each with its adjoint.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "kernels/blas.hpp"

namespace xg::kernels {

/// count blocks of `run` values: block o from src + o * src_stride to dst + o * dst_stride.
template <class T>
inline void copy_blocks(const T* src, std::size_t src_stride, T* dst, std::size_t dst_stride,
                        std::size_t run, std::size_t count) {
  for (std::size_t o = 0; o < count; ++o)
    std::copy_n(src + o * src_stride, run, dst + o * dst_stride);
}

/// dst = `count` copies of the `inner` values at src, one after the other.
template <class T>
inline void repeat_rows(const T* src, std::size_t inner, std::size_t count, T* dst) {
  for (std::size_t r = 0; r < count; ++r) std::copy_n(src, inner, dst + r * inner);
}

/// dst[j] += the sum over r of src[r * inner + j], for `count` rows.
template <class T>
inline void add_rows(const T* src, std::size_t inner, std::size_t count, T* dst) {
  for (std::size_t r = 0; r < count; ++r) {
    const T* row = src + r * inner;
    for (std::size_t j = 0; j < inner; ++j) dst[j] += row[j];
  }
}

/// Row p of dst = row indices[p] of src (rows of `inner` values).
template <class T>
inline void gather_rows(const T* src, const std::vector<std::size_t>& indices, std::size_t inner,
                        T* dst) {
  for (std::size_t p = 0; p < indices.size(); ++p) {
    std::copy_n(src + indices[p] * inner, inner, dst + p * inner);
  }
}

/// Row indices[p] of dst += row p of src: the adjoint of gather_rows (repeats accumulate).
template <class T>
inline void add_rows_at(const T* src, const std::vector<std::size_t>& indices, std::size_t inner,
                        T* dst) {
  for (std::size_t p = 0; p < indices.size(); ++p) {
    T* row = dst + indices[p] * inner;
    const T* from = src + p * inner;
    for (std::size_t j = 0; j < inner; ++j) row[j] += from[j];
  }
}

/// dst[i] = src[i, labels[i]] of a (labels.size(), classes) matrix.
template <class T>
inline void gather_labels(const T* src, const std::vector<std::size_t>& labels, std::size_t classes,
                          T* dst) {
  for (std::size_t i = 0; i < labels.size(); ++i) dst[i] = src[i * classes + labels[i]];
}

/// dst[i, labels[i]] = src[i]: the adjoint of gather_labels into a matrix of zeros.
template <class T>
inline void scatter_labels(const T* src, const std::vector<std::size_t>& labels,
                           std::size_t classes, T* dst) {
  for (std::size_t i = 0; i < labels.size(); ++i) dst[i * classes + labels[i]] = src[i];
}

/// True for (0, 1, ..., r-1, r-2): a swap of the last two axes.
inline bool swaps_last_two(const std::vector<std::size_t>& axes) {
  const std::size_t r = axes.size();
  if (r < 2 || axes[r - 1] != r - 2 || axes[r - 2] != r - 1) return false;
  for (std::size_t i = 0; i + 2 < r; ++i) {
    if (axes[i] != i) return false;
  }
  return true;
}

/// dst (of shape out_shape, out_shape[i] = in_shape[axes[i]]) = src with its axes permuted. A
/// swap of the last two axes is a batch of BLAS transposes; otherwise runs along the last output
/// axis are copied with the input stride of that axis.
template <class T, class Shape>
void permute(const T* src, const Shape& in_shape, const std::vector<std::size_t>& axes,
             const Shape& out_shape, T* dst) {
  const std::size_t r = in_shape.size();
  std::size_t size = 1;
  for (auto d : out_shape) size *= d;
  if (size == 0) return;
  if (swaps_last_two(axes)) {
    const std::size_t rows = in_shape[r - 2], cols = in_shape[r - 1];
    const std::size_t count = size / (rows * cols);
    for (std::size_t b = 0; b < count; ++b) {
      blas::transpose(rows, cols, src + b * rows * cols, dst + b * rows * cols);
    }
    return;
  }
  Shape in_strides(r, 1);  // the shape's own small-vector type: no heap for up to 4 axes
  for (std::size_t d = r; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_shape[d];
  Shape src_stride(r, 0);
  for (std::size_t i = 0; i < r; ++i) src_stride[i] = in_strides[axes[i]];
  const std::size_t len = out_shape[r - 1];
  const std::size_t step = src_stride[r - 1];
  const std::size_t outer = size / len;
  Shape idx(r, 0);
  std::size_t offset = 0;
  for (std::size_t o = 0; o < outer; ++o, dst += len) {
    const T* p = src + offset;
    if (step == 1) {
      std::copy_n(p, len, dst);
    } else {
      for (std::size_t j = 0; j < len; ++j) dst[j] = p[j * step];
    }
    // Advance the multi-index over the output's leading axes.
    for (std::size_t d = r - 1; d-- > 0;) {
      offset += src_stride[d];
      if (++idx[d] < out_shape[d]) break;
      offset -= src_stride[d] * out_shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace xg::kernels
