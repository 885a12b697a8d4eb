// Loss functions. Prediction and target shapes must match exactly (no silent broadcasting).
#pragma once

#include <cstddef>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg {

enum class Reduction { mean, sum, none };

/// (pred - target)^2, reduced.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target,
                   Reduction reduction = Reduction::mean);
/// Binary cross-entropy on probabilities in [0, 1]; logs are clamped at -100 (PyTorch's rule)
/// so p = 0 or 1 stays finite. Throws DomainError for p outside [0, 1].
template <class T>
Tensor<T> bce_loss(const Tensor<T>& prob, const Tensor<T>& target,
                   Reduction reduction = Reduction::mean);
/// Binary cross-entropy on logits: max(x,0) - x t + log(1 + e^-|x|), stable for any x.
template <class T>
Tensor<T> bce_with_logits(const Tensor<T>& logits, const Tensor<T>& target,
                          Reduction reduction = Reduction::mean);
/// Cross-entropy of (N, C) logits against class labels in [0, C): nll(log_softmax(logits)).
/// Its gradient is (softmax - onehot) / N. Throws IndexError for a label out of range.
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& labels,
                        Reduction reduction = Reduction::mean);
/// Negative log-likelihood of (N, C) log-probabilities: -logp[i, labels[i]], reduced.
template <class T>
Tensor<T> nll_loss(const Tensor<T>& log_probs, const std::vector<std::size_t>& labels,
                   Reduction reduction = Reduction::mean);

}  // namespace xg
