// Learning-rate schedulers: call step() once per epoch (or per iteration, as you choose);
// each sets the optimizer's lr from the base lr it saw at construction. PyTorch's schedules, in
// closed form (after `epoch` steps):
//
//   StepLR:        lr = base * gamma^floor(epoch / step_size)
//   ExponentialLR: lr = base * gamma^epoch
//   InverseTimeLR: lr = base / (1 + decay * epoch)
//   CosineAnnealingLR:  lr = eta_min + (base - eta_min) (1 + cos(pi epoch / T_max)) / 2
//   CosineAnnealingWarmRestarts: the same within each cycle, with epoch counted from the
//                  cycle's start and T_max = T_i; cycles last T_0, T_0 T_mult, T_0 T_mult^2, ...
//   LinearLR:      lr = base * (start + (end - start) * min(epoch, total_iters) / total_iters)
//   OneCycleLR:    from max_lr / div_factor up to max_lr over the first pct_start of
//                  total_steps, then down to max_lr / (div_factor final_div_factor) (three_phase:
//                  back to max_lr / div_factor by 2 pct_start, then down), cos or linear
//
// LinearLR and OneCycleLR set the optimizer's lr to their epoch-0 value at construction (as
// PyTorch's constructors do); the others' epoch-0 value is the base lr itself.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

/// A scheduler's state: named numbers ("epoch", "base_lr"; ReduceLROnPlateau has its own).
using SchedulerState = std::map<std::string, double>;

template <class T>
class Scheduler {
 public:
  explicit Scheduler(Optimizer<T>& optimizer) : optimizer_(optimizer), base_lr_(optimizer.lr()) {}
  virtual ~Scheduler() = default;
  /// Advances one epoch and updates the optimizer's lr. An lr that set_lr() refuses (not
  /// finite as T), or an epoch past the schedule's end (OneCycleLR), throws and changes nothing.
  void step() {
    optimizer_.set_lr(lr_at(epoch_ + 1));
    ++epoch_;
  }
  std::size_t epoch() const { return epoch_; }
  double base_lr() const { return base_lr_; }
  virtual double lr_at(std::size_t epoch) const = 0;

  /// {"epoch", "base_lr"}: with the same constructor arguments, load_state_dict() of it makes
  /// a new scheduler continue the schedule exactly (the optimizer's lr is the optimizer's
  /// state: load that with the optimizer). xg::Error naming a missing or unexpected entry,
  /// DomainError for an epoch that is not a non-negative integer or a base_lr set_lr() would
  /// refuse; nothing changes then.
  SchedulerState state_dict() const;
  void load_state_dict(const SchedulerState& state);

 protected:
  /// For the constructors of schedules whose epoch-0 lr is not the base lr.
  void set_initial_lr() { optimizer_.set_lr(lr_at(0)); }

  Optimizer<T>& optimizer_;
  double base_lr_;
  std::size_t epoch_ = 0;
};

template <class T>
class StepLR : public Scheduler<T> {
 public:
  StepLR(Optimizer<T>& optimizer, std::size_t step_size, double gamma = 0.1);
  double lr_at(std::size_t epoch) const override;

 private:
  std::size_t step_size_;
  double gamma_;
};

template <class T>
class ExponentialLR : public Scheduler<T> {
 public:
  ExponentialLR(Optimizer<T>& optimizer, double gamma);
  double lr_at(std::size_t epoch) const override;

 private:
  double gamma_;
};

template <class T>
class InverseTimeLR : public Scheduler<T> {
 public:
  InverseTimeLR(Optimizer<T>& optimizer, double decay);
  double lr_at(std::size_t epoch) const override;

 private:
  double decay_;
};

/// DomainError for T_max = 0 or a negative eta_min. Past T_max the cosine rises again (as
/// PyTorch's).
template <class T>
class CosineAnnealingLR : public Scheduler<T> {
 public:
  CosineAnnealingLR(Optimizer<T>& optimizer, std::size_t T_max, double eta_min = 0);
  double lr_at(std::size_t epoch) const override;

 private:
  std::size_t t_max_;
  double eta_min_;
};

/// DomainError for T_0 = 0, T_mult = 0 or a negative eta_min.
template <class T>
class CosineAnnealingWarmRestarts : public Scheduler<T> {
 public:
  CosineAnnealingWarmRestarts(Optimizer<T>& optimizer, std::size_t T_0, std::size_t T_mult = 1,
                              double eta_min = 0);
  double lr_at(std::size_t epoch) const override;

 private:
  std::size_t t_0_, t_mult_;
  double eta_min_;
};

/// A linear warm-up (or decay) of the factor on the base lr. DomainError for factors outside
/// [0, 1] or total_iters = 0.
template <class T>
class LinearLR : public Scheduler<T> {
 public:
  LinearLR(Optimizer<T>& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
           std::size_t total_iters = 5);
  double lr_at(std::size_t epoch) const override;

 private:
  double start_factor_, end_factor_;
  std::size_t total_iters_;
};

enum class Anneal { cos, linear };

struct OneCycleOptions {
  double max_lr = 0;            ///< required (> 0)
  std::size_t total_steps = 0;  ///< required (> 0)
  double pct_start = 0.3;
  Anneal anneal_strategy = Anneal::cos;
  double div_factor = 25;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

/// PyTorch's OneCycleLR (lr only: xgrad's optimizers have no momentum to cycle). The base lr is
/// not used. DomainError for a max_lr or factor that is not positive, pct_start outside [0, 1],
/// or phases of zero length; step() past total_steps steps throws DomainError (as PyTorch).
template <class T>
class OneCycleLR : public Scheduler<T> {
 public:
  OneCycleLR(Optimizer<T>& optimizer, OneCycleOptions options);
  double lr_at(std::size_t epoch) const override;

 private:
  struct Phase {
    double end_step, start_lr, end_lr;
  };
  OneCycleOptions options_;
  std::vector<Phase> phases_;
};

}  // namespace xg::optim
