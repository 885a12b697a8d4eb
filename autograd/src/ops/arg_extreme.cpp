// argmax and argmin: the position of the first extreme value, over everything or along one axis.
// They return indices, not tensors, so nothing is recorded.
#include <string>

#include "ops/util.hpp"
#include "xgrad/ops/reduction.hpp"

namespace xg {

namespace {

using detail::array_shape;

/// The index k in [0, len) of the first extreme of x[0], x[stride], ..., x[(len-1) stride]:
/// the first NaN if there is one (PyTorch), else the first maximum (kMax) or minimum.
template <bool kMax, class T>
std::size_t first_extreme(const T* x, std::size_t len, std::size_t stride) {
  std::size_t best = 0;
  T v = x[0];
  if (v != v) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const T u = x[k * stride];
    if (u != u) return k;
    if (kMax ? u > v : u < v) {
      v = u;
      best = k;
    }
  }
  return best;
}

template <bool kMax, class T>
std::size_t arg_extreme(const char* op, const Tensor<T>& a) {
  detail::require_nonempty(op, a);
  return first_extreme<kMax>(a.value().data(), a.size(), 1);
}

template <bool kMax, class T>
xt::xarray<std::size_t> arg_extreme(const char* op, const Tensor<T>& a, std::ptrdiff_t axis,
                                    bool keepdims) {
  detail::require_nonempty(op, a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis(op, axis, s.size(), s);
  const std::size_t outer = detail::span_count(s, 0, ax);
  const std::size_t len = s[ax];
  const std::size_t inner = detail::span_count(s, ax + 1, s.size());
  array_shape r(s);
  if (keepdims) {
    r[ax] = 1;
  } else {
    r.erase(r.begin() + static_cast<std::ptrdiff_t>(ax));
  }
  auto out = xt::xarray<std::size_t>::from_shape(r);
  const T* x = a.value().data();
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t j = 0; j < inner; ++j) {
      out.data()[o * inner + j] = first_extreme<kMax>(x + o * len * inner + j, len, inner);
    }
  }
  return out;
}

}  // namespace

template <class T>
std::size_t argmax(const Tensor<T>& a) {
  return arg_extreme<true>("argmax", a);
}

template <class T>
xt::xarray<std::size_t> argmax(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims) {
  return arg_extreme<true>("argmax", a, axis, keepdims);
}

template <class T>
std::size_t argmin(const Tensor<T>& a) {
  return arg_extreme<false>("argmin", a);
}

template <class T>
xt::xarray<std::size_t> argmin(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims) {
  return arg_extreme<false>("argmin", a, axis, keepdims);
}

#define XG_INSTANTIATE(T)                                                          \
  template std::size_t argmax(const Tensor<T>&);                                   \
  template xt::xarray<std::size_t> argmax(const Tensor<T>&, std::ptrdiff_t, bool); \
  template std::size_t argmin(const Tensor<T>&);                                   \
  template xt::xarray<std::size_t> argmin(const Tensor<T>&, std::ptrdiff_t, bool);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
