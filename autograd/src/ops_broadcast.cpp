// broadcast_to and its adjoint sum_to: the one place where broadcasting is undone.
#include <string>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>

#include "util.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

template <class T>
Tensor<T> broadcast_to(const Tensor<T>& a, const Shape& shape) {
  detail::require_defined("broadcast_to", a);
  const auto target = detail::to_array_shape(shape);
  const auto& from = a.value().shape();
  if (detail::broadcast_shape("broadcast_to", from, target) != target) {
    throw ShapeError("broadcast_to: shape " + shape_str(from) + " cannot be broadcast to " +
                     shape_str(target));
  }
  xt::xarray<T> out = xt::broadcast(a.value(), target);
  return record<T>("broadcast_to", std::move(out), {a}, [](BackwardContext<T>& c) {
    c.input_grads[0] = sum_to(c.grad, c.inputs[0].shape());
  });
}

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
  const std::size_t lead = from.size() - target.size();
  std::vector<std::size_t> axes;
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (i < lead || (target[i - lead] == 1 && from[i] != 1)) axes.push_back(i);
  }
  xt::xarray<T> out = xt::sum(a.value(), axes);
  out.reshape(target);
  return record<T>("sum_to", std::move(out), {a}, [](BackwardContext<T>& c) {
    c.input_grads[0] = broadcast_to(c.grad, c.inputs[0].shape());
  });
}

#define XG_INSTANTIATE(T)                                          \
  template Tensor<T> broadcast_to(const Tensor<T>&, const Shape&); \
  template Tensor<T> sum_to(const Tensor<T>&, const Shape&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
