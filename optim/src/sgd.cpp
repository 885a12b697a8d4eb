// SGD with momentum, Nesterov momentum, weight decay and Keras' inverse-time decay (sgd.hpp).
#include "xgrad/optim/sgd.hpp"

#include <string>
#include <utility>

#include "detail.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"

namespace xg::optim {

namespace {
constexpr const char* kMomentum = "momentum_buffer";
}

namespace {
/// The options besides lr, which the Optimizer constructor checks.
template <class T>
const SGDOptions& checked(const SGDOptions& options) {
  detail::check_option<T>("SGD", "momentum", options.momentum);
  detail::check_option<T>("SGD", "dampening", options.dampening);
  detail::check_option<T>("SGD", "weight_decay", options.weight_decay);
  detail::check_option<T>("SGD", "decay", options.decay);
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0)) {
    throw DomainError("SGD: nesterov requires momentum > 0 and dampening = 0, got momentum = " +
                      detail::number_str(options.momentum) +
                      ", dampening = " + detail::number_str(options.dampening));
  }
  return options;
}
}  // namespace

template <class T>
SGD<T>::SGD(std::vector<Tensor<T>> parameters, SGDOptions options)
    : Optimizer<T>(std::move(parameters), checked<T>(options).lr, "SGD"), options_(options) {
  if (options.momentum != 0) this->declare_buffer(kMomentum);
}

template <class T>
void SGD<T>::step() {
  NoGradGuard no_grad;
  detail::check_gradients("SGD", this->params_);
  const double t = static_cast<double>(this->iterations_);
  const T lr = static_cast<T>(detail::rounded<T>(this->lr_) / (1.0 + options_.decay * t));
  const T wd = static_cast<T>(options_.weight_decay);
  const T mu = static_cast<T>(options_.momentum);
  const T keep = static_cast<T>(1.0 - options_.dampening);
  const bool use_wd = options_.weight_decay != 0;
  const bool nesterov = options_.nesterov;

  for (std::size_t i = 0; i < this->params_.size(); ++i) {
    Tensor<T>& p = this->params_[i];
    if (!p.has_grad()) continue;
    const xt::xarray<T>& grad = p.grad().value();
    xt::xarray<T>& value = p.mutable_value();
    T* w = value.data();
    const T* g = grad.data();
    const std::size_t n = value.size();
    if (options_.momentum == 0) {
      detail::with_flags(
          [&](auto kDecay) {
            for (std::size_t k = 0; k < n; ++k) {
              T d = g[k];
              if constexpr (kDecay) d += wd * w[k];
              w[k] -= lr * d;
            }
          },
          use_wd);
      continue;
    }
    const bool first = !this->has_buffer(kMomentum, i);
    T* v = this->buffer(kMomentum, i).data();
    detail::with_flags(
        [&](auto kDecay, auto kFirst, auto kNesterov) {
          for (std::size_t k = 0; k < n; ++k) {
            T d = g[k];
            if constexpr (kDecay) d += wd * w[k];
            T vk;
            if constexpr (kFirst) {
              vk = d;
            } else {
              vk = mu * v[k] + keep * d;
            }
            v[k] = vk;
            if constexpr (kNesterov) {
              d += mu * vk;
            } else {
              d = vk;
            }
            w[k] -= lr * d;
          }
        },
        use_wd, first, nesterov);
  }
  ++this->iterations_;
}

#define XG_INSTANTIATE(T) template class SGD<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
