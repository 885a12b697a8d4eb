#include "kernels/softmax.hpp"

#include "kernels/target_clones.hpp"

namespace xg::kernels {

namespace {

template <class T>
[[gnu::always_inline]] inline void slices(const T* x, std::size_t begin, std::size_t end,
                                          std::size_t len, std::size_t inner, T* out,
                                          SoftmaxKind kind) {
  const std::size_t out_block = kind == SoftmaxKind::logsumexp ? inner : len * inner;
  if (inner == 1) {
    std::vector<T> scratch(kind == SoftmaxKind::logsumexp ? len : 0);
    for (std::size_t o = begin; o < end; ++o)
      detail_softmax::softmax_row(x + o * len, len, out + o * out_block, kind, scratch.data());
    return;
  }
  std::vector<T> scratch(2 * inner);
  for (std::size_t o = begin; o < end; ++o) {
    detail_softmax::softmax_columns(x + o * len * inner, len, inner, out + o * out_block, kind,
                                    scratch.data(), scratch.data() + inner);
  }
}

template <class T>
[[gnu::always_inline]] inline void lse_backward_slices(const T* g, const T* x, std::size_t begin,
                                                       std::size_t end, std::size_t len,
                                                       std::size_t inner, T* out) {
  if (inner == 1) {
    for (std::size_t o = begin; o < end; ++o) {
      detail_softmax::softmax_row(x + o * len, len, out + o * len, SoftmaxKind::softmax,
                                  static_cast<T*>(nullptr), g + o);
    }
    return;
  }
  std::vector<T> scratch(2 * inner);
  for (std::size_t o = begin; o < end; ++o) {
    const std::size_t at = o * len * inner;
    detail_softmax::softmax_columns(x + at, len, inner, out + at, SoftmaxKind::softmax,
                                    scratch.data(), scratch.data() + inner, g + o * inner);
  }
}

template <class T>
[[gnu::always_inline]] inline void backward_slices(const T* g, const T* y, std::size_t begin,
                                                   std::size_t end, std::size_t len,
                                                   std::size_t inner, T* out, SoftmaxKind kind) {
  if (inner == 1) {
    for (std::size_t o = begin; o < end; ++o) {
      detail_softmax::softmax_backward_row(g + o * len, y + o * len, len, out + o * len, kind);
    }
    return;
  }
  std::vector<T> scratch(inner);
  for (std::size_t o = begin; o < end; ++o) {
    const std::size_t at = o * len * inner;
    detail_softmax::softmax_backward_columns(g + at, y + at, len, inner, out + at, kind,
                                             scratch.data());
  }
}

}  // namespace

XG_TARGET_CLONES void softmax_slices(const float* x, std::size_t begin, std::size_t end,
                                     std::size_t len, std::size_t inner, float* out,
                                     SoftmaxKind kind) {
  slices(x, begin, end, len, inner, out, kind);
}
void softmax_slices(const double* x, std::size_t begin, std::size_t end, std::size_t len,
                    std::size_t inner, double* out, SoftmaxKind kind) {
  slices(x, begin, end, len, inner, out, kind);
}

XG_TARGET_CLONES void logsumexp_backward_slices(const float* g, const float* x, std::size_t begin,
                                                std::size_t end, std::size_t len, std::size_t inner,
                                                float* out) {
  lse_backward_slices(g, x, begin, end, len, inner, out);
}
void logsumexp_backward_slices(const double* g, const double* x, std::size_t begin, std::size_t end,
                               std::size_t len, std::size_t inner, double* out) {
  lse_backward_slices(g, x, begin, end, len, inner, out);
}

XG_TARGET_CLONES void softmax_backward_slices(const float* g, const float* y, std::size_t begin,
                                              std::size_t end, std::size_t len, std::size_t inner,
                                              float* out, SoftmaxKind kind) {
  backward_slices(g, y, begin, end, len, inner, out, kind);
}
void softmax_backward_slices(const double* g, const double* y, std::size_t begin, std::size_t end,
                             std::size_t len, std::size_t inner, double* out, SoftmaxKind kind) {
  backward_slices(g, y, begin, end, len, inner, out, kind);
}

}  // namespace xg::kernels
