// Sequential: modules applied one after the other; children are named "0", "1", ...
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "xgrad/checkpoint.hpp"
#include "xgrad/nn/module.hpp"
#include "xgrad/tensor.hpp"

namespace xg::nn {

template <class T = float>
class Sequential : public Module<T> {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module<T>>> modules);
  /// Modules by value, shared_ptrs or both: `nn::Sequential model{nn::Linear(784, 500),
  /// nn::Sigmoid(), nn::Linear(500, 10)}`. Each value is moved into a shared_ptr of its own type
  /// and added, exactly as add(nn::make<...>(...)) would.
  template <class... Ms>
  requires(sizeof...(Ms) > 0 && (ModuleArgument<Ms, T> && ...)) Sequential(Ms&&... modules) {
    (add(std::forward<Ms>(modules)), ...);
  }
  /// Appends a module (named by its position) and returns *this.
  Sequential& add(std::shared_ptr<Module<T>> module);
  /// Appends a module passed by value (moved into a shared_ptr of its own type).
  template <class M>
  requires ModuleValue<M, T> Sequential& add(M&& module) {
    return add(std::make_shared<std::remove_cvref_t<M>>(std::move(module)));
  }
  /// A named module variable cannot be added by reference: the container would have to take it
  /// from its owner. Pass std::move(module), a temporary, or a shared_ptr (nn::make).
  template <class M>
  requires std::derived_from<std::remove_cv_t<M>, Module<T>> Sequential& add(M&) {
    static_assert(detail::always_false<M>,
                  "Sequential::add: pass the module as a temporary, std::move(module) or a "
                  "shared_ptr (nn::make), not as a named variable");
    return *this;
  }

  Tensor<T> forward(const Tensor<T>& x) override;

  /// Runs every `k` consecutive modules as one xg::checkpoint segment when recording: the tape
  /// keeps only the segments' inputs, and backward runs each segment again (its modules'
  /// forward hooks fire again too). 0 (the default) checkpoints nothing. `options` names the
  /// generators of modules given their own (the default generator is always replayed).
  Sequential& checkpoint_every(std::size_t k, CheckpointOptions options = {});
  std::size_t checkpoint_interval() const { return checkpoint_every_; }
  std::string type_name() const override { return "Sequential"; }
  std::size_t size() const { return this->children().size(); }
  Module<T>& operator[](std::size_t i) const { return *this->children().at(i).second; }

  /// A Keras-style table: layer (name and type), output shape, parameter count, totals. As in
  /// Keras, buffers (batch norm's running statistics) count as non-trainable parameters.
  /// `input_shape` excludes the batch axis; shapes print with "None" for the batch, as in Keras.
  /// Runs one forward pass on zeros under NoGradGuard in eval mode to find the shapes.
  std::string summary(const Shape& input_shape);

 private:
  Tensor<T> run_children(std::size_t begin, std::size_t end, const Tensor<T>& x);

  std::size_t checkpoint_every_ = 0;
  CheckpointOptions checkpoint_options_;
};

/// The scalar type comes from the first module: `nn::Sequential{nn::Linear(2, 3)}` is a
/// Sequential<float>, `nn::Sequential{nn::Linear<double>(2, 3)}` a Sequential<double>.
template <class M, class... Ms>
Sequential(M&&, Ms&&...) -> Sequential<module_scalar_t<M>>;

/// Builds a shared module: nn::make<nn::Linear<>>(784, 500), or with the scalar type left out,
/// nn::make<nn::Linear>(784, 500) (float).
template <class M, class... Args>
std::shared_ptr<M> make(Args&&... args) {
  return std::make_shared<M>(std::forward<Args>(args)...);
}
template <template <class> class M, class... Args>
std::shared_ptr<M<float>> make(Args&&... args) {
  return std::make_shared<M<float>>(std::forward<Args>(args)...);
}

}  // namespace xg::nn
