// broadcast_to and its adjoint sum_to: the one place where broadcasting is undone.
#include <algorithm>
#include <string>

#include <xtensor/xbuilder.hpp>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>

#include "kernels/buffer.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/rows.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

XG_RULE_TEXT(broadcast_to, "out = a repeated to a bigger shape; da = sum_to(g, shape of a)");
template <class T>
Tensor<T> broadcast_to(const Tensor<T>& a, const Shape& shape) {
  detail::require_defined("broadcast_to", a);
  const auto target = detail::to_array_shape(shape);
  const auto& from = a.value().shape();
  if (detail::broadcast_shape("broadcast_to", from, target) != target) {
    throw ShapeError("broadcast_to: shape " + shape_str(from) + " cannot be broadcast to " +
                     shape_str(target));
  }
  xt::xarray<T> out = detail::uninitialized_array<T>("broadcast_to", target);
  kernels::broadcast_copy(a.value(), out);
  return record<T>(
      "broadcast_to", std::move(out), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = sum_to(c.grad, c.inputs[0].shape()); },
      Saves::nothing());
}

namespace {
/// `target` must be a shape that `from` is a broadcast of (what sum_to can reach).
void require_sum_target(const char* op, const detail::array_shape& from,
                        const detail::array_shape& target) {
  if (target.size() > from.size() || detail::broadcast_shape(op, from, target) != from) {
    throw ShapeError(std::string(op) + ": shape " + shape_str(from) + " is not a broadcast of " +
                     shape_str(target));
  }
}

/// Whether axis i of `from` is summed away to reach `target`: a leading axis target lacks, or
/// one where target has 1 and from does not.
bool summed_axis(const detail::array_shape& from, const detail::array_shape& target,
                 std::size_t i) {
  const std::size_t lead = from.size() - target.size();
  return i < lead || (target[i - lead] == 1 && from[i] != 1);
}
}  // namespace

namespace detail {
/// The shortest trailing run that sum_to_value sums with kernels::middle_axis_sums.
constexpr std::size_t kMiddleSumMinRun = 16;

/// Each run of neighbouring axes that `target` broadcasts is summed away in one pass
/// (kernels::axis_sums over the array seen as (outer, run, inner)).
template <class T>
xt::xarray<T> sum_to_value(const xt::xarray<T>& a, const detail::array_shape& target) {
  const auto& from = a.shape();
  auto reduced = [&](std::size_t i) { return summed_axis(from, target, i); };
  // Leading and trailing axes summed away around kept middle ones, over runs long enough to
  // sum whole: one pass in memory order rather than one per run of axes.
  std::size_t keep0 = 0, keep1 = from.size();
  while (keep0 < from.size() && reduced(keep0)) ++keep0;
  while (keep1 > keep0 && reduced(keep1 - 1)) --keep1;
  bool middle = keep0 > 0 && keep1 < from.size() && keep0 < keep1;
  for (std::size_t i = keep0; middle && i < keep1; ++i) middle = !reduced(i);
  if (middle && span_count(from, keep1, from.size()) >= kMiddleSumMinRun) {
    xt::xarray<T> out = uninitialized_array<T>("sum_to", target);
    kernels::middle_axis_sums(a.data(), span_count(from, 0, keep0), span_count(from, keep0, keep1),
                              span_count(from, keep1, from.size()), out.data());
    return out;
  }
  xt::xarray<T> cur;
  bool summed = false;
  const T* src = a.data();
  array_shape shape(from);  // the shape of src, with the runs summed so far set to 1
  for (std::size_t i = 0; i < from.size();) {
    if (!reduced(i)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < from.size() && reduced(end)) ++end;
    const std::size_t outer = span_count(shape, 0, i);
    const std::size_t len = span_count(shape, i, end);
    const std::size_t inner = span_count(shape, end, shape.size());
    for (std::size_t k = i; k < end; ++k) shape[k] = 1;
    xt::xarray<T> next = uninitialized_array<T>("sum_to", shape);
    kernels::axis_sums(src, outer, len, inner, next.data());
    cur = std::move(next);
    src = cur.data();
    summed = true;
    i = end;
  }
  if (summed) {
    cur.reshape(target);
    return cur;
  }
  xt::xarray<T> same = uninitialized_array<T>("sum_to", target);
  std::copy(a.data(), a.data() + a.size(), same.data());
  return same;
}
}  // namespace detail

XG_RULE_TEXT(sum_to, "out = a summed down to a smaller shape; da = broadcast_to(g, shape of a)");
template <class T>
Tensor<T> sum_to(const Tensor<T>& a, const Shape& shape) {
  detail::require_defined("sum_to", a);
  const auto target = detail::to_array_shape(shape);
  const auto& from = a.value().shape();
  if (from == target) return a;
  require_sum_target("sum_to", from, target);
  return record<T>(
      "sum_to", detail::sum_to_value(a.value(), target), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = broadcast_to(c.grad, c.inputs[0].shape()); },
      Saves::nothing());
}

XG_RULE_TEXT(mul_sum_to, "out = sum_to(a * b, shape); da = g * b, db = g * a (g broadcast back)");
template <class T>
Tensor<T> mul_sum_to(const Tensor<T>& a, const Tensor<T>& b, const Shape& shape) {
  detail::require_defined("mul_sum_to", a);
  detail::require_defined("mul_sum_to", b);
  detail::require_same_shape("mul_sum_to", "a", a, "b", b);
  const auto target = detail::to_array_shape(shape);
  const auto& from = a.value().shape();
  if (from == target) return mul(a, b);
  require_sum_target("mul_sum_to", from, target);
  // One run of summed axes (leading rows, or a trailing axis) in one pass; more through the
  // product.
  auto reduced = [&](std::size_t i) { return summed_axis(from, target, i); };
  std::size_t first = from.size(), last = 0, runs = 0;
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (!reduced(i)) continue;
    if (i == 0 || !reduced(i - 1)) ++runs;
    first = std::min(first, i);
    last = i + 1;
  }
  xt::xarray<T> out;
  if (runs == 1) {
    out = detail::uninitialized_array<T>("mul_sum_to", target);
    kernels::product_axis_sums(a.value().data(), b.value().data(),
                               detail::span_count(from, 0, first),
                               detail::span_count(from, first, last),
                               detail::span_count(from, last, from.size()), out.data());
  } else {
    NoGradGuard no_grad;
    out = detail::sum_to_value(mul(a, b).value(), target);
  }
  return record<T>("mul_sum_to", std::move(out), {a, b}, [](BackwardContext<T>& c) {
    if (c.needs(0)) c.input_grads[0] = mul(c.grad, c.inputs[1]);
    if (c.needs(1)) c.input_grads[1] = mul(c.grad, c.inputs[0]);
  });
}

#define XG_INSTANTIATE(T)                                                          \
  template Tensor<T> broadcast_to(const Tensor<T>&, const Shape&);                 \
  template Tensor<T> sum_to(const Tensor<T>&, const Shape&);                       \
  template Tensor<T> mul_sum_to(const Tensor<T>&, const Tensor<T>&, const Shape&); \
  template xt::xarray<T> detail::sum_to_value(const xt::xarray<T>&, const detail::array_shape&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
