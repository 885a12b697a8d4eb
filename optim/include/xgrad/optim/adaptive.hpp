// Adaptive optimizers, with PyTorch's update formulas. For parameter w, gradient g, step
// t = 1, 2, ...:
//
// Adagrad:  g += wd w;  clr = lr / (1 + (t - 1) lr_decay);  s += g^2;
//           w -= clr g / (sqrt(s) + eps)
// RMSprop:  g += wd w;  v = alpha v + (1 - alpha) g^2;
//           centered: m = alpha m + (1 - alpha) g;  d = sqrt(v - m^2) + eps,
//           else d = sqrt(v) + eps;
//           momentum > 0: b = momentum b + g / d;  w -= lr b,   else w -= lr g / d
// Adam:     g += wd w;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//           amsgrad: vmax = max(vmax, v) and vmax replaces v below
//           m^ = m / (1 - b1^t);  v^ = v / (1 - b2^t)
//           w -= lr m^ / (sqrt(v^) + eps)               (eps outside the square root)
//           computed as w -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// AdamW:    w *= 1 - lr wd  (decoupled decay first), then Adam's update without the g += wd w.
//
// t is the optimizer's step count (iterations() + 1), shared by all parameters. PyTorch counts
// steps per parameter instead; the two agree unless a parameter misses some steps (no
// gradient), where this follows Keras. Parameters without a gradient are skipped entirely.
// Per-parameter state (the members of *State below, saved under the same names): Adagrad
// "sum"; RMSprop "square_avg", "grad_avg" (centered), "momentum_buffer" (momentum > 0); Adam and
// AdamW "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (amsgrad).
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct AdagradOptions {
  double lr = 0.01;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
};

template <class T>
struct AdagradState {
  xt::xarray<T> sum;
};

template <class T>
class Adagrad : public StatefulOptimizer<T, AdagradState<T>> {
 public:
  Adagrad(std::vector<Tensor<T>> parameters, AdagradOptions options = {});

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;

 private:
  AdagradOptions options_;
};

struct RMSpropOptions {
  double lr = 0.01;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
};

template <class T>
struct RMSpropState {
  xt::xarray<T> square_avg;
  xt::xarray<T> grad_avg;         ///< centered only
  xt::xarray<T> momentum_buffer;  ///< momentum > 0 only
};

template <class T>
class RMSprop : public StatefulOptimizer<T, RMSpropState<T>> {
 public:
  RMSprop(std::vector<Tensor<T>> parameters, RMSpropOptions options = {});

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;

 private:
  RMSpropOptions options_;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
};

template <class T>
struct AdamState {
  xt::xarray<T> exp_avg;
  xt::xarray<T> exp_avg_sq;
  xt::xarray<T> max_exp_avg_sq;  ///< amsgrad only
};

template <class T>
class Adam : public StatefulOptimizer<T, AdamState<T>> {
 public:
  Adam(std::vector<Tensor<T>> parameters, AdamOptions options = {});

 protected:
  /// For AdamW: `name` starts the messages of the option checks.
  Adam(std::vector<Tensor<T>> parameters, AdamOptions options, const char* name);
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;
  /// Shared by Adam and AdamW: for parameter i, w *= decoupled_scale (AdamW), g + l2 w as the
  /// gradient (Adam's weight_decay), the moment updates and the step; t = iterations() + 1.
  void adam_update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g, double l2,
                   double decoupled_scale);
  AdamOptions options_;
};

/// Adam with decoupled weight decay (default 1e-2, as PyTorch).
template <class T>
class AdamW : public Adam<T> {
 public:
  AdamW(std::vector<Tensor<T>> parameters, AdamOptions options = {.lr = 1e-3,
                                                                  .beta1 = 0.9,
                                                                  .beta2 = 0.999,
                                                                  .eps = 1e-8,
                                                                  .weight_decay = 1e-2,
                                                                  .amsgrad = false});

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;
};

}  // namespace xg::optim
