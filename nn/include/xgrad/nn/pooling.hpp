// Pooling layers: thin modules over the pooling operations (xgrad/ops/pooling.hpp), with
// PyTorch's constructor arguments and defaults (a stride not given equals the kernel). NCHW
// input for the 2-d layers, NCL for the 1-d ones; shape errors come from the operations.
#pragma once

#include <cstddef>
#include <optional>

#include "xgrad/nn/module.hpp"
#include "xgrad/ops/pooling.hpp"

namespace xg::nn {

template <class T = float>
class MaxPool2d : public Module<T> {
 public:
  explicit MaxPool2d(PoolSize2 kernel, PoolSize2 stride = {}, PoolSize2 padding = 0,
                     PoolSize2 dilation = 1, bool ceil_mode = false)
      : kernel_(kernel),
        stride_(stride.given ? stride : kernel),
        padding_(padding),
        dilation_(dilation),
        ceil_mode_(ceil_mode) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "MaxPool2d"; }
  /// "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false", as PyTorch's.
  std::string extra_repr() const override;

 private:
  PoolSize2 kernel_, stride_, padding_, dilation_;
  bool ceil_mode_;
};

template <class T = float>
class AvgPool2d : public Module<T> {
 public:
  explicit AvgPool2d(PoolSize2 kernel, PoolSize2 stride = {}, PoolSize2 padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<std::ptrdiff_t> divisor_override = std::nullopt)
      : kernel_(kernel),
        stride_(stride.given ? stride : kernel),
        padding_(padding),
        ceil_mode_(ceil_mode),
        count_include_pad_(count_include_pad),
        divisor_override_(divisor_override) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "AvgPool2d"; }
  /// "kernel_size=2, stride=2, padding=0", as PyTorch's.
  std::string extra_repr() const override;

 private:
  PoolSize2 kernel_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
  std::optional<std::ptrdiff_t> divisor_override_;
};

template <class T = float>
class AdaptiveAvgPool2d : public Module<T> {
 public:
  explicit AdaptiveAvgPool2d(PoolSize2 output_size) : output_size_(output_size) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
  /// "output_size=(3, 4)" (or "output_size=1" for a square one).
  std::string extra_repr() const override;

 private:
  PoolSize2 output_size_;
};

template <class T = float>
class MaxPool1d : public Module<T> {
 public:
  explicit MaxPool1d(std::ptrdiff_t kernel, std::optional<std::ptrdiff_t> stride = std::nullopt,
                     std::ptrdiff_t padding = 0, std::ptrdiff_t dilation = 1,
                     bool ceil_mode = false)
      : kernel_(kernel),
        stride_(stride.value_or(kernel)),
        padding_(padding),
        dilation_(dilation),
        ceil_mode_(ceil_mode) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "MaxPool1d"; }
  /// "kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=false", as PyTorch's.
  std::string extra_repr() const override;

 private:
  std::ptrdiff_t kernel_, stride_, padding_, dilation_;
  bool ceil_mode_;
};

template <class T = float>
class AvgPool1d : public Module<T> {
 public:
  explicit AvgPool1d(std::ptrdiff_t kernel, std::optional<std::ptrdiff_t> stride = std::nullopt,
                     std::ptrdiff_t padding = 0, bool ceil_mode = false,
                     bool count_include_pad = true)
      : kernel_(kernel),
        stride_(stride.value_or(kernel)),
        padding_(padding),
        ceil_mode_(ceil_mode),
        count_include_pad_(count_include_pad) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "AvgPool1d"; }
  /// "kernel_size=(3,), stride=(3,), padding=(0,)", as PyTorch's (which keeps 1-tuples here).
  std::string extra_repr() const override;

 private:
  std::ptrdiff_t kernel_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
};

}  // namespace xg::nn
