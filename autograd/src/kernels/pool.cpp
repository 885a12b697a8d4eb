#include "kernels/pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"

namespace xg::kernels {

namespace {

/// body(p) for every plane p, planes spread over the pool when each task gets enough work.
template <class Body>
void for_each_plane(std::size_t planes, std::size_t work_per_plane, Body body) {
  parallel_for(
      planes,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t p = begin; p < end; ++p) body(p);
      },
      rows_per_task(work_per_plane));
}

/// One axis of a max-pool: the first in-plane position of each output's window and the end of
/// its range (positions begin, begin + d, ... < end), as PyTorch computes them.
struct AxisWindows {
  std::vector<std::size_t> begin, end;
};

AxisWindows max_windows(std::size_t in, std::size_t out, std::size_t k, std::size_t s,
                        std::size_t pad, std::size_t d) {
  AxisWindows a;
  a.begin.resize(out);
  a.end.resize(out);
  const auto n = static_cast<std::ptrdiff_t>(in);
  for (std::size_t o = 0; o < out; ++o) {
    auto b = static_cast<std::ptrdiff_t>(o * s) - static_cast<std::ptrdiff_t>(pad);
    const std::ptrdiff_t e = std::min(b + static_cast<std::ptrdiff_t>((k - 1) * d + 1), n);
    while (b < 0) b += static_cast<std::ptrdiff_t>(d);
    a.begin[o] = static_cast<std::size_t>(b);
    a.end[o] = static_cast<std::size_t>(std::max<std::ptrdiff_t>(e, 0));
  }
  return a;
}

}  // namespace

template <class T>
void max_pool_forward(const T* x, std::size_t planes, const MaxPoolPlan& p, T* out,
                      std::size_t* indices) {
  const AxisWindows rows = max_windows(p.h, p.oh, p.kh, p.sh, p.ph, p.dh);
  const AxisWindows cols = max_windows(p.w, p.ow, p.kw, p.sw, p.pw, p.dw);
  const std::size_t in_plane = p.h * p.w;
  const std::size_t out_plane = p.oh * p.ow;
  for_each_plane(planes, out_plane * p.kh * p.kw, [&](std::size_t plane) {
    const T* in = x + plane * in_plane;
    T* o = out + plane * out_plane;
    std::size_t* ix = indices + plane * out_plane;
    for (std::size_t i = 0; i < p.oh; ++i) {
      const std::size_t r0 = rows.begin[i], r1 = rows.end[i];
      for (std::size_t j = 0; j < p.ow; ++j) {
        const std::size_t c0 = cols.begin[j], c1 = cols.end[j];
        // Branch-free: on unordered data `if (v > best)` is a coin toss per element, so the
        // comparison's 0 / 1 moves the index arithmetically and the maximum is a select. NaN is
        // tracked on the side; a window holding one is scanned again as PyTorch's `v > best ||
        // isnan(v)` decides it: the last NaN wins.
        T best = -std::numeric_limits<T>::infinity();
        std::size_t at = r0 < r1 && c0 < c1 ? r0 * p.w + c0 : in_plane;  // in_plane: empty
        bool nan = false;
        for (std::size_t r = r0; r < r1; r += p.dh) {
          const T* row = in + r * p.w;
          for (std::size_t c = c0; c < c1; c += p.dw) {
            const T v = row[c];
            const auto take = static_cast<std::size_t>(v > best);
            at += take * (r * p.w + c - at);
            best = v > best ? v : best;
            nan |= v != v;
          }
        }
        if (nan) {
          for (std::size_t r = r0; r < r1; r += p.dh) {
            for (std::size_t c = c0; c < c1; c += p.dw) {
              if (in[r * p.w + c] != in[r * p.w + c]) at = r * p.w + c;
            }
          }
          best = in[at];
        }
        o[i * p.ow + j] = best;
        ix[i * p.ow + j] = at;
      }
    }
  });
}

template <class T>
void max_pool_scatter(const T* g, const std::size_t* indices, std::size_t planes,
                      std::size_t in_plane, std::size_t out_plane, T* out) {
  for_each_plane(planes, in_plane + out_plane, [&](std::size_t plane) {
    T* o = out + plane * in_plane;
    std::fill(o, o + in_plane, T(0));
    const T* gp = g + plane * out_plane;
    const std::size_t* ix = indices + plane * out_plane;
    for (std::size_t k = 0; k < out_plane; ++k) {
      if (ix[k] < in_plane) o[ix[k]] += gp[k];
    }
  });
}

template <class T>
void max_pool_gather(const T* a, const std::size_t* indices, std::size_t planes,
                     std::size_t in_plane, std::size_t out_plane, T* out) {
  for_each_plane(planes, out_plane, [&](std::size_t plane) {
    const T* ap = a + plane * in_plane;
    const std::size_t* ix = indices + plane * out_plane;
    T* o = out + plane * out_plane;
    for (std::size_t k = 0; k < out_plane; ++k) o[k] = ix[k] < in_plane ? ap[ix[k]] : T(0);
  });
}

namespace {

/// The divisor of window (i, j) applied to v, rounded as PyTorch's kernels round it.
template <class T>
inline T divided(T v, const BoxPoolPlan& p, std::size_t i, std::size_t j) {
  if (p.per_axis) return v / static_cast<T>(p.rd[i]) / static_cast<T>(p.cd[j]);
  return v / static_cast<T>(p.rd[i] * p.cd[j]);
}

/// Elements in the windows of one output row, summed over the row: the work of a plane.
std::size_t box_work(const BoxPoolPlan& p) {
  std::size_t rows = 0, cols = 0;
  for (std::size_t i = 0; i < p.oh; ++i) rows += p.r1[i] > p.r0[i] ? p.r1[i] - p.r0[i] : 0;
  for (std::size_t j = 0; j < p.ow; ++j) cols += p.c1[j] > p.c0[j] ? p.c1[j] - p.c0[j] : 0;
  return rows * cols + p.h * p.w;
}

}  // namespace

template <class T>
void box_pool_forward(const T* x, std::size_t planes, const BoxPoolPlan& p, T* out) {
  const std::size_t in_plane = p.h * p.w;
  const std::size_t out_plane = p.oh * p.ow;
  for_each_plane(planes, box_work(p), [&](std::size_t plane) {
    const T* in = x + plane * in_plane;
    T* o = out + plane * out_plane;
    for (std::size_t i = 0; i < p.oh; ++i) {
      for (std::size_t j = 0; j < p.ow; ++j) {
        if (p.r0[i] >= p.r1[i] || p.c0[j] >= p.c1[j]) {
          o[i * p.ow + j] = T(0);
          continue;
        }
        T sum = 0;
        for (std::size_t r = p.r0[i]; r < p.r1[i]; ++r) {
          const T* row = in + r * p.w;
          for (std::size_t c = p.c0[j]; c < p.c1[j]; ++c) sum += row[c];
        }
        o[i * p.ow + j] = divided(sum, p, i, j);
      }
    }
  });
}

template <class T>
void box_pool_backward(const T* g, std::size_t planes, const BoxPoolPlan& p, T* out) {
  const std::size_t in_plane = p.h * p.w;
  const std::size_t out_plane = p.oh * p.ow;
  for_each_plane(planes, box_work(p), [&](std::size_t plane) {
    const T* gp = g + plane * out_plane;
    T* o = out + plane * in_plane;
    std::fill(o, o + in_plane, T(0));
    for (std::size_t i = 0; i < p.oh; ++i) {
      for (std::size_t j = 0; j < p.ow; ++j) {
        if (p.r0[i] >= p.r1[i] || p.c0[j] >= p.c1[j]) continue;
        const T delta = divided(gp[i * p.ow + j], p, i, j);
        for (std::size_t r = p.r0[i]; r < p.r1[i]; ++r) {
          T* row = o + r * p.w;
          for (std::size_t c = p.c0[j]; c < p.c1[j]; ++c) row[c] += delta;
        }
      }
    }
  });
}

#define XG_POOL_INSTANTIATE(T)                                                                 \
  template void max_pool_forward(const T*, std::size_t, const MaxPoolPlan&, T*, std::size_t*); \
  template void max_pool_scatter(const T*, const std::size_t*, std::size_t, std::size_t,       \
                                 std::size_t, T*);                                             \
  template void max_pool_gather(const T*, const std::size_t*, std::size_t, std::size_t,        \
                                std::size_t, T*);                                              \
  template void box_pool_forward(const T*, std::size_t, const BoxPoolPlan&, T*);               \
  template void box_pool_backward(const T*, std::size_t, const BoxPoolPlan&, T*);
XG_POOL_INSTANTIATE(float)
XG_POOL_INSTANTIATE(double)

}  // namespace xg::kernels
