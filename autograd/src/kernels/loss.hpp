// Loops of the fused losses and of their backward operations, over contiguous buffers of n
// values: a small model's loss is one operation instead of a handful.
#pragma once

#include <cstddef>

namespace xg::kernels {

/// PyTorch clamps the logs of binary cross-entropy at -100.
inline constexpr double kLogFloor = -100;

/// out = (p - t)^2 elementwise.
template <class T>
void squared_error(const T* p, const T* t, T* out, std::size_t n);
/// The sum of (p - t)^2.
template <class T>
T squared_error_sum(const T* p, const T* t, std::size_t n);
/// out = 2 * scale * g * (p - t) elementwise: the derivative of scale * (p - t)^2 by p. `g` is n
/// values, or one when g_size is 1.
template <class T>
void squared_error_backward(const T* g, std::size_t g_size, T scale, const T* p, const T* t, T* out,
                            std::size_t n);

/// out = max(log x, -100) elementwise (log 0 = -100).
template <class T>
void clamped_log(const T* x, T* out, std::size_t n);
/// out = -(t log p + (1 - t) log(1 - p)) elementwise, logs clamped at -100.
template <class T>
void binary_cross_entropy(const T* p, const T* t, T* out, std::size_t n);
/// The sum of -(t log p + (1 - t) log(1 - p)), logs clamped at -100.
template <class T>
T binary_cross_entropy_sum(const T* p, const T* t, std::size_t n);
/// out = k * ((1 - t) / (1 - p) - t / p) with 1/x read as 0 where log x is clamped: the exact
/// derivative of the clamped loss by p (k = scale * g). `g` is n values, or one when g_size is 1.
template <class T>
void binary_cross_entropy_backward(const T* g, std::size_t g_size, T scale, const T* p, const T* t,
                                   T* out, std::size_t n);

}  // namespace xg::kernels
