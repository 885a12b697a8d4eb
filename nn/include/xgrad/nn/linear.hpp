// Linear (Dense) layer: y = x W + b with W of shape (in, out), the layout of Keras' Dense
// kernel (x W reads in the order the data flows).
#pragma once

#include <cstddef>

#include "xgrad/nn/init.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct LinearOptions {
  bool bias = true;
  Init weight_init = Init::glorot_uniform;
  Init bias_init = Init::zeros;
  /// The values Init::constant fills the weight / the bias with.
  double weight_value = 0.0;
  double bias_value = 0.0;
  /// Generator for the initial values; nullptr = default_generator().
  Generator* generator = nullptr;
};

template <class T = float>
class Linear : public Module<T> {
 public:
  Linear(std::size_t in_features, std::size_t out_features, LinearOptions options = {});
  /// x of shape (batch, in) or (in); ShapeError naming the layer if the last axis is not `in`.
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;

  /// The registered parameters themselves: assigning a tensor through them replaces what
  /// parameters(), optimizers built afterwards and checkpoints see.
  Tensor<T>& weight() { return this->own_parameter(0); }
  const Tensor<T>& weight() const { return this->own_parameter(0); }
  /// Undefined when bias = false (then there is no parameter to replace).
  Tensor<T>& bias() { return has_bias_ ? this->own_parameter(1) : no_bias_; }
  const Tensor<T>& bias() const { return has_bias_ ? this->own_parameter(1) : no_bias_; }
  std::size_t in_features() const { return in_; }
  std::size_t out_features() const { return out_; }

 private:
  std::size_t in_, out_;
  bool has_bias_;
  Tensor<T> no_bias_;
};

}  // namespace xg::nn
