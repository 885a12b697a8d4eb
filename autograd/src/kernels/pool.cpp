#include "kernels/pool.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"
#include "kernels/target_clones.hpp"

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

namespace {

/// PyTorch's rule for a window's running maximum: a larger value or any NaN takes over, so the
/// first maximum in scan order wins and a window holding NaN gives its last NaN.
template <class T>
[[gnu::always_inline]] inline bool takes_over(T v, T best) {
  return (v > best) | (v != v);
}

/// A max-pool's windows, axis by axis, and the output columns [inner_begin, inner_end) whose
/// windows lie wholly inside the plane's columns: those are computed for a row of outputs at a
/// time, each window position a pass over the row.
struct MaxWindows {
  AxisWindows rows, cols;
  std::size_t inner_begin = 0, inner_end = 0;
};

MaxWindows max_windows(const MaxPoolPlan& p) {
  MaxWindows m{max_windows(p.h, p.oh, p.kh, p.sh, p.ph, p.dh),
               max_windows(p.w, p.ow, p.kw, p.sw, p.pw, p.dw)};
  const std::size_t extent = (p.kw - 1) * p.dw + 1;
  m.inner_begin = std::min((p.pw + p.sw - 1) / p.sw, p.ow);
  m.inner_end = m.inner_begin;
  while (m.inner_end < p.ow && m.inner_end * p.sw - p.pw + extent <= p.w) ++m.inner_end;
  // Positions are kept in 32 bits on the vector path.
  if (p.h * p.w > std::numeric_limits<std::uint32_t>::max()) m.inner_end = m.inner_begin;
  return m;
}

/// The window of output (i, j) scanned element by element.
template <class T>
[[gnu::always_inline]] inline void max_window(const T* in, const MaxPoolPlan& p,
                                              const MaxWindows& m, std::size_t i, std::size_t j,
                                              T& best_out, std::size_t& at_out) {
  const std::size_t r0 = m.rows.begin[i], r1 = m.rows.end[i];
  const std::size_t c0 = m.cols.begin[j], c1 = m.cols.end[j];
  T best = -std::numeric_limits<T>::infinity();
  std::size_t at = r0 < r1 && c0 < c1 ? r0 * p.w + c0 : p.h * p.w;  // h w: an empty window
  for (std::size_t r = r0; r < r1; r += p.dh) {
    for (std::size_t c = c0; c < c1; c += p.dw) {
      const T v = in[r * p.w + c];
      if (takes_over(v, best)) {
        best = v;
        at = r * p.w + c;
      }
    }
  }
  best_out = best;
  at_out = at;
}

/// Outputs [inner_begin, inner_end) of output row i, by window position: each position is one
/// pass over the row (stride Stride, or p.sw when Stride is 0), which the compiler vectorises.
template <std::size_t Stride, class T>
[[gnu::always_inline]] inline void max_inner_row(const T* __restrict in, const MaxPoolPlan& p,
                                                 const MaxWindows& m, std::size_t i,
                                                 T* __restrict best, std::uint32_t* __restrict at) {
  const std::size_t s = Stride ? Stride : p.sw;
  const std::size_t n = m.inner_end - m.inner_begin;
  const std::size_t col = m.inner_begin * p.sw - p.pw;
  const std::size_t r0 = m.rows.begin[i], r1 = m.rows.end[i];
  if (r0 >= r1) {
    for (std::size_t j = 0; j < n; ++j) {
      best[j] = -std::numeric_limits<T>::infinity();
      at[j] = static_cast<std::uint32_t>(p.h * p.w);
    }
    return;
  }
  {
    const T* row = in + r0 * p.w + col;
    const auto base = static_cast<std::uint32_t>(r0 * p.w + col);
    for (std::size_t j = 0; j < n; ++j) {
      best[j] = row[j * s];
      at[j] = base + static_cast<std::uint32_t>(j * s);
    }
  }
  for (std::size_t r = r0; r < r1; r += p.dh) {
    for (std::size_t b = r == r0 ? 1 : 0; b < p.kw; ++b) {
      const std::size_t c = col + b * p.dw;
      const T* row = in + r * p.w + c;
      const auto base = static_cast<std::uint32_t>(r * p.w + c);
      for (std::size_t j = 0; j < n; ++j) {
        const T v = row[j * s];
        const bool take = takes_over(v, best[j]);
        best[j] = take ? v : best[j];
        at[j] = take ? base + static_cast<std::uint32_t>(j * s) : at[j];
      }
    }
  }
}

/// The same for a KH x KW window with stride S along the row and dilation 1, its rows wholly
/// inside the plane: the window unrolled inside the loop over the row, which is vectorised.
template <std::size_t KH, std::size_t KW, std::size_t S, class T>
[[gnu::always_inline]] inline void max_inner_row_fixed(const T* __restrict in, const MaxPoolPlan& p,
                                                       const MaxWindows& m, std::size_t i,
                                                       T* __restrict best,
                                                       std::uint32_t* __restrict at) {
  const std::size_t n = m.inner_end - m.inner_begin;
  const std::size_t w = p.w;
  const std::size_t first = m.rows.begin[i] * w + m.inner_begin * S - p.pw;
  const T* top = in + first;
  for (std::size_t j = 0; j < n; ++j) {
    T b = top[j * S];
    auto a = static_cast<std::uint32_t>(first + j * S);
    for (std::size_t r = 0; r < KH; ++r) {
      for (std::size_t c = 0; c < KW; ++c) {
        if (r == 0 && c == 0) continue;
        const T v = top[r * w + j * S + c];
        const bool take = takes_over(v, b);
        b = take ? v : b;
        a = take ? static_cast<std::uint32_t>(first + r * w + j * S + c) : a;
      }
    }
    best[j] = b;
    at[j] = a;
  }
}

/// 2 x 2 windows, stride 2, in float: L outputs at a time from two runs of 2 L values of the
/// window's rows, split into even and odd columns. Rows of outputs are short in a CNN (13 or 5
/// of them), so the last L are taken again, overlapping, instead of a scalar tail.
// Two specialisations: GCC ignores a vector_size that depends on a template parameter.
template <std::size_t L>
struct PoolLanes;
template <>
struct PoolLanes<4> {
  using F = float __attribute__((vector_size(16)));
  using U = std::uint32_t __attribute__((vector_size(16)));
  static constexpr U kEven = {0, 2, 4, 6};
};
template <>
struct PoolLanes<8> {
  using F = float __attribute__((vector_size(32)));
  using U = std::uint32_t __attribute__((vector_size(32)));
  static constexpr U kEven = {0, 2, 4, 6, 8, 10, 12, 14};
};

// The even and odd lanes of the 2 L values in a and b (a macro: a function taking or returning
// a 32-byte vector has a target-dependent ABI, -Wpsabi).
#define XG_POOL_SPLIT(L, a, b, even, odd)                            \
  if constexpr (L == 8) {                                            \
    even = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14); \
    odd = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);  \
  } else {                                                           \
    even = __builtin_shufflevector(a, b, 0, 2, 4, 6);                \
    odd = __builtin_shufflevector(a, b, 1, 3, 5, 7);                 \
  }

template <std::size_t L>
[[gnu::always_inline]] inline void max_inner_row_2x2(const float* __restrict in,
                                                     const MaxPoolPlan& p, const MaxWindows& m,
                                                     std::size_t i, float* __restrict best,
                                                     std::uint32_t* __restrict at) {
  using V = PoolLanes<L>;
  using F = typename V::F;
  using U = typename V::U;
  const std::size_t n = m.inner_end - m.inner_begin;
  const std::size_t w = p.w;
  const std::size_t first = m.rows.begin[i] * w + m.inner_begin * 2 - p.pw;
  const float* top = in + first;
  const auto row_step = static_cast<std::uint32_t>(w);
  for (std::size_t k = 0;; k += L) {
    const std::size_t j = std::min(k, n - L);
    const float* t = top + 2 * j;
    // Unaligned loads and stores through memcpy (compiled to plain vector moves).
    F t0, t1, d0, d1;
    std::memcpy(&t0, t, sizeof t0);
    std::memcpy(&t1, t + L, sizeof t1);
    std::memcpy(&d0, t + w, sizeof d0);
    std::memcpy(&d1, t + w + L, sizeof d1);
    F te, to, de, dd;
    XG_POOL_SPLIT(L, t0, t1, te, to)
    XG_POOL_SPLIT(L, d0, d1, de, dd)
    const U even = V::kEven + static_cast<std::uint32_t>(first + 2 * j);
    F b = te;
    U a = even;
    auto step = [&](const F& v, const U& idx) {
      const auto take = (v > b) | (v != v);
      b = take ? v : b;
      a = take ? idx : a;
    };
    step(to, even + 1u);
    step(de, even + row_step);
    step(dd, even + row_step + 1u);
    std::memcpy(best + j, &b, sizeof b);
    std::memcpy(at + j, &a, sizeof a);
    if (j + L == n) break;
  }
}
#undef XG_POOL_SPLIT

/// Output row i's inner outputs, by the fastest loop that fits the window.
template <class T>
[[gnu::always_inline]] inline void max_inner(const T* in, const MaxPoolPlan& p, const MaxWindows& m,
                                             std::size_t i, T* best, std::uint32_t* at) {
  const bool whole_rows = m.rows.end[i] - m.rows.begin[i] == p.kh && p.dh == 1 && p.dw == 1;
  if (whole_rows && p.kh == 2 && p.kw == 2 && p.sw == 2) {
    if constexpr (std::is_same_v<T, float>) {
      const std::size_t n = m.inner_end - m.inner_begin;
      if (n >= 8) return max_inner_row_2x2<8>(in, p, m, i, best, at);
      if (n >= 4) return max_inner_row_2x2<4>(in, p, m, i, best, at);
    }
    max_inner_row_fixed<2, 2, 2>(in, p, m, i, best, at);
  } else if (whole_rows && p.kh == 3 && p.kw == 3 && p.sw == 2) {
    max_inner_row_fixed<3, 3, 2>(in, p, m, i, best, at);
  } else if (whole_rows && p.kh == 3 && p.kw == 3 && p.sw == 1) {
    max_inner_row_fixed<3, 3, 1>(in, p, m, i, best, at);
  } else if (p.sw == 1) {
    max_inner_row<1>(in, p, m, i, best, at);
  } else if (p.sw == 2) {
    max_inner_row<2>(in, p, m, i, best, at);
  } else {
    max_inner_row<0>(in, p, m, i, best, at);
  }
}

/// max_pool_forward for planes [p0, p1).
template <class T>
[[gnu::always_inline]] inline void max_planes(const T* x, std::size_t p0, std::size_t p1,
                                              const MaxPoolPlan& p, const MaxWindows& m, T* out,
                                              std::size_t* indices) {
  const std::size_t in_plane = p.h * p.w, out_plane = p.oh * p.ow;
  std::vector<std::uint32_t> at(m.inner_end - m.inner_begin);
  for (std::size_t plane = p0; plane < p1; ++plane) {
    const T* in = x + plane * in_plane;
    for (std::size_t i = 0; i < p.oh; ++i) {
      T* o = out + plane * out_plane + i * p.ow;
      std::size_t* ix = indices + plane * out_plane + i * p.ow;
      for (std::size_t j = 0; j < m.inner_begin; ++j) max_window(in, p, m, i, j, o[j], ix[j]);
      if (!at.empty()) {
        max_inner(in, p, m, i, o + m.inner_begin, at.data());
        // Locals, so that the stores into ix (size_t, like the plan's fields) do not force
        // reloads: the widening then vectorises.
        std::size_t* __restrict wide = ix + m.inner_begin;
        const std::uint32_t* __restrict narrow = at.data();
        const std::size_t n = at.size();
        for (std::size_t j = 0; j < n; ++j) wide[j] = narrow[j];
      }
      for (std::size_t j = m.inner_end; j < p.ow; ++j) max_window(in, p, m, i, j, o[j], ix[j]);
    }
  }
}

XG_TARGET_CLONES void max_plane_range(const float* x, std::size_t p0, std::size_t p1,
                                      const MaxPoolPlan& p, const MaxWindows& m, float* out,
                                      std::size_t* indices) {
  max_planes(x, p0, p1, p, m, out, indices);
}
void max_plane_range(const double* x, std::size_t p0, std::size_t p1, const MaxPoolPlan& p,
                     const MaxWindows& m, double* out, std::size_t* indices) {
  max_planes(x, p0, p1, p, m, out, indices);
}

}  // namespace

template <class T>
void max_pool_forward(const T* x, std::size_t planes, const MaxPoolPlan& p, T* out,
                      std::size_t* indices) {
  const MaxWindows m = max_windows(p);
  parallel_for(
      planes,
      [&](std::size_t p0, std::size_t p1) { max_plane_range(x, p0, p1, p, m, out, indices); },
      rows_per_task(p.oh * p.ow * p.kh * p.kw));
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
