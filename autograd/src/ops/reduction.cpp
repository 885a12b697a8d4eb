// Reductions: sum, mean, max, min and logsumexp, over everything or along one axis.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xsort.hpp>

#include "kernels/buffer.hpp"
#include "kernels/rows.hpp"
#include "kernels/softmax.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/backward.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/reduction.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::array_shape;

/// `g` (the gradient of a reduction along `axis`) with the reduced axis put back as size 1.
template <class T>
Tensor<T> restore_axis(const Tensor<T>& g, std::size_t axis, bool keepdims) {
  return keepdims ? g : unsqueeze(g, static_cast<std::ptrdiff_t>(axis));
}

}  // namespace

XG_RULE_TEXT(sum, "out = sum of all a; da = g copied to every element of a");
template <class T>
Tensor<T> sum(const Tensor<T>& a) {
  detail::require_defined("sum", a);
  xt::xarray<T> out =
      detail::scalar_array<T>("sum", kernels::sum_all(a.value().data(), a.size()));  // 0 if empty
  // The gradient stays one value, read with a stride of 0 by the rules that follow (GradShape).
  return record<T>(
      "sum", std::move(out), {a}, [](BackwardContext<T>& c) { c.input_grads[0] = c.grad; },
      Saves::nothing());
}

XG_RULE_TEXT(sum_axis, "out = sum of a along an axis; da = g copied back along that axis");
template <class T>
Tensor<T> sum(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims) {
  detail::require_defined("sum", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("sum", axis, s.size(), s);
  // The result's shape: the axis dropped, or kept with size 1. Either way the sums lie in the
  // order (outer, inner) of the axes around it.
  array_shape r(keepdims ? s.size() : s.size() - 1);
  for (std::size_t d = 0, j = 0; d < s.size(); ++d) {
    if (d != ax) {
      r[j++] = s[d];
    } else if (keepdims) {
      r[j++] = 1;
    }
  }
  xt::xarray<T> out = detail::uninitialized_array<T>("sum", r);
  const std::size_t outer = detail::span_count(s, 0, ax);
  const std::size_t inner = detail::span_count(s, ax + 1, s.size());
  kernels::axis_sums(a.value().data(), outer, s[ax], inner, out.data());  // 0 where s[ax] is 0
  return record<T>(
      "sum_axis", std::move(out), {a},
      [ax, keepdims](BackwardContext<T>& c) {
        c.input_grads[0] = restore_axis(c.grad, ax, keepdims);  // broadcast form (GradShape)
      },
      Saves::nothing());
}

template <class T>
Tensor<T> mean(const Tensor<T>& a) {
  detail::require_nonempty("mean", a);
  return mul(sum(a), T(1) / static_cast<T>(a.size()));
}

template <class T>
Tensor<T> mean(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims) {
  detail::require_nonempty("mean", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("mean", axis, s.size(), s);
  return mul(sum(a, axis, keepdims), T(1) / static_cast<T>(s[ax]));
}

namespace {
/// The maxima of `a` along its middle axis, viewed as (outer, len, inner), in an array of shape
/// `kept`, and each element's share of its slice's gradient (kernels::axis_max_with_shares).
template <class T>
std::pair<xt::xarray<T>, xt::xarray<T>> max_and_share(const xt::xarray<T>& a,
                                                      const array_shape& kept, std::size_t outer,
                                                      std::size_t len, std::size_t inner) {
  xt::xarray<T> m = detail::uninitialized_array<T>("max", kept);
  xt::xarray<T> share = detail::uninitialized_array<T>("max", a.shape());
  kernels::axis_max_with_shares(a.data(), outer, len, inner, m.data(), share.data());
  return {std::move(m), std::move(share)};
}
}  // namespace

XG_RULE_TEXT(max, "out = max of all a; da = g at the maximum (shared among ties), 0 elsewhere");
template <class T>
Tensor<T> max(const Tensor<T>& a) {
  detail::require_nonempty("max", a);
  // Plain variables, not a structured binding: clang 14 cannot capture one in a lambda.
  auto maxima = max_and_share(a.value(), array_shape{}, 1, a.size(), 1);
  xt::xarray<T> m = std::move(maxima.first);
  xt::xarray<T> share = std::move(maxima.second);
  return record<T>(
      "max", std::move(m), {a},
      [share = Tensor<T>(std::move(share))](BackwardContext<T>& c) {
        c.input_grads[0] = mul(broadcast_to(c.grad, c.inputs[0].shape()), share);
      },
      Saves::nothing());
}

XG_RULE_TEXT(max_axis,
             "out = max along an axis; da = g at each slice's maximum (shared among ties), 0 "
             "elsewhere");
template <class T>
Tensor<T> max(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims) {
  detail::require_nonempty("max", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("max", axis, s.size(), s);
  const std::size_t outer = detail::span_count(s, 0, ax);
  const std::size_t inner = detail::span_count(s, ax + 1, s.size());
  array_shape kept(s);
  kept[ax] = 1;
  auto maxima = max_and_share(a.value(), kept, outer, s[ax], inner);
  xt::xarray<T> m = std::move(maxima.first);
  xt::xarray<T> share = std::move(maxima.second);
  if (!keepdims) {
    array_shape r(s);
    r.erase(r.begin() + static_cast<std::ptrdiff_t>(ax));
    m.reshape(r);
  }
  return record<T>(
      "max_axis", std::move(m), {a},
      [share = Tensor<T>(std::move(share)), ax, keepdims](BackwardContext<T>& c) {
        c.input_grads[0] = mul(restore_axis(c.grad, ax, keepdims), share);
      },
      Saves::nothing());
}

namespace {
/// min's counterpart of max_and_share, as the maxima of -a: negation is exact and keeps ties and
/// NaN, so min splits its gradient among ties exactly as max does.
template <class T>
std::pair<xt::xarray<T>, xt::xarray<T>> min_and_share(const xt::xarray<T>& a,
                                                      const array_shape& kept, std::size_t outer,
                                                      std::size_t len, std::size_t inner) {
  xt::xarray<T> negated = detail::uninitialized_array<T>("min", a.shape());
  std::transform(a.data(), a.data() + a.size(), negated.data(), [](T v) { return -v; });
  auto r = max_and_share(negated, kept, outer, len, inner);
  std::transform(r.first.data(), r.first.data() + r.first.size(), r.first.data(),
                 [](T v) { return -v; });
  return r;
}
}  // namespace

XG_RULE_TEXT(min, "out = min of all a; da = g at the minimum (shared among ties), 0 elsewhere");
template <class T>
Tensor<T> min(const Tensor<T>& a) {
  detail::require_nonempty("min", a);
  auto minima = min_and_share(a.value(), array_shape{}, 1, a.size(), 1);
  xt::xarray<T> m = std::move(minima.first);
  xt::xarray<T> share = std::move(minima.second);
  return record<T>(
      "min", std::move(m), {a},
      [share = Tensor<T>(std::move(share))](BackwardContext<T>& c) {
        c.input_grads[0] = mul(broadcast_to(c.grad, c.inputs[0].shape()), share);
      },
      Saves::nothing());
}

XG_RULE_TEXT(min_axis,
             "out = min along an axis; da = g at each slice's minimum (shared among ties), 0 "
             "elsewhere");
template <class T>
Tensor<T> min(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims) {
  detail::require_nonempty("min", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("min", axis, s.size(), s);
  const std::size_t outer = detail::span_count(s, 0, ax);
  const std::size_t inner = detail::span_count(s, ax + 1, s.size());
  array_shape kept(s);
  kept[ax] = 1;
  auto minima = min_and_share(a.value(), kept, outer, s[ax], inner);
  xt::xarray<T> m = std::move(minima.first);
  xt::xarray<T> share = std::move(minima.second);
  if (!keepdims) {
    array_shape r(s);
    r.erase(r.begin() + static_cast<std::ptrdiff_t>(ax));
    m.reshape(r);
  }
  return record<T>(
      "min_axis", std::move(m), {a},
      [share = Tensor<T>(std::move(share)), ax, keepdims](BackwardContext<T>& c) {
        c.input_grads[0] = mul(restore_axis(c.grad, ax, keepdims), share);
      },
      Saves::nothing());
}

XG_RULE_TEXT(logsumexp,
             "out = ln(sum(e^a)); da = logsumexp_backward(g, a) = g * softmax(a) along the axis");
template <class T>
Tensor<T> logsumexp(const Tensor<T>& a, std::ptrdiff_t axis, bool keepdims) {
  detail::require_nonempty("logsumexp", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("logsumexp", axis, s.size(), s);
  // Shifted by each slice's maximum so exp never overflows (kernels/softmax.hpp).
  array_shape r(s);
  if (keepdims) {
    r[ax] = 1;
  } else {
    r.erase(r.begin() + static_cast<std::ptrdiff_t>(ax));
  }
  xt::xarray<T> out = detail::uninitialized_array<T>("logsumexp", r);
  kernels::softmax_axis(a.value().data(), detail::span_count(s, 0, ax), s[ax],
                        detail::span_count(s, ax + 1, s.size()), out.data(),
                        kernels::SoftmaxKind::logsumexp);
  return record<T>(
      "logsumexp", std::move(out), {a},
      [ax, keepdims](BackwardContext<T>& c) {
        // d/da = softmax(a) along the axis, scaled by g. The kernel shifts by the maximum itself;
        // exp(a - out) would carry out's rounding (2e-4 relative in float at logits of 1e4).
        c.input_grads[0] = logsumexp_backward(restore_axis(c.grad, ax, keepdims), c.inputs[0],
                                              static_cast<std::ptrdiff_t>(ax));
      },
      Saves::input(0));
}

template <class T>
Tensor<T> logsumexp(const Tensor<T>& a) {
  detail::require_nonempty("logsumexp", a);
  return reshape(logsumexp(flatten(a), 0, false), std::vector<std::ptrdiff_t>{});
}

#define XG_INSTANTIATE(T)                                          \
  template Tensor<T> sum(const Tensor<T>&);                        \
  template Tensor<T> sum(const Tensor<T>&, std::ptrdiff_t, bool);  \
  template Tensor<T> mean(const Tensor<T>&);                       \
  template Tensor<T> mean(const Tensor<T>&, std::ptrdiff_t, bool); \
  template Tensor<T> max(const Tensor<T>&);                        \
  template Tensor<T> max(const Tensor<T>&, std::ptrdiff_t, bool);  \
  template Tensor<T> min(const Tensor<T>&);                        \
  template Tensor<T> min(const Tensor<T>&, std::ptrdiff_t, bool);  \
  template Tensor<T> logsumexp(const Tensor<T>&);                  \
  template Tensor<T> logsumexp(const Tensor<T>&, std::ptrdiff_t, bool);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
