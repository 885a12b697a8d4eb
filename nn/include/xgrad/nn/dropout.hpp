// Inverted dropout: in training each element is zeroed with probability p and the survivors
// are scaled by 1 / (1 - p); in evaluation it is the identity.
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

}  // namespace xg::nn
