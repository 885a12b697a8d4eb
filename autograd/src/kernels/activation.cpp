#include "kernels/activation.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/fast_math.hpp"
#include "kernels/target_clones.hpp"

namespace xg::kernels {

/// With e = e^-|x| <= 1: s = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0; never overflows.
XG_TARGET_CLONES void sigmoid(const float* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float e = detail::exp_nonpositive(-std::abs(x[i]));
    out[i] = (x[i] >= 0.0f ? 1.0f : e) / (1.0f + e);
  }
}
void sigmoid(const double* x, double* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double e = std::exp(-std::abs(x[i]));
    out[i] = (x[i] >= 0.0 ? 1.0 : e) / (1.0 + e);
  }
}

XG_TARGET_CLONES void tanh(const float* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = detail::tanh_float(x[i]);
}
/// tanh|x| = -t / (2 + t) with t = expm1(-2|x|): accurate near 0 and no overflow.
void tanh(const double* x, double* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double t = std::expm1(-2.0 * std::abs(x[i]));
    out[i] = std::copysign(-t / (2.0 + t), x[i]);
  }
}

template <class T>
void relu(const T* x, T* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::max(x[i], T(0));
}

template <class T>
void sigmoid_backward(const T* g, const T* y, T* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = g[i] * (y[i] * (T(1) - y[i]));
}

template <class T>
void tanh_backward(const T* g, const T* y, T* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = g[i] * (T(1) - y[i] * y[i]);
}

template <class T>
void threshold_backward(const T* g, const T* x, T threshold, T* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const T gi = g[i];  // read unconditionally, so the select vectorises
    out[i] = x[i] > threshold ? gi : T(0);
  }
}

template <class T>
void abs_backward(const T* g, const T* x, T* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const T v = x[i];
    out[i] = g[i] * (v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0)));
  }
}

template <class T>
void sqrt_backward(const T* g, const T* y, T* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = g[i] / (T(2) * y[i]);
}

template <class T>
void elu_backward(const T* g, const T* x, const T* y, T alpha, T* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const T gi = g[i];
    const T negative = gi * (y[i] + alpha);  // both sides computed, so the select vectorises
    out[i] = x[i] > T(0) ? gi : negative;
  }
}

template <bool kMax, class T>
void extremum_backward(const T* g, const T* a, const T* b, T* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const T x = a[i], y = b[i];
    const T share = (kMax ? x < y : x > y) ? T(0) : (x == y ? T(0.5) : T(1));
    out[i] = g[i] * share;
  }
}

#define XG_INSTANTIATE(T)                                                                  \
  template void relu<T>(const T*, T*, std::size_t);                                        \
  template void sigmoid_backward<T>(const T*, const T*, T*, std::size_t);                  \
  template void tanh_backward<T>(const T*, const T*, T*, std::size_t);                     \
  template void threshold_backward<T>(const T*, const T*, T, T*, std::size_t);             \
  template void sqrt_backward<T>(const T*, const T*, T*, std::size_t);                     \
  template void abs_backward<T>(const T*, const T*, T*, std::size_t);                      \
  template void elu_backward<T>(const T*, const T*, const T*, T, T*, std::size_t);         \
  template void extremum_backward<true, T>(const T*, const T*, const T*, T*, std::size_t); \
  template void extremum_backward<false, T>(const T*, const T*, const T*, T*, std::size_t);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::kernels
