// Losses as objects (the functions are in xgrad/ops/loss.hpp): each holds its reduction and
// forwards to its function.
#pragma once

#include <cstddef>
#include <vector>

#include "xgrad/ops/loss.hpp"

namespace xg::nn {

/// A loss function bound to a reduction. Target is a Tensor<T> (regression, binary targets) or
/// class labels (std::vector<std::size_t>).
template <class T, class Target, Tensor<T> (*Function)(const Tensor<T>&, const Target&, Reduction)>
class Loss {
 public:
  explicit Loss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& input, const Target& target) const {
    return Function(input, target, reduction_);
  }
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_;
};

// Each loss is a class (not an alias of Loss) so that `nn::MSELoss loss;` deduces the default
// float type with every compiler: deduction through alias templates is too recent for some.
#define XG_NN_LOSS(Name, Target, function)               \
  template <class T = float>                             \
  class Name : public Loss<T, Target, &function<T>> {    \
   public:                                               \
    explicit Name(Reduction reduction = Reduction::mean) \
        : Loss<T, Target, &function<T>>(reduction) {}    \
  }

/// (pred - target)^2.
XG_NN_LOSS(MSELoss, Tensor<T>, mse_loss);
/// Binary cross-entropy on probabilities.
XG_NN_LOSS(BCELoss, Tensor<T>, bce_loss);
/// Binary cross-entropy on logits (stable).
XG_NN_LOSS(BCEWithLogitsLoss, Tensor<T>, bce_with_logits);
/// Cross-entropy of (N, C) logits against class labels.
XG_NN_LOSS(CrossEntropyLoss, std::vector<std::size_t>, cross_entropy);
/// Negative log-likelihood of (N, C) log-probabilities against class labels.
XG_NN_LOSS(NLLLoss, std::vector<std::size_t>, nll_loss);

#undef XG_NN_LOSS

}  // namespace xg::nn
