#include "kernels/math.hpp"

#include <cmath>

#include "kernels/fast_math.hpp"
#include "kernels/target_clones.hpp"

namespace xg::kernels {

XG_TARGET_CLONES void exp(const float* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = detail::exp_float(x[i]);
}
void exp(const double* x, double* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
}

XG_TARGET_CLONES void log(const float* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = detail::log_float(x[i]);
}
void log(const double* x, double* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::log(x[i]);
}

namespace {
template <class T>
inline void elu_loop(const T* x, T* out, std::size_t n, T alpha) {
  for (std::size_t i = 0; i < n; ++i) {
    const T v = x[i];
    const T negative = alpha * detail::expm1_nonpositive_of(v < T(0) ? v : T(0));  // both sides,
    out[i] = v > T(0) ? v : negative;  // so the select vectorises
  }
}
template <class T>
inline void softplus_loop(const T* x, T* out, std::size_t n, T beta, T threshold) {
  for (std::size_t i = 0; i < n; ++i) {
    const T z = beta * x[i];
    const T smooth =
        ((z > T(0) ? z : T(0)) + detail::log1p_unit_of(detail::exp_nonpositive_of(-std::abs(z)))) /
        beta;
    out[i] = z > threshold ? x[i] : smooth;
  }
}
template <class T>
inline void softplus_backward_loop(const T* g, const T* x, T* out, std::size_t n, T beta,
                                   T threshold) {
  for (std::size_t i = 0; i < n; ++i) {
    const T z = beta * x[i];
    const T e = detail::exp_of(-std::abs(z));  // sigmoid(z) without overflow
    const T s = (z >= T(0) ? T(1) : e) / (T(1) + e);
    const T gi = g[i];
    out[i] = z > threshold ? gi : gi * s;
  }
}
}  // namespace

XG_TARGET_CLONES void softplus_backward(const float* g, const float* x, float* out, std::size_t n,
                                        float beta, float threshold) {
  softplus_backward_loop(g, x, out, n, beta, threshold);
}
void softplus_backward(const double* g, const double* x, double* out, std::size_t n, double beta,
                       double threshold) {
  softplus_backward_loop(g, x, out, n, beta, threshold);
}

XG_TARGET_CLONES void elu(const float* x, float* out, std::size_t n, float alpha) {
  elu_loop(x, out, n, alpha);
}
void elu(const double* x, double* out, std::size_t n, double alpha) {
  elu_loop(x, out, n, alpha);
}
XG_TARGET_CLONES void softplus(const float* x, float* out, std::size_t n, float beta,
                               float threshold) {
  softplus_loop(x, out, n, beta, threshold);
}
void softplus(const double* x, double* out, std::size_t n, double beta, double threshold) {
  softplus_loop(x, out, n, beta, threshold);
}

}  // namespace xg::kernels
