// Normalisation kernels (see norm.hpp).
#include "kernels/norm.hpp"

#include <algorithm>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/simd.hpp"

namespace xg::kernels {

namespace {

/// body(c0, c1) over ranges of channels, in parallel when the tensor is big; each channel is
/// handled whole by one call.
template <class Body>
void for_channel_ranges(NormLayout l, Body&& body) {
  const std::size_t per_channel = std::max<std::size_t>(l.count(), 1);
  parallel_for(l.channels, body, std::max<std::size_t>(1, kParallelMinElements / per_channel));
}

/// The run of channel c in outer slice a (inner contiguous values).
template <class T>
const T* run(const T* x, NormLayout l, std::size_t a, std::size_t c) {
  return x + (a * l.channels + c) * l.inner;
}

/// sum (x - m) and sum (x - m)^2 over x[0, n), in eight fixed interleaved partial sums.
template <class T>
void centered_moments(const T* x, std::size_t n, T m, T& d, T& q) {
  T dp[8] = {}, qp[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t k = 0; k < 8; ++k) {
      const T t = x[i + k] - m;
      dp[k] += t;
      qp[k] += t * t;
    }
  }
  for (std::size_t k = 0; i < n; ++i, ++k) {
    const T t = x[i] - m;
    dp[k] += t;
    qp[k] += t * t;
  }
  d = ((dp[0] + dp[4]) + (dp[1] + dp[5])) + ((dp[2] + dp[6]) + (dp[3] + dp[7]));
  q = ((qp[0] + qp[4]) + (qp[1] + qp[5])) + ((qp[2] + qp[6]) + (qp[3] + qp[7]));
}

template <class T>
void stats_impl(const T* x, NormLayout l, T* mean, T* var) {
  const double n = static_cast<double>(l.count());
  for_channel_ranges(l, [&](std::size_t c0, std::size_t c1) {
    const std::size_t w = c1 - c0;
    std::vector<double> s(w, 0.0), d(w, 0.0), q(w, 0.0);
    std::vector<T> m(w);
    if (l.inner == 1) {  // (N, C): rows of channels, summed row by row
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
    } else {
      for (std::size_t j = 0; j < w; ++j) {
        const std::size_t c = c0 + j;
        for (std::size_t a = 0; a < l.outer; ++a) {
          s[j] += static_cast<double>(simd::sum(run(x, l, a, c), l.inner));
        }
        m[j] = static_cast<T>(s[j] / n);
        for (std::size_t a = 0; a < l.outer; ++a) {
          T dr, qr;
          centered_moments(run(x, l, a, c), l.inner, m[j], dr, qr);
          d[j] += static_cast<double>(dr);
          q[j] += static_cast<double>(qr);
        }
      }
    }
    for (std::size_t j = 0; j < w; ++j) {
      mean[c0 + j] = static_cast<T>(static_cast<double>(m[j]) + d[j] / n);
      var[c0 + j] = static_cast<T>(std::max(0.0, (q[j] - d[j] * d[j] / n) / n));
    }
  });
}

template <class T>
void apply_impl(const T* x, NormLayout l, const T* mean, const T* rstd, T* out) {
  for_channel_ranges(l, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t a = 0; a < l.outer; ++a) {
      if (l.inner == 1) {
        const std::size_t base = a * l.channels;
        for (std::size_t c = c0; c < c1; ++c) out[base + c] = (x[base + c] - mean[c]) * rstd[c];
        continue;
      }
      for (std::size_t c = c0; c < c1; ++c) {
        const std::size_t base = (a * l.channels + c) * l.inner;
        const T m = mean[c], r = rstd[c];
        for (std::size_t b = 0; b < l.inner; ++b) out[base + b] = (x[base + b] - m) * r;
      }
    }
  });
}

template <class T>
void backward_impl(const T* g, const T* xhat, NormLayout l, const T* rstd, T* out) {
  const double n = static_cast<double>(l.count());
  for_channel_ranges(l, [&](std::size_t c0, std::size_t c1) {
    const std::size_t w = c1 - c0;
    std::vector<double> s1(w, 0.0), s2(w, 0.0);
    if (l.inner == 1) {
      for (std::size_t a = 0; a < l.outer; ++a) {
        const std::size_t base = a * l.channels + c0;
        for (std::size_t j = 0; j < w; ++j) {
          s1[j] += static_cast<double>(g[base + j]);
          s2[j] += static_cast<double>(g[base + j] * xhat[base + j]);
        }
      }
    } else {
      for (std::size_t j = 0; j < w; ++j) {
        for (std::size_t a = 0; a < l.outer; ++a) {
          s1[j] += static_cast<double>(simd::sum(run(g, l, a, c0 + j), l.inner));
          s2[j] += static_cast<double>(
              simd::dot(run(g, l, a, c0 + j), run(xhat, l, a, c0 + j), l.inner));
        }
      }
    }
    std::vector<T> k1(w), k2(w);
    for (std::size_t j = 0; j < w; ++j) {
      k1[j] = static_cast<T>(s1[j] / n);
      k2[j] = static_cast<T>(s2[j] / n);
    }
    for (std::size_t a = 0; a < l.outer; ++a) {
      if (l.inner == 1) {
        const std::size_t base = a * l.channels + c0;
        for (std::size_t j = 0; j < w; ++j) {
          out[base + j] = rstd[c0 + j] * (g[base + j] - k1[j] - xhat[base + j] * k2[j]);
        }
        continue;
      }
      for (std::size_t j = 0; j < w; ++j) {
        const std::size_t base = (a * l.channels + c0 + j) * l.inner;
        const T r = rstd[c0 + j], m1 = k1[j], m2 = k2[j];
        for (std::size_t b = 0; b < l.inner; ++b) {
          out[base + b] = r * (g[base + b] - m1 - xhat[base + b] * m2);
        }
      }
    }
  });
}

}  // namespace

void norm_stats(const float* x, NormLayout l, float* mean, float* var) {
  stats_impl(x, l, mean, var);
}
void norm_stats(const double* x, NormLayout l, double* mean, double* var) {
  stats_impl(x, l, mean, var);
}
void norm_apply(const float* x, NormLayout l, const float* mean, const float* rstd, float* out) {
  apply_impl(x, l, mean, rstd, out);
}
void norm_apply(const double* x, NormLayout l, const double* mean, const double* rstd,
                double* out) {
  apply_impl(x, l, mean, rstd, out);
}
void norm_backward(const float* g, const float* xhat, NormLayout l, const float* rstd, float* out) {
  backward_impl(g, xhat, l, rstd, out);
}
void norm_backward(const double* g, const double* xhat, NormLayout l, const double* rstd,
                   double* out) {
  backward_impl(g, xhat, l, rstd, out);
}

}  // namespace xg::kernels
