// Convolution layers, PyTorch's nn.Conv1d / nn.Conv2d: a weight (out, in / groups, kH, kW) and
// a bias (out), both initialised U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in / groups
// kH kW, as PyTorch does (kaiming_uniform_ with a = sqrt(5) on the weight).
//
//   nn::Conv2d conv(1, 32, 3, {.padding = 1});          // in, out, kernel size
//   auto y = conv(x);                                    // x (N, 1, H, W) -> (N, 32, H, W)
#pragma once

#include <cstddef>
#include <string>

#include "xgrad/nn/init.hpp"
#include "xgrad/nn/module.hpp"
#include "xgrad/ops/conv.hpp"

namespace xg::nn {

struct Conv2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 dilation = 1;
  std::size_t groups = 1;
  bool bias = true;
  Init weight_init = Init::torch_uniform;
  Init bias_init = Init::torch_uniform;
  /// The values Init::constant fills the weight / the bias with.
  double weight_value = 0.0;
  double bias_value = 0.0;
  /// Generator for the initial values; nullptr = default_generator().
  Generator* generator = nullptr;
};

struct Conv1dOptions {
  std::size_t stride = 1;
  std::size_t padding = 0;
  std::size_t dilation = 1;
  std::size_t groups = 1;
  bool bias = true;
  Init weight_init = Init::torch_uniform;
  Init bias_init = Init::torch_uniform;
  double weight_value = 0.0;
  double bias_value = 0.0;
  Generator* generator = nullptr;
};

/// xg::conv2d with the layer's weight and bias. Input (N, in, H, W), or (in, H, W) for one
/// unbatched sample (then the output has no batch axis either).
template <class T = float>
class Conv2d : public Module<T> {
 public:
  /// DomainError for a zero channel count, kernel size, stride, dilation or groups; ShapeError
  /// when in or out is not divisible by groups.
  Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size,
         Conv2dOptions options = {});
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Conv2d"; }
  /// PyTorch's: "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)" (padding, dilation,
  /// groups and bias=False only where they differ from the defaults).
  std::string extra_repr() const override;

  Tensor<T>& weight() { return this->own_parameter(0); }
  const Tensor<T>& weight() const { return this->own_parameter(0); }
  /// Undefined when bias = false.
  Tensor<T>& bias() { return has_bias_ ? this->own_parameter(1) : no_bias_; }
  const Tensor<T>& bias() const { return has_bias_ ? this->own_parameter(1) : no_bias_; }
  std::size_t in_channels() const { return in_; }
  std::size_t out_channels() const { return out_; }
  Size2 kernel_size() const { return kernel_; }
  /// The functional options forward() passes to xg::conv2d.
  const xg::Conv2dOptions& conv_options() const { return conv_; }

 private:
  std::size_t in_, out_;
  Size2 kernel_;
  xg::Conv2dOptions conv_;
  bool has_bias_;
  Tensor<T> no_bias_;
};

/// xg::conv1d with the layer's weight (out, in / groups, k) and bias. Input (N, in, L), or
/// (in, L) unbatched.
template <class T = float>
class Conv1d : public Module<T> {
 public:
  Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size,
         Conv1dOptions options = {});
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Conv1d"; }
  /// "16, 33, kernel_size=(3,), stride=(2,)", as PyTorch prints it.
  std::string extra_repr() const override;

  Tensor<T>& weight() { return this->own_parameter(0); }
  const Tensor<T>& weight() const { return this->own_parameter(0); }
  Tensor<T>& bias() { return has_bias_ ? this->own_parameter(1) : no_bias_; }
  const Tensor<T>& bias() const { return has_bias_ ? this->own_parameter(1) : no_bias_; }
  std::size_t in_channels() const { return in_; }
  std::size_t out_channels() const { return out_; }
  std::size_t kernel_size() const { return kernel_; }
  const xg::Conv1dOptions& conv_options() const { return conv_; }

 private:
  std::size_t in_, out_, kernel_;
  xg::Conv1dOptions conv_;
  bool has_bias_;
  Tensor<T> no_bias_;
};

}  // namespace xg::nn
