// Stochastic gradient descent with momentum, Nesterov momentum, weight decay and Keras-style
// inverse-time decay. PyTorch's formulas, for each parameter w with gradient g at step t
// (t = 0, 1, ...):
//
//   lr_t = lr / (1 + decay * t)                      (Keras' `decay`; 0 = constant)
//   g    = g + weight_decay * w
//   if momentum != 0:
//     v = g                          at the first step
//     v = momentum * v + (1 - dampening) * g         afterwards
//     g = nesterov ? g + momentum * v : v
//   w    = w - lr_t * g
//
// t is iterations() (steps taken before this one); v is the buffer "momentum_buffer", created
// at a parameter's first update. Parameters without a gradient are skipped entirely.
//
// Keras' own momentum (v = mu v - lr_t g; w += mu v - lr_t g for Nesterov) is the same update
// while lr_t is constant. With decay, Keras weights a past gradient in v by the lr of its own
// step, this form by the current lr_t: a relative difference of about decay * (steps since
// then), ~1e-5 for decay = 1e-6 and momentum 0.9.
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  /// Keras' inverse-time decay of the learning rate per step.
  double decay = 0;
};

template <class T>
struct SGDState {
  xt::xarray<T> momentum_buffer;  ///< v (with momentum only)
};

template <class T>
class SGD : public StatefulOptimizer<T, SGDState<T>> {
 public:
  /// DomainError naming the option and value for a negative (or non-finite) option, and for
  /// nesterov without momentum or with dampening (as PyTorch).
  SGD(std::vector<Tensor<T>> parameters, SGDOptions options = {});
  const SGDOptions& options() const { return options_; }

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;

 private:
  SGDOptions options_;
};

}  // namespace xg::optim
