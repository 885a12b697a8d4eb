// xg::HookHandle: what registering a hook returns (Tensor::register_hook,
// nn::Module::register_forward_hook, ...); remove() unregisters the hook, as PyTorch's
// RemovableHandle. Letting the handle go does not remove the hook.
#pragma once

#include <functional>
#include <utility>

namespace xg {

class HookHandle {
 public:
  HookHandle() = default;
  explicit HookHandle(std::function<void()> remove) : remove_(std::move(remove)) {}

  /// Unregisters the hook. Nothing happens when it was removed already or its owner is gone.
  void remove() {
    if (remove_) std::exchange(remove_, nullptr)();
  }
  /// False once remove() has been called (or for a default-constructed handle).
  bool active() const { return static_cast<bool>(remove_); }

 private:
  std::function<void()> remove_;
};

}  // namespace xg
