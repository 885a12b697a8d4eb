// Optimizer: updates a list of parameters from their accumulated gradients. Parameters whose
// gradient is undefined (not reached by backward) are skipped, as in PyTorch.
//
// A template method: the base class owns step() (no-grad guard, gradient checks, skipping
// parameters without a gradient, the step count) and the state dictionaries; an optimizer
// writes only update(), the arithmetic for one parameter, on a typed per-parameter state (see
// StatefulOptimizer below).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "xgrad/io/incompatible_keys.hpp"
#include "xgrad/tensor.hpp"

namespace xg::optim {

/// Named arrays that describe an optimizer's state: "lr" and "iterations" (0-d arrays) and one
/// entry "<buffer>.<parameter index>" per per-parameter buffer: "momentum_buffer.3", ...
template <class T>
using StateDict = std::map<std::string, xt::xarray<T>>;

template <class T>
class Optimizer {
 public:
  /// GraphError for an empty list, and naming the parameter's index if one is undefined, does
  /// not require grad, is not a leaf or appears twice; DomainError for an lr that is negative or
  /// not finite as T. `name` (the optimizer's, a string literal) starts the messages.
  Optimizer(std::vector<Tensor<T>> parameters, double lr, const char* name = "Optimizer");
  virtual ~Optimizer() = default;

  /// One update of every parameter, in place and under NoGradGuard: a ShapeError if any
  /// gradient's shape differs from its parameter's (then nothing changes), else update() for
  /// each parameter that has a gradient, in order; then iterations() grows by one.
  void step();
  /// Forgets the gradients of all parameters.
  void zero_grad();

  /// The learning rate. Updates use it rounded to T (so that a float state_dict restores it
  /// exactly).
  double lr() const { return lr_; }
  /// DomainError for an lr that is negative or not finite as T (schedulers set lr here).
  void set_lr(double lr);
  /// Number of step() calls so far.
  std::size_t iterations() const { return iterations_; }
  const std::vector<Tensor<T>>& parameters() const { return params_; }

  /// Everything needed to resume: hyper-parameters that change (lr), the step count and the
  /// per-parameter buffers.
  StateDict<T> state_dict() const;
  /// Restores a state_dict(), as PyTorch's load_state_dict. Entries: "lr" and "iterations"
  /// (required) and "<buffer>.<index>" for a buffer of this optimizer and an index below the
  /// number of parameters (optional). strict (the default): a missing or unexpected entry is an
  /// xg::Error naming each one. Not strict: what matches is loaded (a missing "lr" or
  /// "iterations" keeps the current value) and the rest is returned. Either way: ShapeError
  /// naming the entry and both shapes if a buffer's shape differs from its parameter's, and
  /// DomainError for an lr or step count out of range; nothing changes unless every entry fits.
  /// Buffers absent from `state` are reset (created again on the parameter's next update).
  IncompatibleKeys load_state_dict(const StateDict<T>& state, bool strict = true);
  /// state_dict() as .npy files in `directory` (one per entry; the directory is replaced as a
  /// whole, see xg::save_arrays), and back: load() reads every .npy file of the directory as
  /// load_state_dict does, naming the directory and files in its errors. Keep one optimizer per
  /// directory (not beside a model's parameters: the two saves would replace each other).
  void save(const std::string& directory) const;
  IncompatibleKeys load(const std::string& directory, bool strict = true);

 protected:
  /// Parameter i's update at this step: `w` is its value (updated in place), `g` its gradient
  /// (same shape, both contiguous). iterations() is the number of steps before this one.
  virtual void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) = 0;
  /// lr() rounded to T, the value updates use (so that a float state_dict restores it exactly).
  double step_lr() const { return static_cast<double>(static_cast<T>(lr_)); }
  /// Unless `buffer` already holds parameter i's state (has its shape), makes it an array of
  /// the parameter's shape filled with `fill`; true if it did (the parameter's first update, or
  /// the first after a load without this buffer).
  bool create_if_absent(xt::xarray<T>& buffer, std::size_t i, T fill = T(0)) const;
  /// A buffer that holds no state yet: shape (0,), which no created buffer of a parameter with
  /// a different shape can have.
  static xt::xarray<T> absent_buffer() { return xt::xarray<T>::from_shape({0}); }
  /// For an optimizer with its own step (L-BFGS): counts one step in iterations().
  void count_step() { ++iterations_; }

  // State that is not per parameter (L-BFGS's history), in the same state dictionaries. An
  // optimizer with such state overrides all four.
  /// Adds its entries to a state_dict().
  virtual void save_extra(StateDict<T>& /*state*/) const {}
  /// Whether `entry` is one of its entry names (load_state_dict takes such entries, optional).
  virtual bool is_extra(const std::string& /*entry*/) const { return false; }
  /// The names for load_state_dict's error message ("" when there are none).
  virtual std::string extra_summary() const { return {}; }
  /// Checks the entries of `state` that is_extra() takes, throwing as load_state_dict documents
  /// (`who` names the call and source in messages), and keeps them for commit_extra(), which
  /// load_state_dict calls once everything fits (and must not throw). Entries absent from
  /// `state` reset that state.
  virtual void check_extra(const StateDict<T>& /*state*/, const std::string& /*who*/) {}
  virtual void commit_extra() {}

 private:
  // The per-parameter buffers as state dictionaries see them (StatefulOptimizer implements
  // these): kinds 0 .. buffer_kinds() - 1, each with its state_dict name.
  virtual std::size_t buffer_kinds() const { return 0; }
  virtual const char* buffer_name(std::size_t kind) const;
  virtual const xt::xarray<T>& buffer(std::size_t kind, std::size_t i) const;
  virtual void set_buffer(std::size_t kind, std::size_t i, xt::xarray<T> value);

  /// Whether `buffer` holds parameter i's state.
  bool holds_state(const xt::xarray<T>& buffer, std::size_t i) const;
  /// The buffer kind named `name`, or buffer_kinds() if there is none.
  std::size_t find_kind(const std::string& name) const;
  /// The entries load_state_dict takes (see there).
  ExpectedKeys expected_keys() const;
  /// load_state_dict and load: `who` and `directory` (empty for an in-memory state) name the
  /// source in errors.
  IncompatibleKeys restore(const StateDict<T>& state, bool strict, const std::string& who,
                           const std::string& directory);

  std::vector<Tensor<T>> params_;
  double lr_;
  std::size_t iterations_ = 0;
  const char* name_;
};

/// An optimizer whose per-parameter state is a struct of arrays, `State` (state_[i] for
/// parameter i, indexed like parameters()). The constructor of a derived optimizer declares
/// each member it uses with its state_dict name; state dictionaries then save and restore them.
template <class T, class State>
class StatefulOptimizer : public Optimizer<T> {
 protected:
  StatefulOptimizer(std::vector<Tensor<T>> parameters, double lr, const char* name)
      : Optimizer<T>(std::move(parameters), lr, name), state_(this->parameters().size()) {}

  /// Saves member `field` of every parameter's state as "<name>.<index>" (it holds no state
  /// until create_if_absent() makes it).
  void declare_buffer(const char* name, xt::xarray<T> State::*field) {
    fields_.emplace_back(name, field);
    for (State& s : state_) s.*field = Optimizer<T>::absent_buffer();
  }

  std::vector<State> state_;

 private:
  std::size_t buffer_kinds() const override { return fields_.size(); }
  const char* buffer_name(std::size_t kind) const override { return fields_[kind].first; }
  const xt::xarray<T>& buffer(std::size_t kind, std::size_t i) const override {
    return state_[i].*fields_[kind].second;
  }
  void set_buffer(std::size_t kind, std::size_t i, xt::xarray<T> value) override {
    state_[i].*fields_[kind].second = std::move(value);
  }

  std::vector<std::pair<const char*, xt::xarray<T> State::*>> fields_;
};

}  // namespace xg::optim
