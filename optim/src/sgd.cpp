// SGD with momentum, Nesterov momentum, weight decay and Keras' inverse-time decay (sgd.hpp).
#include "xgrad/optim/sgd.hpp"

#include <string>
#include <utility>

#include "detail.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::optim {

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
    : StatefulOptimizer<T, SGDState<T>>(std::move(parameters), checked<T>(options).lr, "SGD"),
      options_(options) {
  if (options.momentum != 0) this->declare_buffer("momentum_buffer", &SGDState<T>::momentum_buffer);
}

template <class T>
void SGD<T>::update(std::size_t i, xt::xarray<T>& value, const xt::xarray<T>& grad) {
  const double t = static_cast<double>(this->iterations());
  const T lr = static_cast<T>(this->step_lr() / (1.0 + options_.decay * t));
  const T wd = static_cast<T>(options_.weight_decay);
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
        options_.weight_decay != 0);
    return;
  }
  const T mu = static_cast<T>(options_.momentum);
  const T keep = static_cast<T>(1.0 - options_.dampening);
  xt::xarray<T>& momentum_buffer = this->state_[i].momentum_buffer;
  const bool first = this->create_if_absent(momentum_buffer, i);
  T* v = momentum_buffer.data();
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
      options_.weight_decay != 0, first, options_.nesterov);
}

#define XG_INSTANTIATE(T) template class SGD<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
