// Activation layers: thin modules over the autograd activation functions, plus the ones
// with state (PReLU's learnable slope, RReLU's random slope). Scalar constructor arguments are
// std::type_identity_t<T>, so they do not take part in deduction: `nn::LeakyReLU(0.1)` is a
// float layer like the others, not a double one.
#pragma once

#include <cstddef>
#include <type_traits>

#include "xgrad/nn/module.hpp"
#include "xgrad/nn/random.hpp"
#include "xgrad/ops/activation.hpp"

namespace xg::nn {

template <class T = float>
class Step : public Module<T> {
 public:
  explicit Step(std::type_identity_t<T> threshold = 0) : threshold_(threshold) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Step"; }
  std::string extra_repr() const override;

 private:
  T threshold_;
};

template <class T = float>
class HardTanh : public Module<T> {
 public:
  HardTanh(std::type_identity_t<T> lo = -1, std::type_identity_t<T> hi = 1) : lo_(lo), hi_(hi) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "HardTanh"; }
  std::string extra_repr() const override;

 private:
  T lo_, hi_;
};

template <class T = float>
class Sigmoid : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Sigmoid"; }
};

template <class T = float>
class Tanh : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Tanh"; }
};

template <class T = float>
class ReLU : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "ReLU"; }
};

template <class T = float>
class LeakyReLU : public Module<T> {
 public:
  explicit LeakyReLU(std::type_identity_t<T> slope = T(0.01)) : slope_(slope) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;

 private:
  T slope_;
};

template <class T = float>
class ELU : public Module<T> {
 public:
  explicit ELU(std::type_identity_t<T> alpha = 1) : alpha_(alpha) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "ELU"; }
  std::string extra_repr() const override;

 private:
  T alpha_;
};

/// max(0, x) + a min(0, x) with a learnable slope `a` (one shared, or one per channel = last
/// axis), initialised to `init` (PyTorch: 0.25).
template <class T = float>
class PReLU : public Module<T> {
 public:
  explicit PReLU(std::size_t num_parameters = 1, std::type_identity_t<T> init = T(0.25));
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "PReLU"; }
  std::string extra_repr() const override;
  /// The registered parameter itself (see Linear::weight()).
  Tensor<T>& slope() { return this->own_parameter(0); }
  const Tensor<T>& slope() const { return this->own_parameter(0); }
};

/// Randomised leaky ReLU: in training each negative element gets a slope drawn from
/// U(lower, upper); in evaluation the slope is (lower + upper) / 2.
template <class T = float>
class RReLU : public Module<T> {
 public:
  RReLU(std::type_identity_t<T> lower = T(1) / 8, std::type_identity_t<T> upper = T(1) / 3,
        Generator* generator = nullptr);
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "RReLU"; }
  std::string extra_repr() const override;

 private:
  T lower_, upper_;
  Generator* generator_;
};

template <class T = float>
class Softplus : public Module<T> {
 public:
  explicit Softplus(std::type_identity_t<T> beta = 1, std::type_identity_t<T> threshold = 20)
      : beta_(beta), threshold_(threshold) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Softplus"; }
  std::string extra_repr() const override;

 private:
  T beta_, threshold_;
};

/// x Phi(x), or its tanh approximation (PyTorch's nn.GELU(approximate="tanh")).
template <class T = float>
class GELU : public Module<T> {
 public:
  explicit GELU(GeluApproximation approximate = GeluApproximation::none)
      : approximate_(approximate) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override;

 private:
  GeluApproximation approximate_;
};

/// x sigmoid(x).
template <class T = float>
class SiLU : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "SiLU"; }
};

template <class T = float>
class Softmax : public Module<T> {
 public:
  explicit Softmax(std::ptrdiff_t axis = -1) : axis_(axis) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Softmax"; }
  std::string extra_repr() const override;

 private:
  std::ptrdiff_t axis_;
};

template <class T = float>
class LogSoftmax : public Module<T> {
 public:
  explicit LogSoftmax(std::ptrdiff_t axis = -1) : axis_(axis) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "LogSoftmax"; }
  std::string extra_repr() const override;

 private:
  std::ptrdiff_t axis_;
};

}  // namespace xg::nn
