// Inverted dropout: in training each element (Dropout) or each channel of an NCHW input
// (Dropout2d) is zeroed with probability p and the survivors are scaled by 1 / (1 - p); in
// evaluation it is the identity.
#pragma once

#include "xgrad/nn/module.hpp"
#include "xgrad/nn/random.hpp"

namespace xg::nn {

template <class T = float>
class Dropout : public Module<T> {
 public:
  /// DomainError unless 0 <= p < 1.
  explicit Dropout(double p = 0.5, Generator* generator = nullptr);
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  double p() const { return p_; }

 private:
  double p_;
  Generator* generator_;
};

/// Channel dropout, PyTorch's Dropout2d: xg::dropout2d in training (one draw per sample and
/// channel of an (N, C, H, W) input, from `generator` or the default generator), the identity in
/// evaluation. p = 1 zeroes everything, as PyTorch allows.
template <class T = float>
class Dropout2d : public Module<T> {
 public:
  /// DomainError unless 0 <= p <= 1.
  explicit Dropout2d(double p = 0.5, Generator* generator = nullptr);
  /// ShapeError unless x is 4-D (also in evaluation, so a model fails the same way in both).
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "Dropout2d"; }
  std::string extra_repr() const override;
  double p() const { return p_; }

 private:
  double p_;
  Generator* generator_;
};

}  // namespace xg::nn
