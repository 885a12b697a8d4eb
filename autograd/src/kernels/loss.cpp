#include "kernels/loss.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"

namespace xg::kernels {

namespace {
template <class T>
T clamped(T x) {
  return x > T(0) ? std::max(std::log(x), T(kLogFloor)) : T(kLogFloor);
}
}  // namespace

template <class T>
void squared_error(const T* p, const T* t, T* out, std::size_t n) {
  parallel_for(n, [=](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) out[i] = (p[i] - t[i]) * (p[i] - t[i]);
  });
}

template <class T>
T squared_error_sum(const T* p, const T* t, std::size_t n) {
  return chunked_sum<T>(n, [&](std::size_t b, std::size_t e) {
    T total = 0;
    for (std::size_t i = b; i < e; ++i) total += (p[i] - t[i]) * (p[i] - t[i]);
    return total;
  });
}

template <class T>
void squared_error_backward(const T* g, std::size_t g_size, T scale, const T* p, const T* t, T* out,
                            std::size_t n) {
  const T two_scale = T(2) * scale;
  parallel_for(n, [=](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      out[i] = two_scale * (g_size == 1 ? g[0] : g[i]) * (p[i] - t[i]);
  });
}

template <class T>
void clamped_log(const T* x, T* out, std::size_t n) {
  parallel_for(n, [=](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) out[i] = clamped(x[i]);
  });
}

template <class T>
void binary_cross_entropy(const T* p, const T* t, T* out, std::size_t n) {
  parallel_for(n, [=](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      out[i] = -(t[i] * clamped(p[i]) + (T(1) - t[i]) * clamped(T(1) - p[i]));
  });
}

template <class T>
T binary_cross_entropy_sum(const T* p, const T* t, std::size_t n) {
  return chunked_sum<T>(n, [&](std::size_t b, std::size_t e) {
    T total = 0;
    for (std::size_t i = b; i < e; ++i) {
      // Labels of exactly 1 or 0 need one log: the other term is 0 times a finite value.
      if (t[i] == T(1)) {
        total -= clamped(p[i]);
      } else if (t[i] == T(0)) {
        total -= clamped(T(1) - p[i]);
      } else {
        total -= t[i] * clamped(p[i]) + (T(1) - t[i]) * clamped(T(1) - p[i]);
      }
    }
    return total;
  });
}

template <class T>
void binary_cross_entropy_backward(const T* g, std::size_t g_size, T scale, const T* p, const T* t,
                                   T* out, std::size_t n) {
  // 1/x where log x > -100: one comparison against e^-100 instead of a log per element.
  const T live_from = std::exp(T(kLogFloor));
  auto inverse = [live_from](T x) { return x > live_from ? T(1) / x : T(0); };
  parallel_for(n, [=](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const T k = (g_size == 1 ? g[0] : g[i]) * scale;
      out[i] = k * ((T(1) - t[i]) * inverse(T(1) - p[i]) - t[i] * inverse(p[i]));
    }
  });
}

#define XG_INSTANTIATE(T)                                                                          \
  template void squared_error<T>(const T*, const T*, T*, std::size_t);                             \
  template T squared_error_sum<T>(const T*, const T*, std::size_t);                                \
  template void squared_error_backward<T>(const T*, std::size_t, T, const T*, const T*, T*,        \
                                          std::size_t);                                            \
  template void clamped_log<T>(const T*, T*, std::size_t);                                         \
  template void binary_cross_entropy<T>(const T*, const T*, T*, std::size_t);                      \
  template T binary_cross_entropy_sum<T>(const T*, const T*, std::size_t);                         \
  template void binary_cross_entropy_backward<T>(const T*, std::size_t, T, const T*, const T*, T*, \
                                                 std::size_t);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::kernels
