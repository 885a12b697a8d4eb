// Direct convolution loops for groups of one input channel (depth-wise convolutions, a
// single-channel input): there a product per group would have an inner dimension of kH kW
// only. Instead each tap is a multiply-add of the (zero-padded) input plane into the output
// plane, and the weight gradient is a dot product per tap.
//
// Output channel o of such a geometry reads input channel o / (O / G). Each plane of y, of dx
// and each filter of dw is computed whole by one task, taps in a fixed order.
#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include "kernels/conv.hpp"
#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"
#include "kernels/simd.hpp"
#include "kernels/target_clones.hpp"

namespace xg::kernels::detail_conv {

namespace {

/// The sizes of a plane padded with zeros (pitch Wp), and where each tap reads in it: output
/// (oh, ow) under tap t reads padded element (oh sh + ki dh) Wp + ow sw + kj dw. With stride 1
/// on both axes the outputs can be laid out with the input's pitch Wp ("wide": OW valid columns
/// of each Wp), and then every tap is one run of (OH - 1) Wp + OW multiply-adds over the whole
/// plane at offset off[t], instead of a short run per row.
struct Plan {
  std::size_t hp, wp;            // the padded plane
  bool one_run;                  // stride 1 on both axes
  std::size_t run;               // the length of that run
  std::vector<std::size_t> off;  // per tap: ki dh Wp + kj dw
};

Plan plan_of(const ConvGeometry& g) {
  Plan p;
  p.hp = g.in_h + 2 * g.pad_h;
  p.wp = g.in_w + 2 * g.pad_w;
  p.one_run = g.stride_h == 1 && g.stride_w == 1;
  p.run = (g.out_h - 1) * p.wp + g.out_w;
  for (std::size_t ki = 0; ki < g.kernel_h; ++ki) {
    for (std::size_t kj = 0; kj < g.kernel_w; ++kj) {
      p.off.push_back(ki * g.dilation_h * p.wp + kj * g.dilation_w);
    }
  }
  return p;
}

bool padded(const ConvGeometry& g) {
  return g.pad_h != 0 || g.pad_w != 0;
}

/// The plane with its zero padding: itself without padding, else copied into `scratch`.
template <class T>
const T* pad_plane(const ConvGeometry& g, const Plan& p, const T* plane, T* scratch) {
  if (!padded(g)) return plane;
  std::fill(scratch, scratch + g.pad_h * p.wp, T(0));
  for (std::size_t ih = 0; ih < g.in_h; ++ih) {
    T* row = scratch + (ih + g.pad_h) * p.wp;
    std::fill(row, row + g.pad_w, T(0));
    std::copy(plane + ih * g.in_w, plane + (ih + 1) * g.in_w, row + g.pad_w);
    std::fill(row + g.pad_w + g.in_w, row + p.wp, T(0));
  }
  std::fill(scratch + (g.pad_h + g.in_h) * p.wp, scratch + p.hp * p.wp, T(0));
  return scratch;
}

/// An output plane (OH, OW) laid out wide (pitch Wp, zeros in the extra columns) in `scratch`;
/// the plane itself when its pitch is already Wp.
template <class T>
const T* widen(const ConvGeometry& g, const Plan& p, const T* plane, T* scratch) {
  if (p.wp == g.out_w) return plane;
  for (std::size_t oh = 0; oh < g.out_h; ++oh) {
    T* row = scratch + oh * p.wp;
    std::copy(plane + oh * g.out_w, plane + (oh + 1) * g.out_w, row);
    if (oh + 1 < g.out_h) std::fill(row + g.out_w, row + p.wp, T(0));
  }
  return scratch;
}

/// out[i] += v * in[i] over [0, n).
template <class T>
inline void axpy(T* __restrict out, const T* __restrict in, T v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] += v * in[i];
}

/// out[ow] += v * in[ow * stride] over [0, n).
template <class T>
inline void axpy_strided(T* __restrict out, const T* __restrict in, T v, std::size_t n,
                         std::size_t stride) {
  if (stride == 1) {
    axpy(out, in, v, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] += v * in[i * stride];
  }
}

/// out[i * stride] += v * in[i] over [0, n).
template <class T>
inline void scatter_axpy(T* __restrict out, const T* __restrict in, T v, std::size_t n,
                         std::size_t stride) {
  if (stride == 1) {
    axpy(out, in, v, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i * stride] += v * in[i];
  }
}

/// y planes [begin, end) of (N O) planes.
template <class T>
[[gnu::always_inline]] inline void forward_planes(const ConvGeometry& g, const Plan& p, const T* x,
                                                  const T* w, const T* b, T* y, std::size_t begin,
                                                  std::size_t end) {
  const std::size_t O = g.out_channels, Og = g.group_out(), L = g.out_plane();
  const std::size_t OW = g.out_w, kk = g.kernel_plane();
  const bool wide = p.one_run && p.wp != OW;
  auto xpad = std::make_unique_for_overwrite<T[]>(padded(g) ? p.hp * p.wp : 0);
  auto out = std::make_unique_for_overwrite<T[]>(wide ? p.run : 0);
  for (std::size_t q = begin; q < end; ++q) {
    const std::size_t n = q / O, o = q % O;
    const T* xp = pad_plane(g, p, x + (n * g.in_channels + o / Og) * g.in_plane(), xpad.get());
    const T* wo = w + o * kk;
    T* yo = y + q * L;
    const T bias = b ? b[o] : T(0);
    if (p.one_run) {
      T* acc = wide ? out.get() : yo;
      std::fill(acc, acc + p.run, bias);
      for (std::size_t k = 0; k < kk; ++k) axpy(acc, xp + p.off[k], wo[k], p.run);
      if (wide) {
        for (std::size_t oh = 0; oh < g.out_h; ++oh) {
          std::copy(acc + oh * p.wp, acc + oh * p.wp + OW, yo + oh * OW);
        }
      }
    } else {
      std::fill(yo, yo + L, bias);
      for (std::size_t k = 0; k < kk; ++k) {
        for (std::size_t oh = 0; oh < g.out_h; ++oh) {
          axpy_strided(yo + oh * OW, xp + oh * g.stride_h * p.wp + p.off[k], wo[k], OW, g.stride_w);
        }
      }
    }
  }
}

/// dx planes [begin, end) of (N C) planes: the taps of every output channel reading the plane,
/// added back where they were read (into the padded plane, whose interior is then dx).
template <class T>
[[gnu::always_inline]] inline void backward_input_planes(const ConvGeometry& g, const Plan& p,
                                                         const T* gy, const T* w, T* dx,
                                                         std::size_t begin, std::size_t end) {
  const std::size_t C = g.in_channels, O = g.out_channels, Og = g.group_out();
  const std::size_t OW = g.out_w, kk = g.kernel_plane(), L = g.out_plane();
  auto dpad = std::make_unique_for_overwrite<T[]>(padded(g) ? p.hp * p.wp : 0);
  auto gwide = std::make_unique_for_overwrite<T[]>(p.one_run ? p.run : 0);
  for (std::size_t q = begin; q < end; ++q) {
    const std::size_t n = q / C, c = q % C;
    T* d = dx + q * g.in_plane();
    T* dp = padded(g) ? dpad.get() : d;
    std::fill(dp, dp + p.hp * p.wp, T(0));
    for (std::size_t o = c * Og; o < (c + 1) * Og; ++o) {
      const T* go = gy + (n * O + o) * L;
      const T* wo = w + o * kk;
      if (p.one_run) {
        const T* gw = widen(g, p, go, gwide.get());
        for (std::size_t k = 0; k < kk; ++k) axpy(dp + p.off[k], gw, wo[k], p.run);
      } else {
        for (std::size_t k = 0; k < kk; ++k) {
          for (std::size_t oh = 0; oh < g.out_h; ++oh) {
            scatter_axpy(dp + oh * g.stride_h * p.wp + p.off[k], go + oh * OW, wo[k], OW,
                         g.stride_w);
          }
        }
      }
    }
    if (padded(g)) {
      for (std::size_t ih = 0; ih < g.in_h; ++ih) {
        const T* row = dp + (ih + g.pad_h) * p.wp + g.pad_w;
        std::copy(row, row + g.in_w, d + ih * g.in_w);
      }
    }
  }
}

/// Filters [begin, end) of dw: per tap, the dot product of the gradient with the input it
/// multiplied, summed over the samples in order.
template <class T>
[[gnu::always_inline]] inline void backward_weight_filters(const ConvGeometry& g, const Plan& p,
                                                           const T* x, const T* gy, T* dw,
                                                           std::size_t begin, std::size_t end) {
  const std::size_t O = g.out_channels, Og = g.group_out();
  const std::size_t OW = g.out_w, kk = g.kernel_plane(), L = g.out_plane();
  auto xpad = std::make_unique_for_overwrite<T[]>(padded(g) ? p.hp * p.wp : 0);
  auto gwide = std::make_unique_for_overwrite<T[]>(p.one_run ? p.run : 0);
  for (std::size_t o = begin; o < end; ++o) {
    T* acc = dw + o * kk;
    std::fill(acc, acc + kk, T(0));
    for (std::size_t n = 0; n < g.batch; ++n) {
      const T* xp = pad_plane(g, p, x + (n * g.in_channels + o / Og) * g.in_plane(), xpad.get());
      const T* go = gy + (n * O + o) * L;
      if (p.one_run) {
        const T* gw = widen(g, p, go, gwide.get());
        for (std::size_t k = 0; k < kk; ++k) acc[k] += simd::dot(gw, xp + p.off[k], p.run);
      } else {
        for (std::size_t k = 0; k < kk; ++k) {
          for (std::size_t oh = 0; oh < g.out_h; ++oh) {
            const T* gr = go + oh * OW;
            const T* xr = xp + oh * g.stride_h * p.wp + p.off[k];
            T s = 0;
            if (g.stride_w == 1) {
              s = simd::dot(gr, xr, OW);
            } else {
              for (std::size_t ow = 0; ow < OW; ++ow) s += gr[ow] * xr[ow * g.stride_w];
            }
            acc[k] += s;
          }
        }
      }
    }
  }
}

// The loops per range, built for AVX-512 and AVX2 too (float; the pool's tasks call them).
XG_TARGET_CLONES void forward_range(const ConvGeometry& g, const Plan& plan, const float* x,
                                    const float* w, const float* b, float* y, std::size_t begin,
                                    std::size_t end) {
  forward_planes(g, plan, x, w, b, y, begin, end);
}
void forward_range(const ConvGeometry& g, const Plan& plan, const double* x, const double* w,
                   const double* b, double* y, std::size_t begin, std::size_t end) {
  forward_planes(g, plan, x, w, b, y, begin, end);
}
XG_TARGET_CLONES void backward_input_range(const ConvGeometry& g, const Plan& plan, const float* gy,
                                           const float* w, float* dx, std::size_t begin,
                                           std::size_t end) {
  backward_input_planes(g, plan, gy, w, dx, begin, end);
}
void backward_input_range(const ConvGeometry& g, const Plan& plan, const double* gy,
                          const double* w, double* dx, std::size_t begin, std::size_t end) {
  backward_input_planes(g, plan, gy, w, dx, begin, end);
}
XG_TARGET_CLONES void backward_weight_range(const ConvGeometry& g, const Plan& plan, const float* x,
                                            const float* gy, float* dw, std::size_t begin,
                                            std::size_t end) {
  backward_weight_filters(g, plan, x, gy, dw, begin, end);
}
void backward_weight_range(const ConvGeometry& g, const Plan& plan, const double* x,
                           const double* gy, double* dw, std::size_t begin, std::size_t end) {
  backward_weight_filters(g, plan, x, gy, dw, begin, end);
}

template <class T>
void forward_impl(const ConvGeometry& g, const T* x, const T* w, const T* b, T* y) {
  const Plan plan = plan_of(g);
  parallel_for(
      g.batch * g.out_channels,
      [&](std::size_t begin, std::size_t end) { forward_range(g, plan, x, w, b, y, begin, end); },
      rows_per_task(g.out_plane() * g.kernel_plane()));
}

template <class T>
void backward_input_impl(const ConvGeometry& g, const T* gy, const T* w, T* dx) {
  const Plan plan = plan_of(g);
  parallel_for(
      g.batch * g.in_channels,
      [&](std::size_t begin, std::size_t end) {
        backward_input_range(g, plan, gy, w, dx, begin, end);
      },
      rows_per_task(g.group_out() * g.out_plane() * g.kernel_plane()));
}

template <class T>
void backward_weight_impl(const ConvGeometry& g, const T* x, const T* gy, T* dw) {
  const Plan plan = plan_of(g);
  parallel_for(
      g.out_channels,
      [&](std::size_t begin, std::size_t end) {
        backward_weight_range(g, plan, x, gy, dw, begin, end);
      },
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
