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

/// (pred - target)^2.
template <class T>
using MSELoss = Loss<T, Tensor<T>, &mse_loss<T>>;
/// Binary cross-entropy on probabilities.
template <class T>
using BCELoss = Loss<T, Tensor<T>, &bce_loss<T>>;
/// Binary cross-entropy on logits (stable).
template <class T>
using BCEWithLogitsLoss = Loss<T, Tensor<T>, &bce_with_logits<T>>;
/// Cross-entropy of (N, C) logits against class labels.
template <class T>
using CrossEntropyLoss = Loss<T, std::vector<std::size_t>, &cross_entropy<T>>;
/// Negative log-likelihood of (N, C) log-probabilities against class labels.
template <class T>
using NLLLoss = Loss<T, std::vector<std::size_t>, &nll_loss<T>>;

}  // namespace xg::nn
