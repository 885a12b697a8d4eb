// Learning-rate schedules (formulas in scheduler.hpp).
#include "xgrad/optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "detail.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::optim {

namespace {

void require_at_least_one(const char* who, const char* name, std::size_t value) {
  if (value == 0) throw DomainError(std::string(who) + ": " + name + " must be at least 1, got 0");
}

}  // namespace

template <class T>
SchedulerState Scheduler<T>::state_dict() const {
  return {{"epoch", static_cast<double>(epoch_)}, {"base_lr", base_lr_}};
}

template <class T>
void Scheduler<T>::load_state_dict(const SchedulerState& state) {
  const char* who = "Scheduler::load_state_dict";
  for (const auto& [key, value] : state) {
    if (key != "epoch" && key != "base_lr") {
      throw Error(std::string(who) + ": unexpected entry '" + key + "' (expected epoch, base_lr)");
    }
  }
  for (const char* key : {"epoch", "base_lr"}) {
    if (!state.count(key)) {
      throw Error(std::string(who) + ": missing entry '" + key + "' (expected epoch, base_lr)");
    }
  }
  const double epoch = state.at("epoch");
  if (!(epoch >= 0) || std::floor(epoch) != epoch || epoch > 9.007199254740992e15) {
    throw DomainError(std::string(who) + ": entry 'epoch' = " + detail::number_str(epoch) +
                      " is not a non-negative integer");
  }
  detail::check_option<T>(who, "entry 'base_lr'", state.at("base_lr"));
  epoch_ = static_cast<std::size_t>(epoch);
  base_lr_ = state.at("base_lr");
}

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

namespace {
/// eta_min + (top - eta_min) (1 + cos(pi cur / len)) / 2.
double cosine(double top, double eta_min, double cur, double len) {
  return eta_min + (top - eta_min) * (1 + std::cos(std::numbers::pi * cur / len)) / 2;
}
}  // namespace

template <class T>
CosineAnnealingLR<T>::CosineAnnealingLR(Optimizer<T>& optimizer, std::size_t T_max, double eta_min)
    : Scheduler<T>(optimizer), t_max_(T_max), eta_min_(eta_min) {
  require_at_least_one("CosineAnnealingLR", "T_max", T_max);
  detail::check_option<T>("CosineAnnealingLR", "eta_min", eta_min);
}

template <class T>
double CosineAnnealingLR<T>::lr_at(std::size_t epoch) const {
  return cosine(this->base_lr_, eta_min_, static_cast<double>(epoch), static_cast<double>(t_max_));
}

template <class T>
CosineAnnealingWarmRestarts<T>::CosineAnnealingWarmRestarts(Optimizer<T>& optimizer,
                                                            std::size_t T_0, std::size_t T_mult,
                                                            double eta_min)
    : Scheduler<T>(optimizer), t_0_(T_0), t_mult_(T_mult), eta_min_(eta_min) {
  require_at_least_one("CosineAnnealingWarmRestarts", "T_0", T_0);
  require_at_least_one("CosineAnnealingWarmRestarts", "T_mult", T_mult);
  detail::check_option<T>("CosineAnnealingWarmRestarts", "eta_min", eta_min);
}

template <class T>
double CosineAnnealingWarmRestarts<T>::lr_at(std::size_t epoch) const {
  std::size_t cur = epoch, cycle = t_0_;
  if (t_mult_ == 1) {
    cur = epoch % t_0_;
  } else {
    while (cur >= cycle) {  // cycles grow geometrically: a few dozen rounds at most
      cur -= cycle;
      cycle *= t_mult_;
    }
  }
  return cosine(this->base_lr_, eta_min_, static_cast<double>(cur), static_cast<double>(cycle));
}

template <class T>
LinearLR<T>::LinearLR(Optimizer<T>& optimizer, double start_factor, double end_factor,
                      std::size_t total_iters)
    : Scheduler<T>(optimizer),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  detail::check_option<T>("LinearLR", "start_factor", start_factor, detail::Range::unit_closed);
  detail::check_option<T>("LinearLR", "end_factor", end_factor, detail::Range::unit_closed);
  require_at_least_one("LinearLR", "total_iters", total_iters);
  this->set_initial_lr();
}

template <class T>
double LinearLR<T>::lr_at(std::size_t epoch) const {
  const double done = static_cast<double>(std::min(epoch, total_iters_));
  return this->base_lr_ *
         (start_factor_ + (end_factor_ - start_factor_) * done / static_cast<double>(total_iters_));
}

template <class T>
OneCycleLR<T>::OneCycleLR(Optimizer<T>& optimizer, OneCycleOptions options)
    : Scheduler<T>(optimizer), options_(options) {
  const char* who = "OneCycleLR";
  detail::check_option<T>(who, "max_lr", options.max_lr, detail::Range::positive);
  require_at_least_one(who, "total_steps", options.total_steps);
  detail::check_option<T>(who, "pct_start", options.pct_start, detail::Range::unit_closed);
  detail::check_option<T>(who, "div_factor", options.div_factor, detail::Range::positive);
  detail::check_option<T>(who, "final_div_factor", options.final_div_factor,
                          detail::Range::positive);
  const double total = static_cast<double>(options.total_steps);
  const double initial = options.max_lr / options.div_factor;
  const double min_lr = initial / options.final_div_factor;
  const double warm_end = options.pct_start * total - 1;
  if (options.three_phase) {
    phases_ = {{warm_end, initial, options.max_lr},
               {2 * options.pct_start * total - 2, options.max_lr, initial},
               {total - 1, initial, min_lr}};
  } else {
    phases_ = {{warm_end, initial, options.max_lr}, {total - 1, options.max_lr, min_lr}};
  }
  double start = 0;
  for (const Phase& phase : phases_) {
    if (!(phase.end_step > start)) {
      throw DomainError(std::string(who) +
                        ": with total_steps = " + std::to_string(options.total_steps) +
                        " and pct_start = " + detail::number_str(options.pct_start) +
                        " a phase of the cycle has no steps (it would divide by zero)");
    }
    start = phase.end_step;
  }
  this->set_initial_lr();
}

template <class T>
double OneCycleLR<T>::lr_at(std::size_t epoch) const {
  if (epoch > options_.total_steps) {
    throw DomainError("OneCycleLR: tried to step " + std::to_string(epoch + 1) +
                      " times; total_steps is " + std::to_string(options_.total_steps));
  }
  const double step = static_cast<double>(epoch);
  double start = 0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const Phase& phase = phases_[i];
    if (step <= phase.end_step || i + 1 == phases_.size()) {
      const double pct = (step - start) / (phase.end_step - start);
      if (options_.anneal_strategy == Anneal::cos) {
        return phase.end_lr +
               (phase.start_lr - phase.end_lr) / 2.0 * (std::cos(std::numbers::pi * pct) + 1);
      }
      return (phase.end_lr - phase.start_lr) * pct + phase.start_lr;
    }
    start = phase.end_step;
  }
  return phases_.back().end_lr;  // not reached: the last phase takes every step
}

#define XG_INSTANTIATE(T)                        \
  template class Scheduler<T>;                   \
  template class StepLR<T>;                      \
  template class ExponentialLR<T>;               \
  template class InverseTimeLR<T>;               \
  template class CosineAnnealingLR<T>;           \
  template class CosineAnnealingWarmRestarts<T>; \
  template class LinearLR<T>;                    \
  template class OneCycleLR<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
