// Direct convolution loops for groups of one input channel (depth-wise convolutions, a
// single-channel input): there a product per group would have an inner dimension of kH kW
// only, and a loop over the taps, each one a multiply-add along a row, does the same work
// without a column matrix.
//
// Output channel o of such a geometry reads input channel o / (O / G). Each plane of y, of dx
// and each filter of dw is computed whole by one task, taps in a fixed order.
#include <algorithm>
#include <cstddef>
#include <memory>

#include "kernels/conv.hpp"
#include "kernels/conv_window.hpp"
#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"
#include "kernels/target_clones.hpp"

namespace xg::kernels::detail_conv {

namespace {

/// One tap along an output row: out[ow] += v * in[ow * stride] for ow in [lo, hi).
template <class T>
inline void tap_row(T* out, const T* in, T v, std::size_t lo, std::size_t hi, std::size_t stride) {
  if (stride == 1) {
    for (std::size_t ow = lo; ow < hi; ++ow) out[ow] += v * in[ow];
  } else {
    for (std::size_t ow = lo; ow < hi; ++ow) out[ow] += v * in[ow * stride];
  }
}

/// y planes [begin, end) of (N O) planes.
template <class T>
inline void forward_planes(const ConvGeometry& g, const T* x, const T* w, const T* b, T* y,
                           std::size_t begin, std::size_t end) {
  const std::size_t O = g.out_channels, Og = g.group_out(), L = g.out_plane();
  const std::size_t W = g.in_w, OW = g.out_w, kk = g.kernel_plane();
  for (std::size_t p = begin; p < end; ++p) {
    const std::size_t n = p / O, o = p % O;
    const T* xc = x + (n * g.in_channels + o / Og) * g.in_plane();
    const T* wo = w + o * kk;
    T* yo = y + p * L;
    std::fill(yo, yo + L, b ? b[o] : T(0));
    for (std::size_t oh = 0; oh < g.out_h; ++oh) {
      T* yr = yo + oh * OW;
      for (std::size_t ki = 0; ki < g.kernel_h; ++ki) {
        const std::ptrdiff_t ih =
            static_cast<std::ptrdiff_t>(oh * g.stride_h) + tap_offset(ki, g.dilation_h, g.pad_h);
        if (ih < 0 || ih >= static_cast<std::ptrdiff_t>(g.in_h)) continue;
        for (std::size_t kj = 0; kj < g.kernel_w; ++kj) {
          const std::ptrdiff_t w_off = tap_offset(kj, g.dilation_w, g.pad_w);
          const TapRange wr = tap_range(OW, W, g.stride_w, w_off);
          tap_row(yr, xc + ih * static_cast<std::ptrdiff_t>(W) + w_off, wo[ki * g.kernel_w + kj],
                  wr.lo, wr.hi, g.stride_w);
        }
      }
    }
  }
}

/// dx planes [begin, end) of (N C) planes: the taps of every output channel reading the plane,
/// added back where they were read.
template <class T>
inline void backward_input_planes(const ConvGeometry& g, const T* gy, const T* w, T* dx,
                                  std::size_t begin, std::size_t end) {
  const std::size_t C = g.in_channels, O = g.out_channels, Og = g.group_out();
  const std::size_t W = g.in_w, OW = g.out_w, kk = g.kernel_plane(), L = g.out_plane();
  const std::size_t sw = g.stride_w;
  for (std::size_t p = begin; p < end; ++p) {
    const std::size_t n = p / C, c = p % C;
    T* d = dx + p * g.in_plane();
    std::fill(d, d + g.in_plane(), T(0));
    for (std::size_t o = c * Og; o < (c + 1) * Og; ++o) {
      const T* go = gy + (n * O + o) * L;
      const T* wo = w + o * kk;
      for (std::size_t oh = 0; oh < g.out_h; ++oh) {
        const T* gr = go + oh * OW;
        for (std::size_t ki = 0; ki < g.kernel_h; ++ki) {
          const std::ptrdiff_t ih =
              static_cast<std::ptrdiff_t>(oh * g.stride_h) + tap_offset(ki, g.dilation_h, g.pad_h);
          if (ih < 0 || ih >= static_cast<std::ptrdiff_t>(g.in_h)) continue;
          for (std::size_t kj = 0; kj < g.kernel_w; ++kj) {
            const std::ptrdiff_t w_off = tap_offset(kj, g.dilation_w, g.pad_w);
            const TapRange wr = tap_range(OW, W, sw, w_off);
            T* dr = d + ih * static_cast<std::ptrdiff_t>(W) + w_off;
            const T v = wo[ki * g.kernel_w + kj];
            if (sw == 1) {
              for (std::size_t ow = wr.lo; ow < wr.hi; ++ow) dr[ow] += v * gr[ow];
            } else {
              for (std::size_t ow = wr.lo; ow < wr.hi; ++ow) dr[ow * sw] += v * gr[ow];
            }
          }
        }
      }
    }
  }
}

/// Filters [begin, end) of dw: per tap, products summed lane-wise along an output row into
/// acc (kH kW rows of OW), over every sample and output row, then each row of acc added up.
template <class T>
inline void backward_weight_filters(const ConvGeometry& g, const T* x, const T* gy, T* dw,
                                    std::size_t begin, std::size_t end) {
  const std::size_t O = g.out_channels, Og = g.group_out();
  const std::size_t W = g.in_w, OW = g.out_w, kk = g.kernel_plane(), L = g.out_plane();
  auto acc = std::make_unique_for_overwrite<T[]>(kk * OW);
  for (std::size_t o = begin; o < end; ++o) {
    std::fill(acc.get(), acc.get() + kk * OW, T(0));
    for (std::size_t n = 0; n < g.batch; ++n) {
      const T* xc = x + (n * g.in_channels + o / Og) * g.in_plane();
      const T* go = gy + (n * O + o) * L;
      for (std::size_t oh = 0; oh < g.out_h; ++oh) {
        const T* gr = go + oh * OW;
        for (std::size_t ki = 0; ki < g.kernel_h; ++ki) {
          const std::ptrdiff_t ih =
              static_cast<std::ptrdiff_t>(oh * g.stride_h) + tap_offset(ki, g.dilation_h, g.pad_h);
          if (ih < 0 || ih >= static_cast<std::ptrdiff_t>(g.in_h)) continue;
          for (std::size_t kj = 0; kj < g.kernel_w; ++kj) {
            const std::ptrdiff_t w_off = tap_offset(kj, g.dilation_w, g.pad_w);
            const TapRange wr = tap_range(OW, W, g.stride_w, w_off);
            T* a = acc.get() + (ki * g.kernel_w + kj) * OW;
            const T* xr = xc + ih * static_cast<std::ptrdiff_t>(W) + w_off;
            if (g.stride_w == 1) {
              for (std::size_t ow = wr.lo; ow < wr.hi; ++ow) a[ow] += gr[ow] * xr[ow];
            } else {
              for (std::size_t ow = wr.lo; ow < wr.hi; ++ow) a[ow] += gr[ow] * xr[ow * g.stride_w];
            }
          }
        }
      }
    }
    for (std::size_t k = 0; k < kk; ++k) dw[o * kk + k] = row_sum(acc.get() + k * OW, OW);
  }
}

// The loops per range, built for AVX-512 and AVX2 too (float; the pool's tasks call them).
XG_TARGET_CLONES void forward_range(const ConvGeometry& g, const float* x, const float* w,
                                    const float* b, float* y, std::size_t begin, std::size_t end) {
  forward_planes(g, x, w, b, y, begin, end);
}
void forward_range(const ConvGeometry& g, const double* x, const double* w, const double* b,
                   double* y, std::size_t begin, std::size_t end) {
  forward_planes(g, x, w, b, y, begin, end);
}
XG_TARGET_CLONES void backward_input_range(const ConvGeometry& g, const float* gy, const float* w,
                                           float* dx, std::size_t begin, std::size_t end) {
  backward_input_planes(g, gy, w, dx, begin, end);
}
void backward_input_range(const ConvGeometry& g, const double* gy, const double* w, double* dx,
                          std::size_t begin, std::size_t end) {
  backward_input_planes(g, gy, w, dx, begin, end);
}
XG_TARGET_CLONES void backward_weight_range(const ConvGeometry& g, const float* x, const float* gy,
                                            float* dw, std::size_t begin, std::size_t end) {
  backward_weight_filters(g, x, gy, dw, begin, end);
}
void backward_weight_range(const ConvGeometry& g, const double* x, const double* gy, double* dw,
                           std::size_t begin, std::size_t end) {
  backward_weight_filters(g, x, gy, dw, begin, end);
}

template <class T>
void forward_impl(const ConvGeometry& g, const T* x, const T* w, const T* b, T* y) {
  parallel_for(
      g.batch * g.out_channels,
      [&](std::size_t begin, std::size_t end) { forward_range(g, x, w, b, y, begin, end); },
      rows_per_task(g.out_plane() * g.kernel_plane()));
}

template <class T>
void backward_input_impl(const ConvGeometry& g, const T* gy, const T* w, T* dx) {
  parallel_for(
      g.batch * g.in_channels,
      [&](std::size_t begin, std::size_t end) { backward_input_range(g, gy, w, dx, begin, end); },
      rows_per_task(g.group_out() * g.out_plane() * g.kernel_plane()));
}

template <class T>
void backward_weight_impl(const ConvGeometry& g, const T* x, const T* gy, T* dw) {
  parallel_for(
      g.out_channels,
      [&](std::size_t begin, std::size_t end) { backward_weight_range(g, x, gy, dw, begin, end); },
      rows_per_task(g.batch * g.out_plane() * g.kernel_plane()));
}

}  // namespace

void direct_forward(const ConvGeometry& g, const float* x, const float* w, const float* b,
                    float* y) {
  forward_impl(g, x, w, b, y);
}
void direct_forward(const ConvGeometry& g, const double* x, const double* w, const double* b,
                    double* y) {
  forward_impl(g, x, w, b, y);
}
void direct_backward_input(const ConvGeometry& g, const float* gy, const float* w, float* dx) {
  backward_input_impl(g, gy, w, dx);
}
void direct_backward_input(const ConvGeometry& g, const double* gy, const double* w, double* dx) {
  backward_input_impl(g, gy, w, dx);
}
void direct_backward_weight(const ConvGeometry& g, const float* x, const float* gy, float* dw) {
  backward_weight_impl(g, x, gy, dw);
}
void direct_backward_weight(const ConvGeometry& g, const double* x, const double* gy, double* dw) {
  backward_weight_impl(g, x, gy, dw);
}

}  // namespace xg::kernels::detail_conv
