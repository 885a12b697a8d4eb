// exp and ln over contiguous buffers: the float polynomials of fast_math.hpp, built for AVX-512,
// AVX2 and the baseline (target_clones.hpp); double through the C library.
#pragma once

#include <cstddef>

namespace xg::kernels {

void exp(const float* x, float* out, std::size_t n);
void exp(const double* x, double* out, std::size_t n);
void log(const float* x, float* out, std::size_t n);
void log(const double* x, double* out, std::size_t n);

/// elu: x for x > 0, alpha (e^x - 1) otherwise (the exponential only of min(x, 0)).
void elu(const float* x, float* out, std::size_t n, float alpha);
void elu(const double* x, double* out, std::size_t n, double alpha);
/// softplus: ln(1 + e^(beta x)) / beta as max(z, 0) + ln(1 + e^-|z|), z = beta x; x itself
/// where z > threshold.
void softplus(const float* x, float* out, std::size_t n, float beta, float threshold);
void softplus(const double* x, double* out, std::size_t n, double beta, double threshold);

/// out = g where beta x > threshold, else g sigmoid(beta x): softplus's derivative times g.
void softplus_backward(const float* g, const float* x, float* out, std::size_t n, float beta,
                       float threshold);
void softplus_backward(const double* g, const double* x, double* out, std::size_t n, double beta,
                       double threshold);

}  // namespace xg::kernels
