// Learning-rate schedules (formulas in scheduler.hpp).
#include "xgrad/optim/scheduler.hpp"

#include <cmath>
#include <string>

#include "detail.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::optim {

template <class T>
StepLR<T>::StepLR(Optimizer<T>& optimizer, std::size_t step_size, double gamma)
    : Scheduler<T>(optimizer), step_size_(step_size), gamma_(gamma) {
  if (step_size == 0) throw DomainError("StepLR: step_size must be at least 1");
  detail::check_option<T>("StepLR", "gamma", gamma, detail::Range::positive);
}

template <class T>
double StepLR<T>::lr_at(std::size_t epoch) const {
  return this->base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

template <class T>
ExponentialLR<T>::ExponentialLR(Optimizer<T>& optimizer, double gamma)
    : Scheduler<T>(optimizer), gamma_(gamma) {
  detail::check_option<T>("ExponentialLR", "gamma", gamma, detail::Range::positive);
}

template <class T>
double ExponentialLR<T>::lr_at(std::size_t epoch) const {
  return this->base_lr_ * std::pow(gamma_, static_cast<double>(epoch));
}

template <class T>
InverseTimeLR<T>::InverseTimeLR(Optimizer<T>& optimizer, double decay)
    : Scheduler<T>(optimizer), decay_(decay) {
  detail::check_option<T>("InverseTimeLR", "decay", decay);
}

template <class T>
double InverseTimeLR<T>::lr_at(std::size_t epoch) const {
  return this->base_lr_ / (1.0 + decay_ * static_cast<double>(epoch));
}

#define XG_INSTANTIATE(T)          \
  template class StepLR<T>;        \
  template class ExponentialLR<T>; \
  template class InverseTimeLR<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
