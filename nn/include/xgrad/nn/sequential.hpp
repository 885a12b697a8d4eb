// Sequential: modules applied one after the other; children are named "0", "1", ...
#pragma once

#include <initializer_list>
#include <memory>
#include <string>

#include "xgrad/nn/module.hpp"
#include "xgrad/tensor.hpp"

namespace xg::nn {

template <class T>
class Sequential : public Module<T> {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module<T>>> modules);
  /// Appends a module (named by its position) and returns *this.
  Sequential& add(std::shared_ptr<Module<T>> module);
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Sequential"; }
  std::size_t size() const { return this->children().size(); }
  Module<T>& operator[](std::size_t i) const { return *this->children().at(i).second; }

  /// A Keras-style table: layer (name and type), output shape, parameter count, totals.
  /// `input_shape` excludes the batch axis; shapes print with "None" for the batch, as in Keras.
  /// Runs one forward pass on zeros under NoGradGuard in eval mode to find the shapes.
  std::string summary(const Shape& input_shape);
};

/// Builds a shared module: nn::make<Linear<float>>(784, 500).
template <class M, class... Args>
std::shared_ptr<M> make(Args&&... args) {
  return std::make_shared<M>(std::forward<Args>(args)...);
}

}  // namespace xg::nn
