// ReduceLROnPlateau, as PyTorch's: step(metric) once per epoch with a monitored value; when it
// has not improved for more than `patience` epochs, lr = max(lr * factor, min_lr) (skipped if
// that changes lr by eps or less), then `cooldown` epochs in which bad epochs are not counted.
//
// Improvement over the best value so far:
//   min, rel: metric < best (1 - threshold)     min, abs: metric < best - threshold
//   max, rel: metric > best (1 + threshold)     max, abs: metric > best + threshold
#pragma once

#include <cstddef>

#include "xgrad/optim/optimizer.hpp"
#include "xgrad/optim/scheduler.hpp"

namespace xg::optim {

enum class PlateauMode { min, max };
enum class ThresholdMode { rel, abs };

struct PlateauOptions {
  PlateauMode mode = PlateauMode::min;
  double factor = 0.1;
  std::size_t patience = 10;
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::rel;
  std::size_t cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;
};

template <class T>
class ReduceLROnPlateau {
 public:
  /// DomainError for factor outside [0, 1) or a negative threshold, min_lr or eps.
  ReduceLROnPlateau(Optimizer<T>& optimizer, PlateauOptions options = {});

  /// One epoch with the monitored value `metric`; DomainError for a NaN (nothing changes).
  void step(double metric);

  double best() const { return best_; }
  std::size_t num_bad_epochs() const { return num_bad_epochs_; }
  std::size_t cooldown_counter() const { return cooldown_counter_; }
  std::size_t epoch() const { return last_epoch_; }

  /// {"best", "num_bad_epochs", "cooldown_counter", "last_epoch"} (PyTorch's names); loaded
  /// into a scheduler built with the same options, it continues exactly. xg::Error for a missing
  /// or unexpected entry, DomainError for a count that is not a non-negative integer or a NaN
  /// best; nothing changes then.
  SchedulerState state_dict() const;
  void load_state_dict(const SchedulerState& state);

 private:
  bool is_better(double metric) const;

  Optimizer<T>& optimizer_;
  PlateauOptions options_;
  double best_;
  std::size_t num_bad_epochs_ = 0;
  std::size_t cooldown_counter_ = 0;
  std::size_t last_epoch_ = 0;
};

}  // namespace xg::optim
