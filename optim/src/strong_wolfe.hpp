// The strong-Wolfe line search of PyTorch's L-BFGS (torch/optim/lbfgs.py 1.13, _strong_wolfe
// and _cubic_interpolate, themselves ported from torch7's lswolfe.lua and polyinterp.lua).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>

#include <xtensor/xarray.hpp>

namespace xg::optim::detail {

/// The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
/// `bounds` (default: [min(x1, x2), max(x1, x2)]); the middle of the bounds if the cubic has no
/// real minimum.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds = std::nullopt);

template <class T>
struct LineSearchResult {
  double loss;
  xt::xarray<T> grad;
  double t;
  std::size_t evaluations;
};

/// Searches along `d` from the point where the loss is f, the gradient g and g.d = gtd, starting
/// at step t; `objective(t)` returns the loss and gradient at step t (x + t d).
template <class T>
LineSearchResult<T> strong_wolfe(
    const std::function<std::pair<double, xt::xarray<T>>(double)>& objective, double t,
    const xt::xarray<T>& d, double f, const xt::xarray<T>& g, double gtd, double c1 = 1e-4,
    double c2 = 0.9, double tolerance_change = 1e-9, std::size_t max_ls = 25);

/// sum(a * b), accumulated in double.
template <class T>
double dot(const xt::xarray<T>& a, const xt::xarray<T>& b);

/// max |a| (0 for an empty array).
template <class T>
double max_abs(const xt::xarray<T>& a);

}  // namespace xg::optim::detail
