// Adamax, NAdam and Adadelta with PyTorch's update formulas (adam_variants.hpp): one loop per
// parameter over its contiguous value, gradient and buffers, in its element type.
#include "xgrad/optim/adam_variants.hpp"

#include <cmath>
#include <utility>

#include "detail.hpp"
#include "xgrad/detail/instantiate.hpp"

namespace xg::optim {

namespace {

using detail::check_option;
using detail::Range;

// Each checked() tests the options besides lr, which the Optimizer constructor checks.
template <class T>
const AdamaxOptions& checked(const AdamaxOptions& o) {
  check_option<T>("Adamax", "beta1", o.beta1, Range::unit_open);
  check_option<T>("Adamax", "beta2", o.beta2, Range::unit_open);
  check_option<T>("Adamax", "eps", o.eps);
  check_option<T>("Adamax", "weight_decay", o.weight_decay);
  return o;
}

template <class T>
const NAdamOptions& checked(const NAdamOptions& o) {
  check_option<T>("NAdam", "beta1", o.beta1, Range::unit_open);
  check_option<T>("NAdam", "beta2", o.beta2, Range::unit_open);
  check_option<T>("NAdam", "eps", o.eps);
  check_option<T>("NAdam", "weight_decay", o.weight_decay);
  check_option<T>("NAdam", "momentum_decay", o.momentum_decay);
  return o;
}

template <class T>
const AdadeltaOptions& checked(const AdadeltaOptions& o) {
  check_option<T>("Adadelta", "rho", o.rho, Range::unit_closed);
  check_option<T>("Adadelta", "eps", o.eps);
  check_option<T>("Adadelta", "weight_decay", o.weight_decay);
  return o;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Adamax

template <class T>
Adamax<T>::Adamax(std::vector<Tensor<T>> parameters, AdamaxOptions options)
    : StatefulOptimizer<T, AdamaxState<T>>(std::move(parameters), checked<T>(options).lr, "Adamax"),
      options_(options) {
  this->declare_buffer("exp_avg", &AdamaxState<T>::exp_avg);
  this->declare_buffer("exp_inf", &AdamaxState<T>::exp_inf);
}

template <class T>
void Adamax<T>::update(std::size_t i, xt::xarray<T>& value, const xt::xarray<T>& grad) {
  const double t = static_cast<double>(this->iterations() + 1);
  const T clr = static_cast<T>(this->step_lr() / (1.0 - std::pow(options_.beta1, t)));
  const T b1 = static_cast<T>(options_.beta1), one_minus_b1 = static_cast<T>(1.0 - options_.beta1);
  const T b2 = static_cast<T>(options_.beta2);
  const T eps = static_cast<T>(options_.eps);
  const T wd = static_cast<T>(options_.weight_decay);
  AdamaxState<T>& state = this->state_[i];
  this->create_if_absent(state.exp_avg, i);
  this->create_if_absent(state.exp_inf, i);
  T* w = value.data();
  const T* g = grad.data();
  T* m = state.exp_avg.data();
  T* u = state.exp_inf.data();
  const std::size_t n = value.size();
  detail::with_flags(
      [&](auto kDecay) {
        for (std::size_t k = 0; k < n; ++k) {
          T d = g[k];
          if constexpr (kDecay) d += wd * w[k];
          const T mk = b1 * m[k] + one_minus_b1 * d;
          const T decayed = b2 * u[k], fresh = std::abs(d) + eps;
          const T uk = decayed < fresh ? fresh : decayed;
          m[k] = mk;
          u[k] = uk;
          w[k] -= clr * mk / uk;
        }
      },
      options_.weight_decay != 0);
}

// ---------------------------------------------------------------------------------------------
// NAdam

template <class T>
NAdam<T>::NAdam(std::vector<Tensor<T>> parameters, NAdamOptions options)
    : StatefulOptimizer<T, NAdamState<T>>(std::move(parameters), checked<T>(options).lr, "NAdam"),
      options_(options) {
  this->declare_buffer("exp_avg", &NAdamState<T>::exp_avg);
  this->declare_buffer("exp_avg_sq", &NAdamState<T>::exp_avg_sq);
}

template <class T>
double NAdam<T>::mu(double t) const {
  return options_.beta1 * (1.0 - 0.5 * std::pow(0.96, t * options_.momentum_decay));
}

template <class T>
double NAdam<T>::mu_product(std::size_t t) const {
  if (t < product_t_) {
    product_t_ = 0;
    product_ = 1.0;
  }
  for (; product_t_ < t; ++product_t_) product_ *= mu(static_cast<double>(product_t_ + 1));
  return product_;
}

template <class T>
void NAdam<T>::update(std::size_t i, xt::xarray<T>& value, const xt::xarray<T>& grad) {
  const std::size_t step = this->iterations() + 1;
  const double t = static_cast<double>(step);
  const double lr = this->step_lr();
  const double mu_t = mu(t), mu_next = mu(t + 1.0);
  const double product = mu_product(step);
  const T grad_scale = static_cast<T>(lr * (1.0 - mu_t) / (1.0 - product));
  const T avg_scale = static_cast<T>(lr * mu_next / (1.0 - product * mu_t * mu_next));
  const T bias_correction2 = static_cast<T>(1.0 - std::pow(options_.beta2, t));
  const T b1 = static_cast<T>(options_.beta1), one_minus_b1 = static_cast<T>(1.0 - options_.beta1);
  const T b2 = static_cast<T>(options_.beta2), one_minus_b2 = static_cast<T>(1.0 - options_.beta2);
  const T eps = static_cast<T>(options_.eps);
  const T wd = static_cast<T>(options_.weight_decay);
  NAdamState<T>& state = this->state_[i];
  this->create_if_absent(state.exp_avg, i);
  this->create_if_absent(state.exp_avg_sq, i);
  T* w = value.data();
  const T* g = grad.data();
  T* m = state.exp_avg.data();
  T* v = state.exp_avg_sq.data();
  const std::size_t n = value.size();
  detail::with_flags(
      [&](auto kDecay) {
        for (std::size_t k = 0; k < n; ++k) {
          T d = g[k];
          if constexpr (kDecay) d += wd * w[k];
          const T mk = b1 * m[k] + one_minus_b1 * d;
          const T vk = b2 * v[k] + one_minus_b2 * d * d;
          m[k] = mk;
          v[k] = vk;
          const T denom = std::sqrt(vk / bias_correction2) + eps;
          // Two separate subtractions, as PyTorch's two addcdiv_ calls round.
          T wk = w[k] - grad_scale * d / denom;
          wk -= avg_scale * mk / denom;
          w[k] = wk;
        }
      },
      options_.weight_decay != 0);
}

// ---------------------------------------------------------------------------------------------
// Adadelta

template <class T>
Adadelta<T>::Adadelta(std::vector<Tensor<T>> parameters, AdadeltaOptions options)
    : StatefulOptimizer<T, AdadeltaState<T>>(std::move(parameters), checked<T>(options).lr,
                                             "Adadelta"),
      options_(options) {
  this->declare_buffer("square_avg", &AdadeltaState<T>::square_avg);
  this->declare_buffer("acc_delta", &AdadeltaState<T>::acc_delta);
}

template <class T>
void Adadelta<T>::update(std::size_t i, xt::xarray<T>& value, const xt::xarray<T>& grad) {
  const T lr = static_cast<T>(this->step_lr());
  const T rho = static_cast<T>(options_.rho), one_minus_rho = static_cast<T>(1.0 - options_.rho);
  const T eps = static_cast<T>(options_.eps);
  const T wd = static_cast<T>(options_.weight_decay);
  AdadeltaState<T>& state = this->state_[i];
  this->create_if_absent(state.square_avg, i);
  this->create_if_absent(state.acc_delta, i);
  T* w = value.data();
  const T* g = grad.data();
  T* v = state.square_avg.data();
  T* u = state.acc_delta.data();
  const std::size_t n = value.size();
  detail::with_flags(
      [&](auto kDecay) {
        for (std::size_t k = 0; k < n; ++k) {
          T d = g[k];
          if constexpr (kDecay) d += wd * w[k];
          const T vk = rho * v[k] + one_minus_rho * d * d;
          const T delta = std::sqrt(u[k] + eps) / std::sqrt(vk + eps) * d;
          v[k] = vk;
          u[k] = rho * u[k] + one_minus_rho * delta * delta;
          w[k] -= lr * delta;
        }
      },
      options_.weight_decay != 0);
}

#define XG_INSTANTIATE(T)   \
  template class Adamax<T>; \
  template class NAdam<T>;  \
  template class Adadelta<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
