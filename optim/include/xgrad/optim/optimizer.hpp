// Optimizer: updates a list of parameters from their accumulated gradients. Parameters whose
// gradient is undefined (not reached by backward) are skipped, as in PyTorch.
#pragma once

#include <cstddef>
#include <map>
#include <string>
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
  /// not finite as T. `name` (the optimizer's) starts the messages.
  Optimizer(std::vector<Tensor<T>> parameters, double lr, const char* name = "Optimizer");
  virtual ~Optimizer() = default;

  /// One update of every parameter (under NoGradGuard, in place).
  virtual void step() = 0;
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
  virtual StateDict<T> state_dict() const;
  /// Restores a state_dict(), as PyTorch's load_state_dict. Entries: "lr" and "iterations"
  /// (required) and "<buffer>.<index>" for a buffer of this optimizer and an index below the
  /// number of parameters (optional). strict (the default): a missing or unexpected entry is an
  /// xg::Error naming each one. Not strict: what matches is loaded (a missing "lr" or
  /// "iterations" keeps the current value) and the rest is returned. Either way: ShapeError
  /// naming the entry and both shapes if a buffer's shape differs from its parameter's, and
  /// DomainError for an lr or step count out of range; nothing changes unless every entry fits.
  /// Buffers absent from `state` are reset (created again on the parameter's next update).
  virtual IncompatibleKeys load_state_dict(const StateDict<T>& state, bool strict = true);
  /// state_dict() as .npy files in `directory` (one per entry; the directory is replaced as a
  /// whole, see xg::save_arrays), and back: load() reads every .npy file of the directory as
  /// load_state_dict does, naming the directory and files in its errors. Keep one optimizer per
  /// directory (not beside a model's parameters: the two saves would replace each other).
  void save(const std::string& directory) const;
  IncompatibleKeys load(const std::string& directory, bool strict = true);

 protected:
  std::vector<Tensor<T>> params_;
  double lr_;
  std::size_t iterations_ = 0;
  /// Per-parameter buffers by name ("exp_avg", "exp_avg_sq", "momentum_buffer", ...); a buffer
  /// is created (zeros of the parameter's shape) on first use. Serialised as "<name>.<index>".
  /// An entry not created yet holds an empty 1-D array.
  std::map<std::string, std::vector<xt::xarray<T>>> buffers_;
  /// Parameter `index`'s buffer `name`, created as zeros on first use.
  xt::xarray<T>& buffer(const std::string& name, std::size_t index);
  /// Whether buffer `name` of parameter `index` exists (has been created or loaded).
  bool has_buffer(const std::string& name, std::size_t index) const;
  /// Registers a buffer name so that load_state_dict() accepts its entries before the first
  /// step (subclasses call it in their constructor for every buffer they use).
  void declare_buffer(const std::string& name);

 private:
  /// The entries load_state_dict takes (see there).
  ExpectedKeys expected_keys() const;
  /// load_state_dict and load: `who` and `directory` (empty for an in-memory state) name the
  /// source in errors.
  IncompatibleKeys restore(const StateDict<T>& state, bool strict, const std::string& who,
                           const std::string& directory);
};

}  // namespace xg::optim
