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
#include "xgrad/grad_mode.hpp"

namespace xg::optim {

namespace {

constexpr const char* kSum = "sum";
constexpr const char* kSquareAvg = "square_avg";
constexpr const char* kGradAvg = "grad_avg";
constexpr const char* kMomentum = "momentum_buffer";
constexpr const char* kExpAvg = "exp_avg";
constexpr const char* kExpAvgSq = "exp_avg_sq";
constexpr const char* kMaxExpAvgSq = "max_exp_avg_sq";

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
    : Optimizer<T>(std::move(parameters), checked<T>(options).lr, "Adagrad"), options_(options) {
  this->declare_buffer(kSum);
}

template <class T>
void Adagrad<T>::step() {
  NoGradGuard no_grad;
  detail::check_gradients("Adagrad", this->params_);
  const double t = static_cast<double>(this->iterations_ + 1);
  const T clr =
      static_cast<T>(detail::rounded<T>(this->lr_) / (1.0 + (t - 1.0) * options_.lr_decay));
  const T wd = static_cast<T>(options_.weight_decay);
  const T eps = static_cast<T>(options_.eps);
  const bool use_wd = options_.weight_decay != 0;

  for (std::size_t i = 0; i < this->params_.size(); ++i) {
    Tensor<T>& p = this->params_[i];
    if (!p.has_grad()) continue;
    const bool first = !this->has_buffer(kSum, i);
    xt::xarray<T>& sum = this->buffer(kSum, i);
    if (first) {
      std::fill(sum.data(), sum.data() + sum.size(),
                static_cast<T>(options_.initial_accumulator_value));
    }
    const T* g = p.grad().value().data();
    xt::xarray<T>& value = p.mutable_value();
    T* w = value.data();
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
        use_wd);
  }
  ++this->iterations_;
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
    : Optimizer<T>(std::move(parameters), checked<T>(options).lr, "RMSprop"), options_(options) {
  this->declare_buffer(kSquareAvg);
  if (options.centered) this->declare_buffer(kGradAvg);
  if (options.momentum > 0) this->declare_buffer(kMomentum);
}

template <class T>
void RMSprop<T>::step() {
  NoGradGuard no_grad;
  detail::check_gradients("RMSprop", this->params_);
  const T lr = static_cast<T>(detail::rounded<T>(this->lr_));
  const T alpha = static_cast<T>(options_.alpha);
  const T one_minus_alpha = static_cast<T>(1.0 - options_.alpha);
  const T eps = static_cast<T>(options_.eps);
  const T wd = static_cast<T>(options_.weight_decay);
  const T mu = static_cast<T>(options_.momentum);
  const bool use_wd = options_.weight_decay != 0;
  const bool centered = options_.centered;
  const bool use_momentum = options_.momentum > 0;

  for (std::size_t i = 0; i < this->params_.size(); ++i) {
    Tensor<T>& p = this->params_[i];
    if (!p.has_grad()) continue;
    const T* g = p.grad().value().data();
    xt::xarray<T>& value = p.mutable_value();
    T* w = value.data();
    T* v = this->buffer(kSquareAvg, i).data();
    T* m = centered ? this->buffer(kGradAvg, i).data() : nullptr;
    T* b = use_momentum ? this->buffer(kMomentum, i).data() : nullptr;
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
        use_wd, centered, use_momentum);
  }
  ++this->iterations_;
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
    : Optimizer<T>(std::move(parameters), checked<T>(options, name).lr, name), options_(options) {
  this->declare_buffer(kExpAvg);
  this->declare_buffer(kExpAvgSq);
  if (options.amsgrad) this->declare_buffer(kMaxExpAvgSq);
}

template <class T>
void Adam<T>::adam_update(std::size_t i, xt::xarray<T>& value, const xt::xarray<T>& grad, double l2,
                          double decoupled_scale) {
  const double t = static_cast<double>(this->iterations_ + 1);
  const double bias_correction1 = 1.0 - std::pow(options_.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(options_.beta2, t);
  const T step_size = static_cast<T>(detail::rounded<T>(this->lr_) / bias_correction1);
  const T inv_bc2_sqrt = static_cast<T>(1.0 / std::sqrt(bias_correction2));
  const T b1 = static_cast<T>(options_.beta1), one_minus_b1 = static_cast<T>(1.0 - options_.beta1);
  const T b2 = static_cast<T>(options_.beta2), one_minus_b2 = static_cast<T>(1.0 - options_.beta2);
  const T eps = static_cast<T>(options_.eps);
  const T wd = static_cast<T>(l2), scale = static_cast<T>(decoupled_scale);
  const bool amsgrad = options_.amsgrad;
  T* w = value.data();
  const T* g = grad.data();
  T* m = this->buffer(kExpAvg, i).data();
  T* v = this->buffer(kExpAvgSq, i).data();
  T* vmax = amsgrad ? this->buffer(kMaxExpAvgSq, i).data() : nullptr;
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
void Adam<T>::step() {
  NoGradGuard no_grad;
  detail::check_gradients("Adam", this->params_);
  for (std::size_t i = 0; i < this->params_.size(); ++i) {
    Tensor<T>& p = this->params_[i];
    if (!p.has_grad()) continue;
    adam_update(i, p.mutable_value(), p.grad().value(), options_.weight_decay, 1.0);
  }
  ++this->iterations_;
}

template <class T>
AdamW<T>::AdamW(std::vector<Tensor<T>> parameters, AdamOptions options)
    : Adam<T>(std::move(parameters), options, "AdamW") {}

template <class T>
void AdamW<T>::step() {
  NoGradGuard no_grad;
  detail::check_gradients("AdamW", this->params_);
  const double scale = 1.0 - detail::rounded<T>(this->lr_) * this->options_.weight_decay;
  for (std::size_t i = 0; i < this->params_.size(); ++i) {
    Tensor<T>& p = this->params_[i];
    if (!p.has_grad()) continue;
    this->adam_update(i, p.mutable_value(), p.grad().value(), 0.0, scale);
  }
  ++this->iterations_;
}

#define XG_INSTANTIATE(T)    \
  template class Adagrad<T>; \
  template class RMSprop<T>; \
  template class Adam<T>;    \
  template class AdamW<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
