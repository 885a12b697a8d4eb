// Learning-rate schedulers: call step() once per epoch (or per iteration, as you choose);
// each sets the optimizer's lr from the base lr it saw at construction.
//
//   StepLR:        lr = base * gamma^floor(epoch / step_size)
//   ExponentialLR: lr = base * gamma^epoch
//   InverseTimeLR: lr = base / (1 + decay * epoch)
#pragma once

#include <cstddef>

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

template <class T>
class Scheduler {
 public:
  explicit Scheduler(Optimizer<T>& optimizer) : optimizer_(optimizer), base_lr_(optimizer.lr()) {}
  virtual ~Scheduler() = default;
  /// Advances one epoch and updates the optimizer's lr. An lr that set_lr() refuses (not
  /// finite as T) throws its DomainError and changes nothing.
  void step() {
    optimizer_.set_lr(lr_at(epoch_ + 1));
    ++epoch_;
  }
  std::size_t epoch() const { return epoch_; }
  double base_lr() const { return base_lr_; }
  virtual double lr_at(std::size_t epoch) const = 0;

 protected:
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

}  // namespace xg::optim
