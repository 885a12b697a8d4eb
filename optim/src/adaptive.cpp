// Adagrad, RMSprop, Adam and AdamW with PyTorch's update formulas (adaptive.hpp). Each update
// is one loop over the contiguous value, gradient and buffers of a parameter, in its element
// type, with no allocation beyond the buffers created on a parameter's first update.
#include "xgrad/optim/adaptive.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "detail.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::optim {

namespace {

using detail::check_option;
using detail::Range;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Adagrad

namespace {
// Each checked() tests the options besides lr, which the Optimizer constructor checks.
template <class T>
const AdagradOptions& checked(const AdagradOptions& options) {
  check_option<T>("Adagrad", "lr_decay", options.lr_decay);
  check_option<T>("Adagrad", "weight_decay", options.weight_decay);
  check_option<T>("Adagrad", "initial_accumulator_value", options.initial_accumulator_value);
  check_option<T>("Adagrad", "eps", options.eps);
  return options;
}
}  // namespace

template <class T>
Adagrad<T>::Adagrad(std::vector<Tensor<T>> parameters, AdagradOptions options)
    : StatefulOptimizer<T, AdagradState<T>>(std::move(parameters), checked<T>(options).lr,
                                            "Adagrad"),
      options_(options) {
  this->declare_buffer("sum", &AdagradState<T>::sum);
}

template <class T>
void Adagrad<T>::update(std::size_t i, xt::xarray<T>& value, const xt::xarray<T>& grad) {
  const double t = static_cast<double>(this->iterations() + 1);
  const T clr = static_cast<T>(this->step_lr() / (1.0 + (t - 1.0) * options_.lr_decay));
  const T wd = static_cast<T>(options_.weight_decay);
  const T eps = static_cast<T>(options_.eps);
  xt::xarray<T>& sum = this->state_[i].sum;
  this->create_if_absent(sum, i, static_cast<T>(options_.initial_accumulator_value));
  T* w = value.data();
  const T* g = grad.data();
  T* s = sum.data();
  const std::size_t n = value.size();
  detail::with_flags(
      [&](auto kDecay) {
        for (std::size_t k = 0; k < n; ++k) {
          T d = g[k];
          if constexpr (kDecay) d += wd * w[k];
          const T sk = s[k] + d * d;
          s[k] = sk;
          w[k] -= clr * d / (std::sqrt(sk) + eps);
        }
      },
      options_.weight_decay != 0);
}

// ---------------------------------------------------------------------------------------------
// RMSprop

namespace {
template <class T>
const RMSpropOptions& checked(const RMSpropOptions& options) {
  check_option<T>("RMSprop", "alpha", options.alpha, Range::unit_closed);
  check_option<T>("RMSprop", "eps", options.eps);
  check_option<T>("RMSprop", "weight_decay", options.weight_decay);
  check_option<T>("RMSprop", "momentum", options.momentum);
  return options;
}
}  // namespace

template <class T>
RMSprop<T>::RMSprop(std::vector<Tensor<T>> parameters, RMSpropOptions options)
    : StatefulOptimizer<T, RMSpropState<T>>(std::move(parameters), checked<T>(options).lr,
                                            "RMSprop"),
      options_(options) {
  this->declare_buffer("square_avg", &RMSpropState<T>::square_avg);
  if (options.centered) this->declare_buffer("grad_avg", &RMSpropState<T>::grad_avg);
  if (options.momentum > 0)
    this->declare_buffer("momentum_buffer", &RMSpropState<T>::momentum_buffer);
}

template <class T>
void RMSprop<T>::update(std::size_t i, xt::xarray<T>& value, const xt::xarray<T>& grad) {
  const T lr = static_cast<T>(this->step_lr());
  const T alpha = static_cast<T>(options_.alpha);
  const T one_minus_alpha = static_cast<T>(1.0 - options_.alpha);
  const T eps = static_cast<T>(options_.eps);
  const T wd = static_cast<T>(options_.weight_decay);
  const T mu = static_cast<T>(options_.momentum);
  const bool centered = options_.centered;
  const bool use_momentum = options_.momentum > 0;
  RMSpropState<T>& state = this->state_[i];
  this->create_if_absent(state.square_avg, i);
  if (centered) this->create_if_absent(state.grad_avg, i);
  if (use_momentum) this->create_if_absent(state.momentum_buffer, i);
  T* w = value.data();
  const T* g = grad.data();
  T* v = state.square_avg.data();
  T* m = centered ? state.grad_avg.data() : nullptr;
  T* b = use_momentum ? state.momentum_buffer.data() : nullptr;
  const std::size_t n = value.size();
  detail::with_flags(
      [&](auto kDecay, auto kCentered, auto kMomentum) {
        for (std::size_t k = 0; k < n; ++k) {
          T d = g[k];
          if constexpr (kDecay) d += wd * w[k];
          const T vk = alpha * v[k] + one_minus_alpha * d * d;
          v[k] = vk;
          T denom;
          if constexpr (kCentered) {
            const T mk = alpha * m[k] + one_minus_alpha * d;
            m[k] = mk;
            denom = std::sqrt(vk - mk * mk) + eps;
          } else {
            denom = std::sqrt(vk) + eps;
          }
          if constexpr (kMomentum) {
            const T bk = mu * b[k] + d / denom;
            b[k] = bk;
            w[k] -= lr * bk;
          } else {
            w[k] -= lr * d / denom;
          }
        }
      },
      options_.weight_decay != 0, centered, use_momentum);
}

// ---------------------------------------------------------------------------------------------
// Adam and AdamW

namespace {
template <class T>
const AdamOptions& checked(const AdamOptions& options, const char* optimizer) {
  check_option<T>(optimizer, "beta1", options.beta1, Range::unit_open);
  check_option<T>(optimizer, "beta2", options.beta2, Range::unit_open);
  check_option<T>(optimizer, "eps", options.eps);
  check_option<T>(optimizer, "weight_decay", options.weight_decay);
  return options;
}
}  // namespace

template <class T>
Adam<T>::Adam(std::vector<Tensor<T>> parameters, AdamOptions options)
    : Adam(std::move(parameters), options, "Adam") {}

template <class T>
Adam<T>::Adam(std::vector<Tensor<T>> parameters, AdamOptions options, const char* name)
    : StatefulOptimizer<T, AdamState<T>>(std::move(parameters), checked<T>(options, name).lr, name),
      options_(options) {
  this->declare_buffer("exp_avg", &AdamState<T>::exp_avg);
  this->declare_buffer("exp_avg_sq", &AdamState<T>::exp_avg_sq);
  if (options.amsgrad) this->declare_buffer("max_exp_avg_sq", &AdamState<T>::max_exp_avg_sq);
}

template <class T>
void Adam<T>::adam_update(std::size_t i, xt::xarray<T>& value, const xt::xarray<T>& grad, double l2,
                          double decoupled_scale) {
  const double t = static_cast<double>(this->iterations() + 1);
  const double bias_correction1 = 1.0 - std::pow(options_.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(options_.beta2, t);
  const T step_size = static_cast<T>(this->step_lr() / bias_correction1);
  const T inv_bc2_sqrt = static_cast<T>(1.0 / std::sqrt(bias_correction2));
  const T b1 = static_cast<T>(options_.beta1), one_minus_b1 = static_cast<T>(1.0 - options_.beta1);
  const T b2 = static_cast<T>(options_.beta2), one_minus_b2 = static_cast<T>(1.0 - options_.beta2);
  const T eps = static_cast<T>(options_.eps);
  const T wd = static_cast<T>(l2), scale = static_cast<T>(decoupled_scale);
  const bool amsgrad = options_.amsgrad;
  T* w = value.data();
  const T* g = grad.data();
  AdamState<T>& state = this->state_[i];
  this->create_if_absent(state.exp_avg, i);
  this->create_if_absent(state.exp_avg_sq, i);
  if (amsgrad) this->create_if_absent(state.max_exp_avg_sq, i);
  T* m = state.exp_avg.data();
  T* v = state.exp_avg_sq.data();
  T* vmax = amsgrad ? state.max_exp_avg_sq.data() : nullptr;
  const std::size_t n = value.size();
  detail::with_flags(
      [&](auto kDecay, auto kScale, auto kAmsgrad) {
        for (std::size_t k = 0; k < n; ++k) {
          T wk = w[k];
          if constexpr (kScale) wk *= scale;
          T d = g[k];
          if constexpr (kDecay) d += wd * wk;
          const T mk = b1 * m[k] + one_minus_b1 * d;
          T vk = b2 * v[k] + one_minus_b2 * d * d;
          m[k] = mk;
          v[k] = vk;
          if constexpr (kAmsgrad) {
            vk = vmax[k] < vk ? vk : vmax[k];
            vmax[k] = vk;
          }
          w[k] = wk - step_size * mk / (std::sqrt(vk) * inv_bc2_sqrt + eps);
        }
      },
      l2 != 0, decoupled_scale != 1, amsgrad);
}

template <class T>
void Adam<T>::update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) {
  adam_update(i, w, g, options_.weight_decay, 1.0);
}

template <class T>
AdamW<T>::AdamW(std::vector<Tensor<T>> parameters, AdamOptions options)
    : Adam<T>(std::move(parameters), options, "AdamW") {}

template <class T>
void AdamW<T>::update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) {
  this->adam_update(i, w, g, 0.0, 1.0 - this->step_lr() * this->options_.weight_decay);
}

#define XG_INSTANTIATE(T)    \
  template class Adagrad<T>; \
  template class RMSprop<T>; \
  template class Adam<T>;    \
  template class AdamW<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
