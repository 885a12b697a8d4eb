// Loops of the activations and of their backward operations, over contiguous buffers of n
// values. out may not alias an input. Float loops use the SIMD-friendly math of fast_math.hpp.
#pragma once

#include <cstddef>

namespace xg::kernels {

/// out = 1 / (1 + e^-x), never overflowing.
void sigmoid(const float* x, float* out, std::size_t n);
void sigmoid(const double* x, double* out, std::size_t n);
/// out = tanh(x).
void tanh(const float* x, float* out, std::size_t n);
void tanh(const double* x, double* out, std::size_t n);
/// out = max(x, 0) (NaN stays NaN).
template <class T>
void relu(const T* x, T* out, std::size_t n);

/// out = g * y * (1 - y), y the sigmoid's output.
template <class T>
void sigmoid_backward(const T* g, const T* y, T* out, std::size_t n);
/// out = g * (1 - y^2), y the tanh's output.
template <class T>
void tanh_backward(const T* g, const T* y, T* out, std::size_t n);
/// out = g where x > threshold, else exactly 0.
template <class T>
void threshold_backward(const T* g, const T* x, T threshold, T* out, std::size_t n);
/// out = g / (2 y), y the square root's output.
template <class T>
void sqrt_backward(const T* g, const T* y, T* out, std::size_t n);
/// out = g * sign(x) (0 where x is 0 or NaN).
template <class T>
void abs_backward(const T* g, const T* x, T* out, std::size_t n);

/// out = g times a's share of maximum(a, b) (kMax) or minimum(a, b): 1 where a wins or either
/// is NaN, 1/2 on a tie, 0 where b wins.
template <bool kMax, class T>
void extremum_backward(const T* g, const T* a, const T* b, T* out, std::size_t n);

/// out = g where x > 0, else g (y + alpha): elu's derivative times g (y its output).
template <class T>
void elu_backward(const T* g, const T* x, const T* y, T alpha, T* out, std::size_t n);

}  // namespace xg::kernels
