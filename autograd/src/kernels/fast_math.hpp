// Vectorisable float exponential for activation loops.
//
// glibc's expf is a scalar call per element (through the PLT), which dominates the sigmoid of a
// large batch (docs/performance.md). This version is branch free (Cephes' minimax polynomial on
// [-ln2/2, ln2/2], scaled by 2^n built from the exponent bits), so the compiler turns loops over it
// into SIMD code. Relative error below 2 ulp on the range it is used for; double keeps std::exp.
// tanh builds on it (within 4 ulp).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace xg::detail {

/// 2^n for an integer-valued n in [-126, 127], as a float built from its exponent bits.
[[gnu::always_inline]] inline float pow2i(float n) {
  return std::bit_cast<float>(static_cast<std::int32_t>(n + 127.0f) << 23);
}

/// e^x for x <= 0 (results down to the denormals, then 0).
[[gnu::always_inline]] inline float exp_nonpositive(float x) {
  const float in = x;
  // e^-104 is below the smallest denormal: the result is 0. NaN also takes this branch, so no
  // NaN reaches the float-to-int conversion below (undefined behaviour); it is restored at the end.
  x = x > -104.0f ? x : -104.0f;
  constexpr float log2e = 1.44269504088896341f;
  constexpr float round = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (x * log2e + round) - round;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // x - n ln2 in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // n may be as low as -150: scale in two halves so each factor is a normal float.
  const float n1 = (n * 0.5f + round) - round;
  const float result = p * pow2i(n1) * pow2i(n - n1);
  return in == in ? result : in;
}

/// e^x for any float x: exp_nonpositive's polynomial over the whole range, +inf above
/// ln(FLT_MAX), NaN for NaN. Relative error below 2 ulp.
[[gnu::always_inline]] inline float exp_float(float x) {
  const float in = x;
  x = x > -104.0f ? x : -104.0f;
  x = x < 88.72283f ? x : 88.72283f;
  constexpr float log2e = 1.44269504088896341f;
  constexpr float round = 12582912.0f;
  const float n = (x * log2e + round) - round;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // n lies in [-150, 128]: scale in two halves so each factor is a normal float.
  const float n1 = (n * 0.5f + round) - round;
  const float result = p * pow2i(n1) * pow2i(n - n1);
  const float big = in > 88.72283905206835f ? __builtin_huge_valf() : result;
  return in == in ? big : in;
}

/// ln x for float, branch free (Cephes' logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), a
/// minimax polynomial in m - 1). Denormals are scaled first; 0 gives -inf, negatives NaN, +inf
/// +inf. Relative error below 2 ulp.
[[gnu::always_inline]] inline float log_float(float x) {
  const float in = x;
  const bool tiny = x < 1.17549435e-38f;
  x = tiny ? x * 8388608.0f : x;  // 2^23
  const std::int32_t bits = std::bit_cast<std::int32_t>(x);
  float e = static_cast<float>(((bits >> 23) & 0xff) - 126) - (tiny ? 23.0f : 0.0f);
  float m = std::bit_cast<float>((bits & 0x007fffff) | 0x3f000000);  // in [0.5, 1)
  const bool low = m < 0.707106781186547524f;
  e = low ? e - 1.0f : e;
  m = low ? m + m - 1.0f : m - 1.0f;
  const float z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  float y = p * m * z;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  const float result = (m + y) + 0.693359375f * e;
  const float special = in == 0.0f
                            ? -__builtin_huge_valf()
                            : (in < 0.0f || in != in ? __builtin_nanf("") : __builtin_huge_valf());
  return in > 0.0f && in < __builtin_huge_valf() ? result : special;
}

/// e^x - 1 for float x <= 0: the Taylor series to x^10 on (-0.75, 0], where e^x - 1 would cancel,
/// and e^x - 1 itself below (|e^x - 1| > 0.52 there). Relative error below 1.5 ulp, with no
/// division.
[[gnu::always_inline]] inline float expm1_nonpositive(float x) {
  float p = 2.7557319224e-7f;  // 1/10!
  p = p * x + 2.7557319224e-6f;
  p = p * x + 2.4801587302e-5f;
  p = p * x + 1.9841269841e-4f;
  p = p * x + 1.3888888889e-3f;
  p = p * x + 8.3333333333e-3f;
  p = p * x + 4.1666666667e-2f;
  p = p * x + 1.6666666667e-1f;
  p = p * x + 0.5f;  // 1/2!
  const float series = (p * x) * x + x;
  return x > -0.75f ? series : exp_nonpositive(x) - 1.0f;
}

/// ln(1 + u) for float u in [0, 1]: ln w of w = 1 + u, plus the rounding error of that sum, which
/// ln(1 + u) changes by almost exactly (1/w >= 1/2 scales it; the difference is below half an
/// ulp). Relative error below 2.5 ulp, with no division.
[[gnu::always_inline]] inline float log1p_unit(float u) {
  const float w = 1.0f + u;
  return log_float(w) + (u - (w - 1.0f));
}

/// e^x and ln x: the polynomials above for float, the C library for double.
[[gnu::always_inline]] inline float exp_of(float x) {
  return exp_float(x);
}
[[gnu::always_inline]] inline double exp_of(double x) {
  return std::exp(x);
}
/// e^x for x <= 0 or NaN (a value shifted by the maximum of its slice).
[[gnu::always_inline]] inline float exp_nonpositive_of(float x) {
  return exp_nonpositive(x);
}
[[gnu::always_inline]] inline double exp_nonpositive_of(double x) {
  return std::exp(x);
}
[[gnu::always_inline]] inline float log_of(float x) {
  return log_float(x);
}
[[gnu::always_inline]] inline double log_of(double x) {
  return std::log(x);
}
[[gnu::always_inline]] inline float expm1_nonpositive_of(float x) {
  return expm1_nonpositive(x);
}
[[gnu::always_inline]] inline double expm1_nonpositive_of(double x) {
  return std::expm1(x);
}
[[gnu::always_inline]] inline float log1p_unit_of(float x) {
  return log1p_unit(x);
}
[[gnu::always_inline]] inline double log1p_unit_of(double x) {
  return std::log1p(x);
}

/// tanh(x) for float, branch free: (1 - e) / (1 + e) with e = e^-2|x| where that has no
/// cancellation (|x| >= 0.55), and below it the odd rational approximation Eigen uses for float
/// tanh (accurate there to 4 ulp), which needs no exponential at all.
[[gnu::always_inline]] inline float tanh_float(float x) {
  const float ax = std::abs(x);
  const float e = exp_nonpositive(-2.0f * ax);
  const float s = std::min(ax, 0.55f);
  const float s2 = s * s;
  float p = -2.76076847742355e-16f;
  p = p * s2 + 2.00018790482477e-13f;
  p = p * s2 + -8.60467152213735e-11f;
  p = p * s2 + 5.12229709037114e-08f;
  p = p * s2 + 1.48572235717979e-05f;
  p = p * s2 + 6.37261928875436e-04f;
  p = p * s2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * s2 + 1.18534705686654e-04f;
  q = q * s2 + 2.26843463243900e-03f;
  q = q * s2 + 4.89352518554385e-03f;
  // One division for both branches: (1 - e) / (1 + e) or s p / q, whichever is kept.
  const bool near_zero = ax < 0.55f;
  const float quotient = (near_zero ? s * p : 1.0f - e) / (near_zero ? q : 1.0f + e);
  return std::copysign(ax < 0.0004f ? ax : quotient, x);
}

}  // namespace xg::detail
