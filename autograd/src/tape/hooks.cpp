// Registering tensor hooks (Tensor::register_hook, register_post_accumulate_grad_hook); the
// engine runs them (tape/engine.cpp).
#include <memory>
#include <string>
#include <utility>

#include "ops/util.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/tensor.hpp"

namespace xg {

namespace {

template <class T>
std::string describe(const Tensor<T>& t) {
  std::string s = t.is_leaf() ? "a leaf" : std::string("the result of '") + t.op_name() + "'";
  if (!t.name().empty()) s += " named '" + t.name() + "'";
  return s + " of shape " + shape_str(t.shape());
}

template <class T>
detail::TensorHooks<T>& hooks_of(const Tensor<T>& t) {
  auto& slot = detail::NodeAccess<T>::get(t)->hooks;
  if (!slot) slot = std::make_shared<detail::TensorHooks<T>>();
  return *slot;
}

/// The handle that removes entry `id` from the list `member` of t's hooks, if both still exist.
template <class T, class List>
HookHandle removal(const Tensor<T>& t, List detail::TensorHooks<T>::*member, std::uint64_t id) {
  std::weak_ptr<detail::TensorHooks<T>> weak = detail::NodeAccess<T>::get(t)->hooks;
  return HookHandle([weak, member, id] {
    if (auto hooks = weak.lock()) {
      auto& list = (*hooks).*member;
      std::erase_if(list, [id](const auto& e) { return e.id == id; });
    }
  });
}

}  // namespace

template <class T>
HookHandle Tensor<T>::register_hook(std::function<Tensor(const Tensor&)> hook) {
  if (!defined()) detail::throw_undefined_tensor("register_hook");
  if (!hook) throw GraphError("register_hook: the hook is empty");
  if (!requires_grad()) {
    throw GraphError("register_hook: " + describe(*this) +
                     " does not require grad, so no backward pass computes its gradient");
  }
  auto& hooks = hooks_of(*this);
  const std::uint64_t id = hooks.next_id++;
  hooks.grad.push_back({id, std::move(hook)});
  return removal(*this, &detail::TensorHooks<T>::grad, id);
}

template <class T>
HookHandle Tensor<T>::register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) {
  if (!defined()) detail::throw_undefined_tensor("register_post_accumulate_grad_hook");
  if (!hook) throw GraphError("register_post_accumulate_grad_hook: the hook is empty");
  if (!is_leaf() || !requires_grad()) {
    throw GraphError("register_post_accumulate_grad_hook: " + describe(*this) +
                     (is_leaf() ? " does not require grad" : " is not a leaf") +
                     "; only leaves that require grad accumulate a .grad");
  }
  auto& hooks = hooks_of(*this);
  const std::uint64_t id = hooks.next_id++;
  hooks.post_accumulate.push_back({id, std::move(hook)});
  return removal(*this, &detail::TensorHooks<T>::post_accumulate, id);
}

#define XG_INSTANTIATE(T)                                                             \
  template HookHandle Tensor<T>::register_hook(std::function<Tensor(const Tensor&)>); \
  template HookHandle Tensor<T>::register_post_accumulate_grad_hook(                  \
      std::function<void(const Tensor&)>);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
