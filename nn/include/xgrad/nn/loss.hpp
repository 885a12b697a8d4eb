// Losses as objects (the functions are in xgrad/ops/loss.hpp).
#pragma once

#include <cstddef>
#include <vector>

#include "xgrad/ops/loss.hpp"

namespace xg::nn {

template <class T>
class MSELoss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& pred, const Tensor<T>& target) const {
    return mse_loss(pred, target, reduction_);
  }

 private:
  Reduction reduction_;
};

template <class T>
class BCELoss {
 public:
  explicit BCELoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& prob, const Tensor<T>& target) const {
    return bce_loss(prob, target, reduction_);
  }

 private:
  Reduction reduction_;
};

template <class T>
class BCEWithLogitsLoss {
 public:
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& logits, const Tensor<T>& target) const {
    return bce_with_logits(logits, target, reduction_);
  }

 private:
  Reduction reduction_;
};

template <class T>
class CrossEntropyLoss {
 public:
  explicit CrossEntropyLoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& logits, const std::vector<std::size_t>& labels) const {
    return cross_entropy(logits, labels, reduction_);
  }

 private:
  Reduction reduction_;
};

template <class T>
class NLLLoss {
 public:
  explicit NLLLoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& log_probs, const std::vector<std::size_t>& labels) const {
    return nll_loss(log_probs, labels, reduction_);
  }

 private:
  Reduction reduction_;
};

}  // namespace xg::nn
