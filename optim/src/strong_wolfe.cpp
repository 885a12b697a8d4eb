// PyTorch's strong-Wolfe line search (strong_wolfe.hpp), step for step: the same branches in
// the same order, so that the iterates match PyTorch's to rounding.
#include "strong_wolfe.hpp"

#include <algorithm>
#include <cmath>

#include "xgrad/detail/instantiate.hpp"

namespace xg::optim::detail {

template <class T>
double dot(const xt::xarray<T>& a, const xt::xarray<T>& b) {
  double s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    s += static_cast<double>(a.data()[k]) * static_cast<double>(b.data()[k]);
  }
  return s;
}

template <class T>
double max_abs(const xt::xarray<T>& a) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(double(a.data()[k])));
  return m;
}

double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds) {
  const auto [xmin_bound, xmax_bound] =
      bounds ? *bounds : (x1 <= x2 ? std::pair{x1, x2} : std::pair{x2, x1});
  // The most common case: a cubic through two points with both slopes, x2 the farther one.
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square >= 0) {
    const double d2 = std::sqrt(d2_square);
    const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return std::min(std::max(min_pos, xmin_bound), xmax_bound);
  }
  return (xmin_bound + xmax_bound) / 2.;
}

template <class T>
LineSearchResult<T> strong_wolfe(
    const std::function<std::pair<double, xt::xarray<T>>(double)>& objective, double t,
    const xt::xarray<T>& d, double f, const xt::xarray<T>& g, double gtd, double c1, double c2,
    double tolerance_change, std::size_t max_ls) {
  const double d_norm = max_abs(d);
  auto [f_new, g_new] = objective(t);
  std::size_t ls_func_evals = 1;
  double gtd_new = dot(g_new, d);

  // Bracket an interval containing a point that satisfies the Wolfe conditions.
  double t_prev = 0, f_prev = f, gtd_prev = gtd;
  xt::xarray<T> g_prev = g;
  bool done = false;
  std::size_t ls_iter = 0;
  std::vector<double> bracket, bracket_f, bracket_gtd;
  std::vector<xt::xarray<T>> bracket_g;
  while (ls_iter < max_ls) {
    if (f_new > (f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
      bracket = {t_prev, t};
      bracket_f = {f_prev, f_new};
      bracket_g = {g_prev, g_new};
      bracket_gtd = {gtd_prev, gtd_new};
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket = {t};
      bracket_f = {f_new};
      bracket_g = {g_new};
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket = {t_prev, t};
      bracket_f = {f_prev, f_new};
      bracket_g = {g_prev, g_new};
      bracket_gtd = {gtd_prev, gtd_new};
      break;
    }
    // Extrapolate.
    const double min_step = t + 0.01 * (t - t_prev);
    const double max_step = t * 10;
    const double tmp = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                          std::pair{min_step, max_step});
    t_prev = tmp;
    f_prev = f_new;
    g_prev = g_new;
    gtd_prev = gtd_new;
    std::tie(f_new, g_new) = objective(t);
    ++ls_func_evals;
    gtd_new = dot(g_new, d);
    ++ls_iter;
  }
  if (ls_iter == max_ls) {
    bracket = {0, t};
    bracket_f = {f, f_new};
    bracket_g = {g, g_new};
  }

  // Zoom: shrink the bracket until a point satisfies the conditions.
  bool insuf_progress = false;
  std::size_t low_pos = bracket_f.front() <= bracket_f.back() ? 0 : 1;
  std::size_t high_pos = 1 - low_pos;
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                          bracket_gtd[1]);
    // Too close to a boundary (or twice in a row near one): move 0.1 of the bracket inside.
    const double hi = std::max(bracket[0], bracket[1]), lo = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (hi - lo);
    if (std::min(hi - t, t - lo) < eps) {
      if (insuf_progress || t >= hi || t <= lo) {
        t = std::abs(t - hi) < std::abs(t - lo) ? hi - eps : lo + eps;
        insuf_progress = false;
      } else {
        insuf_progress = true;
      }
    } else {
      insuf_progress = false;
    }
    std::tie(f_new, g_new) = objective(t);
    ++ls_func_evals;
    gtd_new = dot(g_new, d);
    ++ls_iter;

    if (f_new > (f + c1 * t * gtd) || f_new >= bracket_f[low_pos]) {
      // Armijo condition not satisfied, or not below the lowest point.
      bracket[high_pos] = t;
      bracket_f[high_pos] = f_new;
      bracket_g[high_pos] = g_new;
      bracket_gtd[high_pos] = gtd_new;
      low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1;
      high_pos = 1 - low_pos;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0) {
        // The old high becomes the new low.
        bracket[high_pos] = bracket[low_pos];
        bracket_f[high_pos] = bracket_f[low_pos];
        bracket_g[high_pos] = bracket_g[low_pos];
        bracket_gtd[high_pos] = bracket_gtd[low_pos];
      }
      bracket[low_pos] = t;
      bracket_f[low_pos] = f_new;
      bracket_g[low_pos] = g_new;
      bracket_gtd[low_pos] = gtd_new;
    }
  }
  return {bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals};
}

#define XG_INSTANTIATE(T)                                                                 \
  template double dot<T>(const xt::xarray<T>&, const xt::xarray<T>&);                     \
  template double max_abs<T>(const xt::xarray<T>&);                                       \
  template LineSearchResult<T> strong_wolfe<T>(                                           \
      const std::function<std::pair<double, xt::xarray<T>>(double)>&, double,             \
      const xt::xarray<T>&, double, const xt::xarray<T>&, double, double, double, double, \
      std::size_t);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim::detail
