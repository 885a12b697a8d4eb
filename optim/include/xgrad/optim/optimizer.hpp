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

/// Named arrays that describe an optimizer's state: "lr", "step", "momentum_buffer.3", ...
template <class T>
using StateDict = std::map<std::string, xt::xarray<T>>;

template <class T>
class Optimizer {
 public:
  /// GraphError if a parameter does not require grad; DomainError for a negative lr.
  Optimizer(std::vector<Tensor<T>> parameters, double lr);
  virtual ~Optimizer() = default;

  /// One update of every parameter (under NoGradGuard, in place).
  virtual void step() = 0;
  /// Forgets the gradients of all parameters.
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  /// Number of step() calls so far.
  std::size_t iterations() const { return iterations_; }
  const std::vector<Tensor<T>>& parameters() const { return params_; }

  /// Everything needed to resume: hyper-parameters that change (lr), the step count and the
  /// per-parameter buffers.
  virtual StateDict<T> state_dict() const;
  /// Restores a state_dict(); ShapeError naming the entry if a buffer's shape differs.
  virtual void load_state_dict(const StateDict<T>& state);
  /// state_dict() as .npy files in `directory` (one per entry), and back.
  void save(const std::string& directory) const;
  void load(const std::string& directory);

 protected:
  std::vector<Tensor<T>> params_;
  double lr_;
  std::size_t iterations_ = 0;
  /// Per-parameter buffers by name ("exp_avg", "exp_avg_sq", "momentum_buffer", ...); a buffer
  /// is created (zeros) on first use. Serialised as "<name>.<index>".
  std::map<std::string, std::vector<xt::xarray<T>>> buffers_;
  xt::xarray<T>& buffer(const std::string& name, std::size_t index);
};

}  // namespace xg::optim
