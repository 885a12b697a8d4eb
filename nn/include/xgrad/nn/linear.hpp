// Linear (Dense) layer: y = x W + b with W of shape (in, out) — the layout of seed 001's
// `X·wh + bh` and of Keras' Dense kernel.
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

template <class T>
class Linear : public Module<T> {
 public:
  Linear(std::size_t in_features, std::size_t out_features, LinearOptions options = {});
  /// x of shape (batch, in) or (in); ShapeError naming the layer if the last axis is not `in`.
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;

  Tensor<T>& weight() { return weight_; }
  Tensor<T>& bias() { return bias_; }  ///< undefined when bias = false
  std::size_t in_features() const { return in_; }
  std::size_t out_features() const { return out_; }

 private:
  std::size_t in_, out_;
  Tensor<T> weight_, bias_;
};

}  // namespace xg::nn
