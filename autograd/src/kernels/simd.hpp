// Reductions in SIMD registers, through GCC's vector extensions (which Clang also understands).
// Plain elementwise loops vectorise by themselves, but a sum or a maximum does not: floating-point
// addition is not associative, so the compiler keeps the order of a scalar loop. These loops fix
// an order of their own: 64 bytes of lanes, in two vectors, combined pairwise at the end. A
// 64-byte vector is lowered to the widest registers of the function that inlines it (one zmm
// register in the AVX-512 clone of a target_clones loop, two ymm for AVX2, four xmm on the
// baseline), so one loop serves every clone, and its result does not depend on the clone.
// No function here takes or returns a vector: GCC warns that such a call's ABI depends on the
// target (-Wpsabi), though every one would be inlined.
#pragma once

#include <cstddef>
#include <cstring>

namespace xg::kernels::simd {

template <class T>
struct Vec {
  typedef T type __attribute__((vector_size(64)));
  typedef T unaligned __attribute__((vector_size(64), aligned(sizeof(T)), may_alias));
  static constexpr std::size_t lanes = 64 / sizeof(T);
};

/// The lanes of a vector of sums (stored in v), added pairwise: lane k with lane k + L/2, and so
/// on.
template <class T>
[[gnu::always_inline]] inline T add_lanes(T* v) {
  for (std::size_t w = Vec<T>::lanes / 2; w >= 1; w /= 2) {
    for (std::size_t k = 0; k < w; ++k) v[k] += v[k + w];
  }
  return v[0];
}

/// The sum of x[0, n).
template <class T>
[[gnu::always_inline]] inline T sum(const T* x, std::size_t n) {
  using V = typename Vec<T>::type;
  using U = typename Vec<T>::unaligned;
  constexpr std::size_t L = Vec<T>::lanes;
  V a = {}, b = {};
  std::size_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    a += *reinterpret_cast<const U*>(x + i);
    b += *reinterpret_cast<const U*>(x + i + L);
  }
  if (i + L <= n) {
    a += *reinterpret_cast<const U*>(x + i);
    i += L;
  }
  T tail = 0;
  for (; i < n; ++i) tail += x[i];
  a += b;
  T lanes[L];
  std::memcpy(lanes, &a, sizeof a);
  return add_lanes(lanes) + tail;
}

/// The sum of a[i] b[i] over [0, n).
template <class T>
[[gnu::always_inline]] inline T dot(const T* a, const T* b, std::size_t n) {
  using V = typename Vec<T>::type;
  using U = typename Vec<T>::unaligned;
  constexpr std::size_t L = Vec<T>::lanes;
  V s = {}, t = {};
  std::size_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    s += *reinterpret_cast<const U*>(a + i) * *reinterpret_cast<const U*>(b + i);
    t += *reinterpret_cast<const U*>(a + i + L) * *reinterpret_cast<const U*>(b + i + L);
  }
  if (i + L <= n) {
    s += *reinterpret_cast<const U*>(a + i) * *reinterpret_cast<const U*>(b + i);
    i += L;
  }
  T tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  s += t;
  T lanes[L];
  std::memcpy(lanes, &s, sizeof s);
  return add_lanes(lanes) + tail;
}

/// The largest of x[0, n), n >= 1, ignoring NaN (a comparison with NaN keeps the maximum so far;
/// x[0] is kept if every value is NaN).
template <class T>
[[gnu::always_inline]] inline T max(const T* x, std::size_t n) {
  using V = typename Vec<T>::type;
  using U = typename Vec<T>::unaligned;
  constexpr std::size_t L = Vec<T>::lanes;
  V m = V{} + x[0];
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const V v = *reinterpret_cast<const U*>(x + i);
    m = v > m ? v : m;
  }
  T best = x[0];
  for (; i < n; ++i) best = x[i] > best ? x[i] : best;
  for (std::size_t k = 0; k < L; ++k) best = m[k] > best ? m[k] : best;
  return best;
}

}  // namespace xg::kernels::simd
