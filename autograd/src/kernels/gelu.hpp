// GELU and its derivative for one value, in the exact (erf) form and PyTorch's tanh
// approximation, and SiLU. Derivative terms are taken of x limited to [-40, 40]: beyond it they
// are exactly 0 in double and float (e^(-x^2/2) and 1 - tanh^2 underflow), and inside it
// x^3 cannot overflow into inf * 0.
#pragma once

#include <algorithm>
#include <cmath>

namespace xg::kernels {

inline constexpr double kGeluLimit = 40;
inline constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
inline constexpr double kGeluCubic = 0.044715;
inline constexpr double kInvSqrt2 = 0.70710678118654752440;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)

/// x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, or x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.
template <class T>
T gelu(T x, bool tanh_form) {
  if (tanh_form) {
    const T xc = std::clamp(x, T(-kGeluLimit), T(kGeluLimit));
    const T t = std::tanh(T(kSqrt2OverPi) * (xc + T(kGeluCubic) * xc * xc * xc));
    return T(0.5) * x * (T(1) + t);
  }
  return T(0.5) * x * (T(1) + std::erf(x * T(kInvSqrt2)));
}

/// d gelu / dx: Phi(x) + x phi(x), or (1 + t) / 2 + x (1 - t^2) u' / 2 with t = tanh(u).
template <class T>
T gelu_derivative(T x, bool tanh_form) {
  const T xc = std::clamp(x, T(-kGeluLimit), T(kGeluLimit));
  if (tanh_form) {
    const T t = std::tanh(T(kSqrt2OverPi) * (xc + T(kGeluCubic) * xc * xc * xc));
    const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * xc * xc);
    return T(0.5) * (T(1) + t) + T(0.5) * xc * (T(1) - t * t) * du;
  }
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(kInvSqrt2)));
  return cdf + xc * T(kInvSqrt2Pi) * std::exp(T(-0.5) * xc * xc);
}

/// x sigmoid(x), the sigmoid evaluated without exp of a large positive number.
template <class T>
T silu(T x) {
  const T e = std::exp(-std::abs(x));
  const T s = x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
  return x * s;
}

}  // namespace xg::kernels
