// broadcast_to and its adjoint sum_to: the one place where broadcasting is undone.
#include <algorithm>
#include <string>

#include <xtensor/xbuilder.hpp>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>

#include "kernels/buffer.hpp"
#include "kernels/copy.hpp"
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
  if (detail::repeats_over_leading_axes(from, target)) {
    // Plain copies of the contiguous input, one per leading index (xt::broadcast is slower).
    const std::size_t inner = a.size();
    if (inner != 0) kernels::repeat_rows(a.value().data(), inner, out.size() / inner, out.data());
  } else {
    out = xt::broadcast(a.value(), target);
  }
  return record<T>("broadcast_to", std::move(out), {a}, [](BackwardContext<T>& c) {
    c.input_grads[0] = sum_to(c.grad, c.inputs[0].shape());
  });
}

namespace detail {
/// Contiguous rows are accumulated directly in the common case of summing
/// over leading axes (a bias gradient), many times faster than xt::sum.
template <class T>
xt::xarray<T> sum_to_value(const xt::xarray<T>& a, const detail::array_shape& target) {
  const auto& from = a.shape();
  if (detail::repeats_over_leading_axes(target, from)) {
    xt::xarray<T> out = xt::zeros<T>(target);
    const std::size_t inner = out.size();
    if (inner != 0) kernels::add_rows(a.data(), inner, a.size() / inner, out.data());
    return out;
  }
  const std::size_t lead = from.size() - target.size();
  std::vector<std::size_t> axes;
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (i < lead || (target[i - lead] == 1 && from[i] != 1)) axes.push_back(i);
  }
  xt::xarray<T> out = xt::sum(a, axes);
  out.reshape(target);
  return out;
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
