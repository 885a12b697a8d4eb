// Reductions in SIMD registers, through GCC's vector extensions (which Clang also understands).
// Plain elementwise loops vectorise by themselves, but a sum or a maximum does not: floating-point
// addition is not associative, so the compiler keeps the order of a scalar loop. These loops fix
// an order of their own: 64 bytes of lanes, held as four 16-byte vectors (GCC lowers one 64-byte
// vector badly where the widest register is 16 bytes, spilling it to the stack on every add),
// twice over, combined pairwise at the end. The order does not depend on the target, so the
// target_clones builds of a loop and the baseline give the same bits.
// No function here takes or returns a vector: GCC warns that such a call's ABI depends on the
// target (-Wpsabi), though every one would be inlined.
#pragma once

#include <cstddef>
#include <cstring>

namespace xg::kernels::simd {

/// 64 bytes of lanes in four 16-byte vectors: lanes [0, Q) in q0, [Q, 2Q) in q1, and so on
/// (named members, not an array, so that GCC keeps them in registers).
template <class T>
struct Lanes {
  typedef T type __attribute__((vector_size(16)));
  typedef T unaligned __attribute__((vector_size(16), aligned(sizeof(T)), may_alias));
  static constexpr std::size_t quarter = 16 / sizeof(T);
  static constexpr std::size_t count = 4 * quarter;
  type q0, q1, q2, q3;
};

template <class T>
[[gnu::always_inline]] inline typename Lanes<T>::type load(const T* x) {
  return *reinterpret_cast<const typename Lanes<T>::unaligned*>(x);
}

/// acc += x[0, 64 bytes).
template <class T>
[[gnu::always_inline]] inline void add_into(Lanes<T>& acc, const T* x) {
  constexpr std::size_t Q = Lanes<T>::quarter;
  acc.q0 += load(x);
  acc.q1 += load(x + Q);
  acc.q2 += load(x + 2 * Q);
  acc.q3 += load(x + 3 * Q);
}

/// acc += a[0, 64 bytes) * b[0, 64 bytes).
template <class T>
[[gnu::always_inline]] inline void add_products_into(Lanes<T>& acc, const T* a, const T* b) {
  constexpr std::size_t Q = Lanes<T>::quarter;
  acc.q0 += load(a) * load(b);
  acc.q1 += load(a + Q) * load(b + Q);
  acc.q2 += load(a + 2 * Q) * load(b + 2 * Q);
  acc.q3 += load(a + 3 * Q) * load(b + 3 * Q);
}

/// The lanes of a vector of sums (stored in v), added pairwise: lane k with lane k + L/2, and so
/// on.
template <class T>
[[gnu::always_inline]] inline T add_lanes(T* v) {
  for (std::size_t w = Lanes<T>::count / 2; w >= 1; w /= 2) {
    for (std::size_t k = 0; k < w; ++k) v[k] += v[k + w];
  }
  return v[0];
}

/// a + b, lane by lane, then all lanes added pairwise.
template <class T>
[[gnu::always_inline]] inline T add_lanes(const Lanes<T>& a, const Lanes<T>& b) {
  constexpr std::size_t Q = Lanes<T>::quarter;
  const typename Lanes<T>::type s[4] = {a.q0 + b.q0, a.q1 + b.q1, a.q2 + b.q2, a.q3 + b.q3};
  T lanes[Lanes<T>::count];
  for (std::size_t k = 0; k < 4; ++k) std::memcpy(lanes + k * Q, &s[k], sizeof s[k]);
  return add_lanes(lanes);
}

/// The sum of x[0, n).
template <class T>
[[gnu::always_inline]] inline T sum(const T* x, std::size_t n) {
  constexpr std::size_t L = Lanes<T>::count;
  Lanes<T> a = {}, b = {};
  std::size_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    add_into(a, x + i);
    add_into(b, x + i + L);
  }
  if (i + L <= n) {
    add_into(a, x + i);
    i += L;
  }
  T tail = 0;
  for (; i < n; ++i) tail += x[i];
  return add_lanes(a, b) + tail;
}

/// The sum of a[i] b[i] over [0, n).
template <class T>
[[gnu::always_inline]] inline T dot(const T* a, const T* b, std::size_t n) {
  constexpr std::size_t L = Lanes<T>::count;
  Lanes<T> s = {}, t = {};
  std::size_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    add_products_into(s, a + i, b + i);
    add_products_into(t, a + i + L, b + i + L);
  }
  if (i + L <= n) {
    add_products_into(s, a + i, b + i);
    i += L;
  }
  T tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return add_lanes(s, t) + tail;
}

/// The largest of x[0, n), n >= 1, ignoring NaN (a comparison with NaN keeps the maximum so far;
/// x[0] is kept if every value is NaN).
template <class T>
[[gnu::always_inline]] inline T max(const T* x, std::size_t n) {
  using V = typename Lanes<T>::type;
  constexpr std::size_t L = Lanes<T>::count, Q = Lanes<T>::quarter;
  V m0 = V{} + x[0], m1 = m0, m2 = m0, m3 = m0;
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const V v0 = load(x + i), v1 = load(x + i + Q), v2 = load(x + i + 2 * Q),
            v3 = load(x + i + 3 * Q);
    m0 = v0 > m0 ? v0 : m0;
    m1 = v1 > m1 ? v1 : m1;
    m2 = v2 > m2 ? v2 : m2;
    m3 = v3 > m3 ? v3 : m3;
  }
  T best = x[0];
  for (; i < n; ++i) best = x[i] > best ? x[i] : best;
  for (const V& m : {m0, m1, m2, m3}) {
    for (std::size_t j = 0; j < Q; ++j) best = m[j] > best ? m[j] : best;
  }
  return best;
}

}  // namespace xg::kernels::simd
