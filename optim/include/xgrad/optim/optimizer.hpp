// Optimizer: updates a list of parameters from their accumulated gradients. Parameters whose
// gradient is undefined (not reached by backward) are skipped, as in PyTorch.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

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
  /// Restores a state_dict(). Error naming the entry if "lr" or "iterations" is missing or a
  /// name is not one of this optimizer's buffers; ShapeError naming the entry and both shapes
  /// if a buffer's shape differs from its parameter's. Nothing changes unless every entry fits.
  /// Buffers absent from `state` are reset (created again on the parameter's next update).
  virtual void load_state_dict(const StateDict<T>& state);
  /// state_dict() as .npy files in `directory` (one per entry), and back: load() reads every
  /// .npy file of the directory, so keep one optimizer per directory (not beside a model's
  /// parameters).
  void save(const std::string& directory) const;
  void load(const std::string& directory);

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
};

}  // namespace xg::optim
