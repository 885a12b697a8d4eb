// Inline part of xg::record (see tensor.hpp): it sits on every operation's hot path.
#pragma once

#include <utility>

#include "xgrad/detail/node.hpp"
#include "xgrad/detail/node_pool.hpp"
#include "xgrad/detail/observer_hooks.hpp"
#include "xgrad/grad_mode.hpp"

namespace xg {

template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, InputSpan<T> inputs, F&& backward_rule,
                 GradShape grad_shape, Saves saves) {
  bool needs_grad = false;
  if (is_grad_enabled()) {
    for (const auto& in : inputs) needs_grad = needs_grad || in.requires_grad();
  }
  if (!needs_grad) {
    Tensor<T> result(std::move(value));
    if (detail::observer_count != 0) detail::notify_forward(op, inputs, result);
    return result;
  }
  using NodeType = detail::FnNode<T, std::decay_t<F>>;
  auto node = std::allocate_shared<NodeType>(detail::NodeAllocator<NodeType>(), std::move(value),
                                             std::forward<F>(backward_rule));
  node->op = op;
  node->takes_broadcast_grad = grad_shape == GradShape::broadcast;
  node->saved_inputs = saves.inputs;
  node->saves_output = saves.output;
  node->inputs.assign_to_empty(inputs);
  Tensor<T> result = detail::NodeAccess<T>::wrap(std::move(node));
  if (detail::observer_count != 0) detail::notify_forward(op, inputs, result);
  return result;
}

}  // namespace xg
