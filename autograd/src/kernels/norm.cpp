// Normalisation kernels (see norm.hpp). The float loops are built for AVX-512, AVX2 and the
// baseline (target_clones.hpp): the work of a range of channels is one cloned function, which the
// pool's tasks call.
#include "kernels/norm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/simd.hpp"
#include "kernels/target_clones.hpp"

namespace xg::kernels {

namespace {

/// body(c0, c1) over ranges of channels, in parallel when the tensor is big; each channel is
/// handled whole by one call.
template <class Body>
void for_channel_ranges(NormLayout l, Body&& body) {
  const std::size_t per_channel = std::max<std::size_t>(l.count(), 1);
  parallel_for(l.channels, body, std::max<std::size_t>(1, kParallelMinElements / per_channel));
}

/// How many runs ahead of the one being read the loops over a channel prefetch.
constexpr std::size_t kPrefetchRuns = 2;

/// Offset of the run of channel c in outer slice a (inner contiguous values).
inline std::size_t at(NormLayout l, std::size_t a, std::size_t c) {
  return (a * l.channels + c) * l.inner;
}

template <class T>
using Vec = typename simd::Lanes<T>::type;

/// Asks for the cache lines of x[0, n) ahead of their use. A channel's values are runs of `inner`
/// values a whole slice apart, each run too short for the hardware prefetcher to ramp up on.
template <class T>
[[gnu::always_inline]] inline void prefetch_run(const T* x, std::size_t n) {
  const char* p = reinterpret_cast<const char*>(x);
  for (std::size_t b = 0; b < n * sizeof(T); b += 64) __builtin_prefetch(p + b);
}

/// sum (x - m) and sum (x - m)^2 over x[0, n), in SIMD lanes (simd.hpp's layout and order).
template <class T>
[[gnu::always_inline]] inline void centered_moments(const T* x, std::size_t n, T m, T& d, T& q) {
  constexpr std::size_t Q = simd::Lanes<T>::quarter, L = simd::Lanes<T>::count;
  const Vec<T> mv = Vec<T>{} + m;
  simd::Lanes<T> dl = {}, ql = {};
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const Vec<T> t0 = simd::load(x + i) - mv, t1 = simd::load(x + i + Q) - mv,
                 t2 = simd::load(x + i + 2 * Q) - mv, t3 = simd::load(x + i + 3 * Q) - mv;
    dl.q0 += t0;
    dl.q1 += t1;
    dl.q2 += t2;
    dl.q3 += t3;
    ql.q0 += t0 * t0;
    ql.q1 += t1 * t1;
    ql.q2 += t2 * t2;
    ql.q3 += t3 * t3;
  }
  T dt = 0, qt = 0;
  for (; i < n; ++i) {
    const T t = x[i] - m;
    dt += t;
    qt += t * t;
  }
  const simd::Lanes<T> zero = {};
  d = simd::add_lanes(dl, zero) + dt;
  q = simd::add_lanes(ql, zero) + qt;
}

/// sum u and sum u (x - m) over [0, n), u = g * w (w null: u = g), in SIMD lanes.
template <class T>
[[gnu::always_inline]] inline void grad_moments(const T* g, const T* w, const T* x, std::size_t n,
                                                T m, T& su, T& sux) {
  constexpr std::size_t Q = simd::Lanes<T>::quarter, L = simd::Lanes<T>::count;
  const Vec<T> mv = Vec<T>{} + m;
  simd::Lanes<T> a = {}, b = {};
  auto lane = [&](std::size_t k) {
    return w ? simd::load(g + k) * simd::load(w + k) : simd::load(g + k);
  };
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const Vec<T> u0 = lane(i), u1 = lane(i + Q), u2 = lane(i + 2 * Q), u3 = lane(i + 3 * Q);
    a.q0 += u0;
    a.q1 += u1;
    a.q2 += u2;
    a.q3 += u3;
    b.q0 += u0 * (simd::load(x + i) - mv);
    b.q1 += u1 * (simd::load(x + i + Q) - mv);
    b.q2 += u2 * (simd::load(x + i + 2 * Q) - mv);
    b.q3 += u3 * (simd::load(x + i + 3 * Q) - mv);
  }
  T at = 0, bt = 0;
  for (; i < n; ++i) {
    const T u = w ? g[i] * w[i] : g[i];
    at += u;
    bt += u * (x[i] - m);
  }
  const simd::Lanes<T> zero = {};
  su = simd::add_lanes(a, zero) + at;
  sux = simd::add_lanes(b, zero) + bt;
}

/// Runs at least this long are summarised one by one while in L1 (channel_stats).
constexpr std::size_t kLongRun = 32;

/// Mean and biased variance of channel c (inner > 1). Long runs: each run's mean and sum of
/// squared deviations by the corrected two-pass algorithm while the run is in L1, merged into
/// the channel's in double by Chan et al.'s pairwise update, so the channel crosses memory once.
/// Short runs: the channel's sum, then the corrected sums of the deviations from its first mean.
template <class T>
[[gnu::always_inline]] inline void channel_stats(const T* x, NormLayout l, std::size_t c, T& mean,
                                                 T& var) {
  if (l.inner >= kLongRun) {
    const double len = static_cast<double>(l.inner);
    double count = 0, mu = 0, m2 = 0;
    for (std::size_t a = 0; a < l.outer; ++a) {
      const T* run = x + at(l, a, c);
      if (a + kPrefetchRuns < l.outer) prefetch_run(x + at(l, a + kPrefetchRuns, c), l.inner);
      const T m = static_cast<T>(static_cast<double>(simd::sum(run, l.inner)) / len);
      T d, q;
      centered_moments(run, l.inner, m, d, q);
      const double run_mean = static_cast<double>(m) + static_cast<double>(d) / len;
      const double run_m2 =
          std::max(0.0, static_cast<double>(q) - static_cast<double>(d) * d / len);
      const double total = count + len, delta = run_mean - mu;
      mu += delta * (len / total);
      m2 += run_m2 + delta * delta * (count * len / total);
      count = total;
    }
    mean = static_cast<T>(mu);
    var = static_cast<T>(m2 / count);
    return;
  }
  const double n = static_cast<double>(l.count());
  double s = 0;
  for (std::size_t a = 0; a < l.outer; ++a)
    s += static_cast<double>(simd::sum(x + at(l, a, c), l.inner));
  const T m = static_cast<T>(s / n);
  double d = 0, q = 0;
  for (std::size_t a = 0; a < l.outer; ++a) {
    T dr, qr;
    centered_moments(x + at(l, a, c), l.inner, m, dr, qr);
    d += static_cast<double>(dr);
    q += static_cast<double>(qr);
  }
  mean = static_cast<T>(static_cast<double>(m) + d / n);
  var = static_cast<T>(std::max(0.0, (q - d * d / n) / n));
}

/// The (N, C) layout (inner 1): mean and var of channels [c0, c1), row by row.
template <class T>
[[gnu::always_inline]] inline void row_stats(const T* x, NormLayout l, std::size_t c0,
                                             std::size_t c1, T* mean, T* var) {
  const double n = static_cast<double>(l.count());
  const std::size_t w = c1 - c0;
  std::vector<double> s(w, 0.0), d(w, 0.0), q(w, 0.0);
  std::vector<T> m(w);
  for (std::size_t a = 0; a < l.outer; ++a) {
    const T* row = x + a * l.channels + c0;
    for (std::size_t j = 0; j < w; ++j) s[j] += static_cast<double>(row[j]);
  }
  for (std::size_t j = 0; j < w; ++j) m[j] = static_cast<T>(s[j] / n);
  for (std::size_t a = 0; a < l.outer; ++a) {
    const T* row = x + a * l.channels + c0;
    for (std::size_t j = 0; j < w; ++j) {
      const double t = static_cast<double>(row[j] - m[j]);
      d[j] += t;
      q[j] += t * t;
    }
  }
  for (std::size_t j = 0; j < w; ++j) {
    mean[c0 + j] = static_cast<T>(static_cast<double>(m[j]) + d[j] / n);
    var[c0 + j] = static_cast<T>(std::max(0.0, (q[j] - d[j] * d[j] / n) / n));
  }
}

/// out = (x - mean) * rstd * weight + bias for channels [c0, c1).
template <class T>
[[gnu::always_inline]] inline void apply_channels(const T* x, NormLayout l, std::size_t c0,
                                                  std::size_t c1, const T* mean, const T* rstd,
                                                  NormAffine<T> p, T* out) {
  if (p.axis == AffineAxis::inner) {
    // One row per channel (outer 1): xhat, then the weight and bias of each position.
    const T* w = p.weight;
    const T* b = p.bias;
    const std::size_t len = l.inner;
    for (std::size_t c = c0; c < c1; ++c) {
      const T* xr = x + at(l, 0, c);
      T* o = out + at(l, 0, c);
      const T m = mean[c], r = rstd[c];
      if (w && b) {
        for (std::size_t i = 0; i < len; ++i) o[i] = (xr[i] - m) * r * w[i] + b[i];
      } else if (w) {
        for (std::size_t i = 0; i < len; ++i) o[i] = (xr[i] - m) * r * w[i];
      } else if (b) {
        for (std::size_t i = 0; i < len; ++i) o[i] = (xr[i] - m) * r + b[i];
      } else {
        for (std::size_t i = 0; i < len; ++i) o[i] = (xr[i] - m) * r;
      }
    }
    return;
  }
  auto scale = [&](std::size_t c) {
    return p.weight ? static_cast<T>(static_cast<double>(rstd[c]) * p.weight[c]) : rstd[c];
  };
  auto shift = [&](std::size_t c) { return p.bias ? p.bias[c] : T(0); };
  if (l.inner == 1) {
    const std::size_t w = c1 - c0;
    std::vector<T> k(2 * w);
    for (std::size_t j = 0; j < w; ++j) {
      k[j] = scale(c0 + j);
      k[w + j] = shift(c0 + j);
    }
    for (std::size_t a = 0; a < l.outer; ++a) {
      const T* xr = x + a * l.channels + c0;
      T* o = out + a * l.channels + c0;
      for (std::size_t j = 0; j < w; ++j) o[j] = (xr[j] - mean[c0 + j]) * k[j] + k[w + j];
    }
    return;
  }
  for (std::size_t c = c0; c < c1; ++c) {
    const T m = mean[c], s = scale(c), t = shift(c);
    // Last run first: the statistics' pass left the channel's last runs in cache.
    for (std::size_t a = l.outer; a-- > 0;) {
      const T* xr = x + at(l, a, c);
      T* o = out + at(l, a, c);
      for (std::size_t i = 0; i < l.inner; ++i) o[i] = (xr[i] - m) * s + t;
    }
  }
}

template <class T>
[[gnu::always_inline]] inline T rstd_of(T var, double eps) {
  return static_cast<T>(1.0 / std::sqrt(static_cast<double>(var) + eps));
}

template <class T>
[[gnu::always_inline]] inline void forward_channels(const T* x, NormLayout l, std::size_t c0,
                                                    std::size_t c1, double eps, NormAffine<T> p,
                                                    T* mean, T* var, T* rstd, T* out) {
  if (l.inner == 1) {
    row_stats(x, l, c0, c1, mean, var);
    for (std::size_t c = c0; c < c1; ++c) rstd[c] = rstd_of(var[c], eps);
    apply_channels(x, l, c0, c1, mean, rstd, p, out);
    return;
  }
  // Channel by channel: its values, read once from memory for the statistics, are still in
  // cache when the output is written.
  for (std::size_t c = c0; c < c1; ++c) {
    channel_stats(x, l, c, mean[c], var[c]);
    rstd[c] = rstd_of(var[c], eps);
    apply_channels(x, l, c, c + 1, mean, rstd, p, out);
  }
}

/// The coefficients of dx = A * u + B * (x - mean) + C for one channel, from su = sum u and
/// sux = sum u (x - mean), u = g * weight.
struct Coefficients {
  double a, b, c;
};
inline Coefficients coefficients(double r, double su, double sux, double n, bool fixed) {
  if (fixed) return {r, 0.0, 0.0};
  return {r, -r * r * r * sux / n, -r * su / n};
}

/// norm_backward for channels [c0, c1), the weight per channel.
template <class T>
[[gnu::always_inline]] inline void backward_channels(const T* g, const T* x, NormLayout l,
                                                     std::size_t c0, std::size_t c1, const T* mean,
                                                     const T* rstd, const T* weight, bool fixed,
                                                     NormGrads<T> out) {
  const double n = static_cast<double>(l.count());
  if (l.inner == 1) {
    // (N, C): sums row by row for the range's channels, in double.
    const std::size_t w = c1 - c0;
    std::vector<double> su(w, 0.0), sux(w, 0.0);
    for (std::size_t a = 0; a < l.outer; ++a) {
      const std::size_t base = a * l.channels + c0;
      for (std::size_t j = 0; j < w; ++j) {
        su[j] += static_cast<double>(g[base + j]);
        sux[j] += static_cast<double>(g[base + j] * (x[base + j] - mean[c0 + j]));
      }
    }
    std::vector<T> k(3 * w);
    for (std::size_t j = 0; j < w; ++j) {
      const std::size_t c = c0 + j;
      const double r = static_cast<double>(rstd[c]);
      if (out.dbias) out.dbias[c] = static_cast<T>(su[j]);
      if (out.dweight) out.dweight[c] = static_cast<T>(sux[j] * r);
      const double wc = weight ? static_cast<double>(weight[c]) : 1.0;
      const Coefficients q = coefficients(r, wc * su[j], wc * sux[j], n, fixed);
      k[j] = static_cast<T>(q.a * wc);
      k[w + j] = static_cast<T>(q.b);
      k[2 * w + j] = static_cast<T>(q.c);
    }
    if (!out.dx) return;
    for (std::size_t a = 0; a < l.outer; ++a) {
      const std::size_t base = a * l.channels + c0;
      for (std::size_t j = 0; j < w; ++j) {
        out.dx[base + j] =
            k[j] * g[base + j] + k[w + j] * (x[base + j] - mean[c0 + j]) + k[2 * w + j];
      }
    }
    return;
  }
  for (std::size_t c = c0; c < c1; ++c) {
    const T m = mean[c];
    const double r = static_cast<double>(rstd[c]);
    const double wc = weight ? static_cast<double>(weight[c]) : 1.0;
    double su = 0, sux = 0;
    if (!fixed || out.dweight || out.dbias) {
      for (std::size_t a = 0; a < l.outer; ++a) {
        if (a + kPrefetchRuns < l.outer) {
          prefetch_run(g + at(l, a + kPrefetchRuns, c), l.inner);
          prefetch_run(x + at(l, a + kPrefetchRuns, c), l.inner);
        }
        T s1, s2;
        grad_moments(g + at(l, a, c), static_cast<const T*>(nullptr), x + at(l, a, c), l.inner, m,
                     s1, s2);
        su += static_cast<double>(s1);
        sux += static_cast<double>(s2);
      }
    }
    if (out.dbias) out.dbias[c] = static_cast<T>(su);
    if (out.dweight) out.dweight[c] = static_cast<T>(sux * r);
    if (!out.dx) continue;
    // The second pass reads the channel's g and x from cache, last run first: when a channel is
    // larger than the cache, its first runs are the ones already evicted.
    const Coefficients q = coefficients(r, wc * su, wc * sux, n, fixed);
    const T ka = static_cast<T>(q.a * wc), kb = static_cast<T>(q.b), kc = static_cast<T>(q.c);
    for (std::size_t a = l.outer; a-- > 0;) {
      const T* gr = g + at(l, a, c);
      const T* xr = x + at(l, a, c);
      T* o = out.dx + at(l, a, c);
      for (std::size_t i = 0; i < l.inner; ++i) o[i] = ka * gr[i] + kb * (xr[i] - m) + kc;
    }
  }
}

/// The rows (channels) of a layout with outer 1 are summed into dweight and dbias by chunks:
/// the rows of a chunk into a partial of its own, in order, and the partials in chunk order,
/// so that the sums do not depend on how the chunks are spread over threads.
constexpr std::size_t kRowsPerChunk = 32;

/// norm_backward for the rows [r0, r1) of one chunk, the weight per position; adds each row's
/// g and g * xhat into pb and pw (when not null; of inner values, zeroed by the caller).
template <class T>
[[gnu::always_inline]] inline void backward_rows(const T* g, const T* x, NormLayout l,
                                                 std::size_t r0, std::size_t r1, const T* mean,
                                                 const T* rstd, const T* weight, bool fixed, T* dx,
                                                 T* pw, T* pb) {
  const double n = static_cast<double>(l.inner);
  const std::size_t len = l.inner;
  for (std::size_t c = r0; c < r1; ++c) {
    const T* gr = g + c * len;
    const T* xr = x + c * len;
    const T m = mean[c], r = rstd[c];
    if (pb) {
      for (std::size_t i = 0; i < len; ++i) pb[i] += gr[i];
    }
    if (pw) {
      for (std::size_t i = 0; i < len; ++i) pw[i] += gr[i] * ((xr[i] - m) * r);
    }
    if (!dx) continue;
    double su = 0, sux = 0;
    if (!fixed) {
      T s1, s2;
      grad_moments(gr, weight, xr, len, m, s1, s2);
      su = static_cast<double>(s1);
      sux = static_cast<double>(s2);
    }
    const Coefficients q = coefficients(static_cast<double>(r), su, sux, n, fixed);
    const T ka = static_cast<T>(q.a), kb = static_cast<T>(q.b), kc = static_cast<T>(q.c);
    T* o = dx + c * len;
    if (weight) {
      for (std::size_t i = 0; i < len; ++i) o[i] = ka * gr[i] * weight[i] + kb * (xr[i] - m) + kc;
    } else {
      for (std::size_t i = 0; i < len; ++i) o[i] = ka * gr[i] + kb * (xr[i] - m) + kc;
    }
  }
}

XG_TARGET_CLONES void forward_range(const float* x, NormLayout l, std::size_t c0, std::size_t c1,
                                    double eps, NormAffine<float> p, float* mean, float* var,
                                    float* rstd, float* out) {
  forward_channels(x, l, c0, c1, eps, p, mean, var, rstd, out);
}
void forward_range(const double* x, NormLayout l, std::size_t c0, std::size_t c1, double eps,
                   NormAffine<double> p, double* mean, double* var, double* rstd, double* out) {
  forward_channels(x, l, c0, c1, eps, p, mean, var, rstd, out);
}

XG_TARGET_CLONES void apply_range(const float* x, NormLayout l, std::size_t c0, std::size_t c1,
                                  const float* mean, const float* rstd, NormAffine<float> p,
                                  float* out) {
  apply_channels(x, l, c0, c1, mean, rstd, p, out);
}
void apply_range(const double* x, NormLayout l, std::size_t c0, std::size_t c1, const double* mean,
                 const double* rstd, NormAffine<double> p, double* out) {
  apply_channels(x, l, c0, c1, mean, rstd, p, out);
}

XG_TARGET_CLONES void backward_range(const float* g, const float* x, NormLayout l, std::size_t c0,
                                     std::size_t c1, const float* mean, const float* rstd,
                                     const float* weight, bool fixed, NormGrads<float> out) {
  backward_channels(g, x, l, c0, c1, mean, rstd, weight, fixed, out);
}
void backward_range(const double* g, const double* x, NormLayout l, std::size_t c0, std::size_t c1,
                    const double* mean, const double* rstd, const double* weight, bool fixed,
                    NormGrads<double> out) {
  backward_channels(g, x, l, c0, c1, mean, rstd, weight, fixed, out);
}

XG_TARGET_CLONES void rows_range(const float* g, const float* x, NormLayout l, std::size_t r0,
                                 std::size_t r1, const float* mean, const float* rstd,
                                 const float* weight, bool fixed, float* dx, float* pw, float* pb) {
  backward_rows(g, x, l, r0, r1, mean, rstd, weight, fixed, dx, pw, pb);
}
void rows_range(const double* g, const double* x, NormLayout l, std::size_t r0, std::size_t r1,
                const double* mean, const double* rstd, const double* weight, bool fixed,
                double* dx, double* pw, double* pb) {
  backward_rows(g, x, l, r0, r1, mean, rstd, weight, fixed, dx, pw, pb);
}

template <class T>
void forward_impl(const T* x, NormLayout l, double eps, NormAffine<T> p, T* mean, T* var, T* rstd,
                  T* out) {
  for_channel_ranges(l, [&](std::size_t c0, std::size_t c1) {
    forward_range(x, l, c0, c1, eps, p, mean, var, rstd, out);
  });
}

template <class T>
void apply_impl(const T* x, NormLayout l, const T* mean, const T* rstd, NormAffine<T> p, T* out) {
  for_channel_ranges(
      l, [&](std::size_t c0, std::size_t c1) { apply_range(x, l, c0, c1, mean, rstd, p, out); });
}

template <class T>
void backward_impl(const T* g, const T* x, NormLayout l, const T* mean, const T* rstd,
                   NormAffine<T> p, bool fixed, NormGrads<T> out) {
  if (p.axis == AffineAxis::channel) {
    for_channel_ranges(l, [&](std::size_t c0, std::size_t c1) {
      backward_range(g, x, l, c0, c1, mean, rstd, p.weight, fixed, out);
    });
    return;
  }
  // The weight per position (outer 1): dx row by row, and dweight and dbias summed across the
  // rows in chunk partials, added up in chunk order at the end.
  const std::size_t rows = l.channels, len = l.inner;
  const std::size_t chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
  const bool sums = out.dweight || out.dbias;
  std::vector<T> part(sums ? 2 * chunks * len : 0, T(0));
  const std::size_t per_chunk = std::max<std::size_t>(kRowsPerChunk * len, 1);
  parallel_for(
      chunks,
      [&](std::size_t k0, std::size_t k1) {
        for (std::size_t k = k0; k < k1; ++k) {
          T* pw = out.dweight ? part.data() + 2 * k * len : nullptr;
          T* pb = out.dbias ? part.data() + (2 * k + 1) * len : nullptr;
          rows_range(g, x, l, k * kRowsPerChunk, std::min(rows, (k + 1) * kRowsPerChunk), mean,
                     rstd, p.weight, fixed, out.dx, pw, pb);
        }
      },
      std::max<std::size_t>(1, kParallelMinElements / per_chunk));
  if (!sums) return;
  std::vector<double> sw(out.dweight ? len : 0, 0.0), sb(out.dbias ? len : 0, 0.0);
  for (std::size_t k = 0; k < chunks; ++k) {
    const T* pw = part.data() + 2 * k * len;
    const T* pb = pw + len;
    for (std::size_t i = 0; i < sw.size(); ++i) sw[i] += static_cast<double>(pw[i]);
    for (std::size_t i = 0; i < sb.size(); ++i) sb[i] += static_cast<double>(pb[i]);
  }
  for (std::size_t i = 0; i < sw.size(); ++i) out.dweight[i] = static_cast<T>(sw[i]);
  for (std::size_t i = 0; i < sb.size(); ++i) out.dbias[i] = static_cast<T>(sb[i]);
}

}  // namespace

void norm_forward(const float* x, NormLayout l, double eps, NormAffine<float> a, float* mean,
                  float* var, float* rstd, float* out) {
  forward_impl(x, l, eps, a, mean, var, rstd, out);
}
void norm_forward(const double* x, NormLayout l, double eps, NormAffine<double> a, double* mean,
                  double* var, double* rstd, double* out) {
  forward_impl(x, l, eps, a, mean, var, rstd, out);
}
void norm_apply(const float* x, NormLayout l, const float* mean, const float* rstd,
                NormAffine<float> a, float* out) {
  apply_impl(x, l, mean, rstd, a, out);
}
void norm_apply(const double* x, NormLayout l, const double* mean, const double* rstd,
                NormAffine<double> a, double* out) {
  apply_impl(x, l, mean, rstd, a, out);
}
void norm_backward(const float* g, const float* x, NormLayout l, const float* mean,
                   const float* rstd, NormAffine<float> a, bool fixed_stats, NormGrads<float> out) {
  backward_impl(g, x, l, mean, rstd, a, fixed_stats, out);
}
void norm_backward(const double* g, const double* x, NormLayout l, const double* mean,
                   const double* rstd, NormAffine<double> a, bool fixed_stats,
                   NormGrads<double> out) {
  backward_impl(g, x, l, mean, rstd, a, fixed_stats, out);
}

}  // namespace xg::kernels
