// The hooks a tensor carries (Tensor::register_hook, register_post_accumulate_grad_hook): held by
// the node through a shared_ptr, so that a HookHandle (a weak_ptr) can outlive the tensor.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace xg {
template <class T>
class Tensor;
}  // namespace xg

namespace xg::detail {

template <class T>
struct TensorHooks {
  template <class F>
  struct Entry {
    std::uint64_t id;
    F fn;
  };
  using GradHook = std::function<Tensor<T>(const Tensor<T>&)>;
  using PostAccumulateHook = std::function<void(const Tensor<T>&)>;

  std::vector<Entry<GradHook>> grad;
  std::vector<Entry<PostAccumulateHook>> post_accumulate;
  std::uint64_t next_id = 1;

  bool empty() const { return grad.empty() && post_accumulate.empty(); }
};

}  // namespace xg::detail
