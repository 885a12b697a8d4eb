// Convolution as matrix products (Chellapilla et al. 2006; Caffe): the windows of a chunk of
// samples unrolled into a column matrix, one BLAS product per group.
//
// cols has a row per (input channel c, tap ki, kj) and a column per (sample s of the chunk,
// output pixel oh, ow); group g's rows are the contiguous block [g R, (g+1) R), R = C/G kH kW.
//   forward:          Y_g (O/G x s L)  = W_g (O/G x R) cols_g (R x s L)
//   backward weight:  dW_g (O/G x R)  += G_g (O/G x s L) cols_g^T
//   backward input:   dcols_g (R x s L) = W_g^T G_g, then col2im adds the windows back up.
// A chunk holds as many samples as fit a fixed budget of column-matrix bytes (at least one), so
// the matrix stays in cache between its writing and the product reading it; the chunking does
// not depend on the thread count. A single-sample chunk multiplies straight into (or from) the
// sample's rows of y and gy; a 1x1 kernel with stride 1 and no padding multiplies x itself.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

#include "kernels/blas.hpp"
#include "kernels/conv.hpp"
#include "kernels/conv_window.hpp"
#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"

namespace xg::kernels::detail_conv {

namespace {

/// Bytes of column matrix per chunk: about half of a core's L2 cache.
constexpr std::size_t kColsBudgetBytes = std::size_t{1} << 20;

template <class T>
std::unique_ptr<T[]> scratch(std::size_t n) {
  return std::make_unique_for_overwrite<T[]>(n);
}

template <class T>
std::size_t chunk_samples(const ConvGeometry& g) {
  const std::size_t per_sample =
      std::max<std::size_t>(1, g.in_channels * g.kernel_plane() * g.out_plane() * sizeof(T));
  return std::clamp<std::size_t>(kColsBudgetBytes / per_sample, 1,
                                 std::max<std::size_t>(g.batch, 1));
}

bool is_pointwise(const ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0;
}

/// False when every chunk multiplies x's (or dx's) own rows: no column matrix is needed.
bool unrolls(const ConvGeometry& g, std::size_t chunk) {
  return !(is_pointwise(g) && chunk == 1);
}

/// Row r (channel, tap) of the column matrix for sample n: out[oh OW + ow] = x[n, c, ih, iw], 0
/// in the padding.
template <class T>
void unroll_row(const ConvGeometry& g, const T* x, std::size_t n, std::size_t r, T* out) {
  const std::size_t kk = g.kernel_plane();
  const std::size_t c = r / kk, ki = (r % kk) / g.kernel_w, kj = r % g.kernel_w;
  const std::size_t W = g.in_w, OW = g.out_w;
  const T* xc = x + (n * g.in_channels + c) * g.in_plane();
  const std::ptrdiff_t h_off = tap_offset(ki, g.dilation_h, g.pad_h);
  const std::ptrdiff_t w_off = tap_offset(kj, g.dilation_w, g.pad_w);
  const TapRange hr = tap_range(g.out_h, g.in_h, g.stride_h, h_off);
  const TapRange wr = tap_range(OW, W, g.stride_w, w_off);
  std::fill(out, out + hr.lo * OW, T(0));
  for (std::size_t oh = hr.lo; oh < hr.hi; ++oh) {
    T* o = out + oh * OW;
    const T* xr = xc +
                  static_cast<std::ptrdiff_t>(oh * g.stride_h) * static_cast<std::ptrdiff_t>(W) +
                  h_off * static_cast<std::ptrdiff_t>(W) + w_off;
    std::fill(o, o + wr.lo, T(0));
    if (g.stride_w == 1) {
      std::copy(xr + wr.lo, xr + wr.hi, o + wr.lo);
    } else {
      for (std::size_t ow = wr.lo; ow < wr.hi; ++ow) o[ow] = xr[ow * g.stride_w];
    }
    std::fill(o + wr.hi, o + OW, T(0));
  }
  std::fill(out + hr.hi * OW, out + g.out_plane(), T(0));
}

/// cols (C kH kW x m L, leading dimension m L) for samples [n0, n0 + m).
template <class T>
void im2col(const ConvGeometry& g, const T* x, std::size_t n0, std::size_t m, T* cols) {
  const std::size_t rows = g.in_channels * g.kernel_plane();
  const std::size_t L = g.out_plane(), ld = m * L;
  parallel_for(
      rows * m,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t u = begin; u < end; ++u) {
          const std::size_t r = u / m, s = u % m;
          unroll_row(g, x, n0 + s, r, cols + r * ld + s * L);
        }
      },
      rows_per_task(L));
}

/// dx[n0 + s, c] = the sum of cols' windows over the taps, for samples [n0, n0 + m): each
/// plane is zeroed and summed whole by one task, taps in order.
template <class T>
void col2im(const ConvGeometry& g, const T* cols, std::size_t n0, std::size_t m, T* dx) {
  const std::size_t C = g.in_channels, kk = g.kernel_plane(), L = g.out_plane(), ld = m * L;
  const std::size_t W = g.in_w, OW = g.out_w;
  parallel_for(
      m * C,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t p = begin; p < end; ++p) {
          const std::size_t s = p / C, c = p % C;
          T* d = dx + ((n0 + s) * C + c) * g.in_plane();
          std::fill(d, d + g.in_plane(), T(0));
          for (std::size_t ki = 0; ki < g.kernel_h; ++ki) {
            const std::ptrdiff_t h_off = tap_offset(ki, g.dilation_h, g.pad_h);
            const TapRange hr = tap_range(g.out_h, g.in_h, g.stride_h, h_off);
            for (std::size_t kj = 0; kj < g.kernel_w; ++kj) {
              const std::ptrdiff_t w_off = tap_offset(kj, g.dilation_w, g.pad_w);
              const TapRange wr = tap_range(OW, W, g.stride_w, w_off);
              const T* col = cols + (c * kk + ki * g.kernel_w + kj) * ld + s * L;
              for (std::size_t oh = hr.lo; oh < hr.hi; ++oh) {
                const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * g.stride_h) + h_off;
                T* dr = d + ih * static_cast<std::ptrdiff_t>(W) + w_off;
                const T* cr = col + oh * OW;
                if (g.stride_w == 1) {
                  for (std::size_t ow = wr.lo; ow < wr.hi; ++ow) dr[ow] += cr[ow];
                } else {
                  for (std::size_t ow = wr.lo; ow < wr.hi; ++ow) dr[ow * g.stride_w] += cr[ow];
                }
              }
            }
          }
        }
      },
      rows_per_task(kk * L));
}

/// dst (rows x m L) = the rows of samples [n0, n0 + m) of a (N, rows, L) array side by side.
template <class T>
void gather_samples(const T* src, std::size_t rows, std::size_t L, std::size_t n0, std::size_t m,
                    T* dst) {
  parallel_for(
      rows * m,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t u = begin; u < end; ++u) {
          const std::size_t r = u / m, s = u % m;
          const T* from = src + ((n0 + s) * rows + r) * L;
          std::copy(from, from + L, dst + r * m * L + s * L);
        }
      },
      rows_per_task(L));
}

/// y rows [o0, o0 + rows) of samples [n0, n0 + m) = src (rows x m L) + the bias of each row.
template <class T>
void scatter_samples(const T* src, std::size_t rows, std::size_t L, std::size_t n0, std::size_t m,
                     std::size_t o0, std::size_t channels, const T* bias, T* y) {
  parallel_for(
      rows * m,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t u = begin; u < end; ++u) {
          const std::size_t r = u / m, s = u % m;
          const T* from = src + r * m * L + s * L;
          T* to = y + ((n0 + s) * channels + o0 + r) * L;
          if (bias) {
            const T b = bias[o0 + r];
            for (std::size_t l = 0; l < L; ++l) to[l] = from[l] + b;
          } else {
            std::copy(from, from + L, to);
          }
        }
      },
      rows_per_task(L));
}

/// The column matrix of samples [n0, n0 + m): x's own rows for a pointwise single-sample chunk,
/// else unrolled into `buffer`.
template <class T>
const T* columns(const ConvGeometry& g, const T* x, std::size_t n0, std::size_t m, T* buffer) {
  if (is_pointwise(g) && m == 1) return x + n0 * g.in_channels * g.in_plane();
  im2col(g, x, n0, m, buffer);
  return buffer;
}

/// gy's rows (O x m L) for samples [n0, n0 + m): gy itself for one sample, else gathered.
template <class T>
const T* grad_rows(const ConvGeometry& g, const T* gy, std::size_t n0, std::size_t m, T* buffer) {
  if (m == 1) return gy + n0 * g.out_channels * g.out_plane();
  gather_samples(gy, g.out_channels, g.out_plane(), n0, m, buffer);
  return buffer;
}

}  // namespace

template <class T>
void gemm_forward(const ConvGeometry& g, const T* x, const T* w, const T* b, T* y) {
  const std::size_t N = g.batch, O = g.out_channels, L = g.out_plane(), R = g.group_rows();
  const std::size_t Og = g.group_out(), G = g.groups;
  if (N == 0 || O == 0) return;
  const std::size_t nb = chunk_samples<T>(g);
  auto cols = unrolls(g, nb) ? scratch<T>(g.in_channels * g.kernel_plane() * nb * L) : nullptr;
  auto product = nb > 1 ? scratch<T>(Og * nb * L) : nullptr;
  for (std::size_t n0 = 0; n0 < N; n0 += nb) {
    const std::size_t m = std::min(nb, N - n0), ld = m * L;
    const T* c = columns(g, x, n0, m, cols.get());
    for (std::size_t grp = 0; grp < G; ++grp) {
      const T* wg = w + grp * Og * R;
      const T* cg = c + grp * R * ld;
      if (m == 1) {
        T* yg = y + (n0 * O + grp * Og) * L;
        blas::gemm(false, false, Og, L, R, T(1), wg, R, cg, ld, T(0), yg, L);
        if (b) {
          for (std::size_t o = 0; o < Og; ++o) {
            const T bo = b[grp * Og + o];
            for (std::size_t l = 0; l < L; ++l) yg[o * L + l] += bo;
          }
        }
      } else {
        blas::gemm(false, false, Og, ld, R, T(1), wg, R, cg, ld, T(0), product.get(), ld);
        scatter_samples(product.get(), Og, L, n0, m, grp * Og, O, b, y);
      }
    }
  }
}

template <class T>
void gemm_backward_input(const ConvGeometry& g, const T* gy, const T* w, T* dx) {
  const std::size_t N = g.batch, C = g.in_channels, L = g.out_plane(), R = g.group_rows();
  const std::size_t Og = g.group_out(), Cg = g.group_in(), G = g.groups;
  if (N == 0 || C == 0) return;
  const std::size_t nb = chunk_samples<T>(g);
  const bool pointwise = is_pointwise(g);
  auto dcols = unrolls(g, nb) ? scratch<T>(C * g.kernel_plane() * nb * L) : nullptr;
  auto grads = nb > 1 ? scratch<T>(g.out_channels * nb * L) : nullptr;
  for (std::size_t n0 = 0; n0 < N; n0 += nb) {
    const std::size_t m = std::min(nb, N - n0), ld = m * L;
    const T* gr = grad_rows(g, gy, n0, m, grads.get());
    for (std::size_t grp = 0; grp < G; ++grp) {
      const T* wg = w + grp * Og * R;
      const T* gg = gr + grp * Og * ld;
      if (pointwise && m == 1) {  // dx's rows are the column matrix
        blas::gemm(true, false, Cg, L, Og, T(1), wg, R, gg, ld, T(0), dx + (n0 * C + grp * Cg) * L,
                   L);
      } else {
        blas::gemm(true, false, R, ld, Og, T(1), wg, R, gg, ld, T(0), dcols.get() + grp * R * ld,
                   ld);
      }
    }
    if (!(pointwise && m == 1)) col2im(g, dcols.get(), n0, m, dx);
  }
}

template <class T>
void gemm_backward_weight(const ConvGeometry& g, const T* x, const T* gy, T* dw) {
  const std::size_t N = g.batch, L = g.out_plane(), R = g.group_rows();
  const std::size_t Og = g.group_out(), G = g.groups;
  const std::size_t size = g.out_channels * R;
  if (N == 0) {
    std::fill(dw, dw + size, T(0));
    return;
  }
  if (size == 0) return;
  const std::size_t nb = chunk_samples<T>(g);
  auto cols = unrolls(g, nb) ? scratch<T>(g.in_channels * g.kernel_plane() * nb * L) : nullptr;
  auto grads = nb > 1 ? scratch<T>(g.out_channels * nb * L) : nullptr;
  for (std::size_t n0 = 0; n0 < N; n0 += nb) {
    const std::size_t m = std::min(nb, N - n0), ld = m * L;
    const T* c = columns(g, x, n0, m, cols.get());
    const T* gr = grad_rows(g, gy, n0, m, grads.get());
    const T beta = n0 == 0 ? T(0) : T(1);
    for (std::size_t grp = 0; grp < G; ++grp) {
      blas::gemm(false, true, Og, R, ld, T(1), gr + grp * Og * ld, ld, c + grp * R * ld, ld, beta,
                 dw + grp * Og * R, R);
    }
  }
}

#define XG_INSTANTIATE(T)                                                               \
  template void gemm_forward<T>(const ConvGeometry&, const T*, const T*, const T*, T*); \
  template void gemm_backward_input<T>(const ConvGeometry&, const T*, const T*, T*);    \
  template void gemm_backward_weight<T>(const ConvGeometry&, const T*, const T*, T*);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::kernels::detail_conv
