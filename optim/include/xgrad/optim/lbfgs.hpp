// L-BFGS, PyTorch's torch.optim.LBFGS (1.13): all parameters as one flat vector x, at most
// max_iter iterations per step(closure), each
//
//   d = -H g      (two-loop recursion over the last history_size pairs s = t d, y = g - g_prev,
//                  a pair kept only if y.s > 1e-10; H's initial scale y.s / y.y; the first
//                  iteration ever: d = -g)
//   t = lr        (the first iteration ever: min(1, 1 / |g|_1) lr)
//   stop if g.d > -tolerance_change
//   strong Wolfe: t from the line search (c1 = 1e-4, c2 = 0.9, at most 25 evaluations),
//   none:         a fixed step t; the closure is evaluated at the new point unless this was
//                 the last iteration
//   x += t d
//
// and a step stops early when max|g| <= tolerance_grad, after max_eval closure calls, or when
// max|t d| <= tolerance_change or |loss - previous loss| < tolerance_change. The history, the
// last direction and step length, and the counts persist between steps (as PyTorch's state).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

enum class LineSearch {
  none,          ///< a fixed step of lr
  strong_wolfe,  ///< PyTorch's "strong_wolfe" (bracketing, then cubic-interpolation zoom)
};

struct LBFGSOptions {
  double lr = 1;
  std::size_t max_iter = 20;
  /// Closure calls per step; unset: max_iter * 5 / 4, as PyTorch.
  std::optional<std::size_t> max_eval = std::nullopt;
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  std::size_t history_size = 100;
  LineSearch line_search = LineSearch::none;
};

template <class T>
class LBFGS : public Optimizer<T> {
 public:
  /// Re-evaluates the model: zeroes the gradients, computes the loss, calls backward() and
  /// returns the loss (a tensor of one element). step() calls it with grad mode on.
  using Closure = std::function<Tensor<T>()>;

  /// DomainError for max_iter, max_eval or history_size of 0 and negative tolerances.
  LBFGS(std::vector<Tensor<T>> parameters, LBFGSOptions options = {});

  /// Up to max_iter L-BFGS iterations (see above), under NoGradGuard except inside the
  /// closure; returns the loss the first closure call gave. Each write of the parameters (one
  /// per iteration, and two per line-search evaluation: there and back) bumps their version().
  /// A parameter without a gradient counts as a zero gradient. ShapeError if a gradient's shape
  /// differs from its parameter's, or the closure's loss has more than one element.
  double step(const Closure& closure);

  /// Closure calls and iterations over all steps (PyTorch's state "func_evals", "n_iter").
  std::size_t func_evals() const { return history_.func_evals; }
  std::size_t n_iter() const { return history_.n_iter; }
  const LBFGSOptions& options() const { return options_; }

 protected:
  /// L-BFGS has no per-parameter update: Optimizer::step() throws an xg::Error that says to
  /// call step(closure).
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override;

 private:
  using Flat = xt::xarray<T>;

  // State dictionary entries besides lr and iterations (PyTorch's names): "func_evals" and
  // "n_iter" (0-d), and once a step has computed a direction "d", "prev_flat_grad" (n), "t",
  // "H_diag", "prev_loss" (0-d), "old_dirs", "old_stps" (k x n) and "ro" (k).
  void save_extra(StateDict<T>& state) const override;
  bool is_extra(const std::string& entry) const override;
  std::string extra_summary() const override;
  void check_extra(const StateDict<T>& state, const std::string& who) override;
  void commit_extra() override;

  /// Calls the closure with grad mode on; its loss as a double.
  double evaluate(const Closure& closure) const;
  /// The gradients of all parameters, concatenated (zeros for a parameter without one).
  Flat gather_flat_grad() const;
  /// x += step * direction, parameter by parameter.
  void add_to_parameters(double step, const Flat& direction);
  /// Loss and gradient at x + t d; the parameters return to x.
  std::pair<double, Flat> directional_evaluate(const Closure& closure, double t, const Flat& d);

  /// Everything that persists between steps (PyTorch's state).
  struct History {
    std::size_t func_evals = 0;
    std::size_t n_iter = 0;
    bool has_direction = false;  ///< d and the rest below hold a step's results
    Flat d, prev_flat_grad;
    double t = 0, h_diag = 1, prev_loss = 0;
    std::deque<Flat> old_dirs, old_stps;
    std::deque<double> ro;
  };

  LBFGSOptions options_;
  std::size_t max_eval_;
  std::size_t numel_ = 0;
  History history_;
  History pending_;  ///< what check_extra() accepted, for commit_extra()
};

}  // namespace xg::optim
