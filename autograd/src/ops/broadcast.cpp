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
  return record<T>("broadcast_to", std::move(out), {a}, [](BackwardContext<T>& c) {
    c.input_grads[0] = sum_to(c.grad, c.inputs[0].shape());
  });
}

namespace detail {
/// Each run of neighbouring axes that `target` broadcasts is summed away in one pass
/// (kernels::axis_sums over the array seen as (outer, run, inner)).
template <class T>
xt::xarray<T> sum_to_value(const xt::xarray<T>& a, const detail::array_shape& target) {
  const auto& from = a.shape();
  const std::size_t lead = from.size() - target.size();
  auto reduced = [&](std::size_t i) { return i < lead || (target[i - lead] == 1 && from[i] != 1); };
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
  if (target.size() > from.size() || detail::broadcast_shape("sum_to", from, target) != from) {
    throw ShapeError("sum_to: shape " + shape_str(from) + " is not a broadcast of " +
                     shape_str(target));
  }
  return record<T>(
      "sum_to", detail::sum_to_value(a.value(), target), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = broadcast_to(c.grad, c.inputs[0].shape()); });
}

#define XG_INSTANTIATE(T)                                          \
  template Tensor<T> broadcast_to(const Tensor<T>&, const Shape&); \
  template Tensor<T> sum_to(const Tensor<T>&, const Shape&);       \
  template xt::xarray<T> detail::sum_to_value(const xt::xarray<T>&, const detail::array_shape&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
