// Inline part of xg::record (see tensor.hpp): it sits on every operation's hot path.
#pragma once

#include <utility>

#include "xgrad/grad_mode.hpp"

namespace xg {

template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, std::vector<Tensor<T>> inputs,
                 F&& backward_rule) {
  bool needs_grad = false;
  if (is_grad_enabled()) {
    for (const auto& in : inputs) needs_grad = needs_grad || in.requires_grad();
  }
  if (!needs_grad) return Tensor<T>(std::move(value));
  auto node = std::make_shared<FnNode<T, std::decay_t<F>>>(std::move(value),
                                                           std::forward<F>(backward_rule));
  node->op = op;
  node->inputs = std::move(inputs);
  return Tensor<T>(std::shared_ptr<Node<T>>(std::move(node)));
}

}  // namespace xg
