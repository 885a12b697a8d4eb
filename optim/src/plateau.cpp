// ReduceLROnPlateau (plateau.hpp), following PyTorch's step() branch for branch.
#include "xgrad/optim/plateau.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "detail.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::optim {

namespace {

const char* const kEntries[] = {"best", "num_bad_epochs", "cooldown_counter", "last_epoch"};

template <class T>
const PlateauOptions& checked(const PlateauOptions& o) {
  detail::check_option<T>("ReduceLROnPlateau", "factor", o.factor, detail::Range::unit_open);
  detail::check_option<T>("ReduceLROnPlateau", "threshold", o.threshold);
  detail::check_option<T>("ReduceLROnPlateau", "min_lr", o.min_lr);
  detail::check_option<T>("ReduceLROnPlateau", "eps", o.eps);
  return o;
}

}  // namespace

template <class T>
ReduceLROnPlateau<T>::ReduceLROnPlateau(Optimizer<T>& optimizer, PlateauOptions options)
    : optimizer_(optimizer),
      options_(checked<T>(options)),
      best_(options.mode == PlateauMode::min ? std::numeric_limits<double>::infinity()
                                             : -std::numeric_limits<double>::infinity()) {}

template <class T>
bool ReduceLROnPlateau<T>::is_better(double a) const {
  const double th = options_.threshold;
  const bool rel = options_.threshold_mode == ThresholdMode::rel;
  if (options_.mode == PlateauMode::min) return rel ? a < best_ * (1. - th) : a < best_ - th;
  return rel ? a > best_ * (th + 1.) : a > best_ + th;
}

template <class T>
void ReduceLROnPlateau<T>::step(double metric) {
  if (std::isnan(metric)) {
    throw DomainError("ReduceLROnPlateau::step: the metric is NaN (epoch " +
                      std::to_string(last_epoch_ + 1) + ")");
  }
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    const double old_lr = optimizer_.lr();
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
    if (old_lr - new_lr > options_.eps) optimizer_.set_lr(new_lr);
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
}

template <class T>
SchedulerState ReduceLROnPlateau<T>::state_dict() const {
  return {{"best", best_},
          {"num_bad_epochs", static_cast<double>(num_bad_epochs_)},
          {"cooldown_counter", static_cast<double>(cooldown_counter_)},
          {"last_epoch", static_cast<double>(last_epoch_)}};
}

template <class T>
void ReduceLROnPlateau<T>::load_state_dict(const SchedulerState& state) {
  const std::string who = "ReduceLROnPlateau::load_state_dict";
  const std::string expected = " (expected best, num_bad_epochs, cooldown_counter, last_epoch)";
  for (const auto& [key, value] : state) {
    if (std::find(std::begin(kEntries), std::end(kEntries), key) == std::end(kEntries)) {
      throw Error(who + ": unexpected entry '" + key + "'" + expected);
    }
  }
  for (const char* key : kEntries) {
    if (!state.count(key)) throw Error(who + ": missing entry '" + key + "'" + expected);
  }
  auto count = [&](const char* key) {
    const double v = state.at(key);
    if (!(v >= 0) || std::floor(v) != v || v > 9.007199254740992e15) {
      throw DomainError(who + ": entry '" + key + "' = " + detail::number_str(v) +
                        " is not a non-negative integer");
    }
    return static_cast<std::size_t>(v);
  };
  const std::size_t bad = count("num_bad_epochs"), cooldown = count("cooldown_counter"),
                    epoch = count("last_epoch");
  if (std::isnan(state.at("best"))) throw DomainError(who + ": entry 'best' is NaN");
  best_ = state.at("best");
  num_bad_epochs_ = bad;
  cooldown_counter_ = cooldown;
  last_epoch_ = epoch;
}

#define XG_INSTANTIATE(T) template class ReduceLROnPlateau<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
