// cumsum and its adjoint, the running sum taken from the end: each is the other's rule, so
// gradients of any order are recorded operations.
#include <string>

#include "kernels/buffer.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/reduction.hpp"

namespace xg {

namespace {

using detail::array_shape;

/// out[o, k, j] = the sum of in[o, m, j] over m <= k (or m >= k when `reverse`), for in viewed
/// as (outer, len, inner) along its middle axis.
template <class T>
void running_sums(const T* in, std::size_t outer, std::size_t len, std::size_t inner, bool reverse,
                  T* out) {
  for (std::size_t o = 0; o < outer; ++o) {
    const T* x = in + o * len * inner;
    T* y = out + o * len * inner;
    for (std::size_t step = 0; step < len; ++step) {
      const std::size_t k = reverse ? len - 1 - step : step;
      if (step == 0) {
        for (std::size_t j = 0; j < inner; ++j) y[k * inner + j] = x[k * inner + j];
      } else {
        const std::size_t prev = reverse ? k + 1 : k - 1;
        for (std::size_t j = 0; j < inner; ++j) {
          y[k * inner + j] = y[prev * inner + j] + x[k * inner + j];
        }
      }
    }
  }
}

/// cumsum (forward) or cumsum_backward (reverse) of `a` along the normalised axis `ax`.
template <class T>
Tensor<T> running_sum_op(const Tensor<T>& a, std::size_t ax, bool reverse) {
  const char* op = reverse ? "cumsum_backward" : "cumsum";
  const auto& s = a.value().shape();
  xt::xarray<T> out = detail::uninitialized_array<T>(op, s);
  if (a.size() != 0) {
    running_sums(a.value().data(), detail::span_count(s, 0, ax), s[ax],
                 detail::span_count(s, ax + 1, s.size()), reverse, out.data());
  }
  return record<T>(
      op, std::move(out), {a},
      [ax, reverse](BackwardContext<T>& c) {
        c.input_grads[0] = running_sum_op(c.grad, ax, !reverse);
      },
      Saves::nothing());
}

}  // namespace

XG_RULE_TEXT(cumsum, "out[k] = sum of a[0..k] along an axis; da = cumsum_backward(g)");
XG_RULE_TEXT(cumsum_backward,
             "out[k] = sum of a[k..end] along an axis (a cumsum from the end); da = cumsum(g)");
template <class T>
Tensor<T> cumsum(const Tensor<T>& a, std::ptrdiff_t axis) {
  detail::require_defined("cumsum", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("cumsum", axis, s.size(), s);
  return running_sum_op(a, ax, false);
}

#define XG_INSTANTIATE(T) template Tensor<T> cumsum(const Tensor<T>&, std::ptrdiff_t);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
