// Adamax, NAdam and Adadelta, with PyTorch's (1.13) update formulas. For parameter w, gradient
// g, step t = iterations() + 1 (shared by all parameters, as for Adam):
//
// Adamax:   g += wd w;  m = b1 m + (1 - b1) g;  u = max(b2 u, |g| + eps);
//           w -= (lr / (1 - b1^t)) m / u
// NAdam:    g += wd w;  mu_t = b1 (1 - 0.5 * 0.96^(t momentum_decay));
//           P_t = mu_1 ... mu_t;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//           d = sqrt(v / (1 - b2^t)) + eps;
//           w -= lr (1 - mu_t) / (1 - P_t) g / d;  then
//           w -= lr mu_{t+1} / (1 - P_t mu_t mu_{t+1}) m / d
//           (PyTorch 1.13's second denominator counts mu_t twice; Dozat's paper has
//           1 - P_t mu_{t+1}. This follows PyTorch 1.13.)
// Adadelta: g += wd w;  v = rho v + (1 - rho) g^2;  delta = sqrt(u + eps) / sqrt(v + eps) g;
//           u = rho u + (1 - rho) delta^2;  w -= lr delta
//
// Per-parameter state (saved under the member names): Adamax "exp_avg", "exp_inf"; NAdam
// "exp_avg", "exp_avg_sq"; Adadelta "square_avg", "acc_delta". NAdam's product P_t follows from
// the step count (PyTorch keeps it per parameter; the two agree while every parameter gets a
// gradient at every step).
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct AdamaxOptions {
  double lr = 2e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

template <class T>
struct AdamaxState {
  xt::xarray<T> exp_avg;
  xt::xarray<T> exp_inf;
};

template <class T>
class Adamax : public StatefulOptimizer<T, AdamaxState<T>> {
 public:
  Adamax(std::vector<Tensor<T>> parameters, AdamaxOptions options = {});

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;

 private:
  AdamaxOptions options_;
};

struct NAdamOptions {
  double lr = 2e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum_decay = 4e-3;
};

template <class T>
struct NAdamState {
  xt::xarray<T> exp_avg;
  xt::xarray<T> exp_avg_sq;
};

template <class T>
class NAdam : public StatefulOptimizer<T, NAdamState<T>> {
 public:
  NAdam(std::vector<Tensor<T>> parameters, NAdamOptions options = {});

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;

 private:
  /// mu_t of the formula above.
  double mu(double t) const;
  /// P_t = mu_1 ... mu_t, extended from the last one asked for (every parameter of a step asks
  /// for the same t; a load that moves the step count back starts again from P_0 = 1).
  double mu_product(std::size_t t) const;

  NAdamOptions options_;
  mutable std::size_t product_t_ = 0;
  mutable double product_ = 1.0;
};

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0;
};

template <class T>
struct AdadeltaState {
  xt::xarray<T> square_avg;
  xt::xarray<T> acc_delta;
};

template <class T>
class Adadelta : public StatefulOptimizer<T, AdadeltaState<T>> {
 public:
  Adadelta(std::vector<Tensor<T>> parameters, AdadeltaOptions options = {});

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;

 private:
  AdadeltaOptions options_;
};

}  // namespace xg::optim
