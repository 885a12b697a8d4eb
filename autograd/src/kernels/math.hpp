// exp and ln over contiguous buffers: the float polynomials of fast_math.hpp, built for AVX-512,
// AVX2 and the baseline (target_clones.hpp); double through the C library.
#pragma once

#include <cstddef>

namespace xg::kernels {

void exp(const float* x, float* out, std::size_t n);
void exp(const double* x, double* out, std::size_t n);
void log(const float* x, float* out, std::size_t n);
void log(const double* x, double* out, std::size_t n);

}  // namespace xg::kernels
