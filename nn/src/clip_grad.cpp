// Gradient clipping (see clip_grad.hpp).
#include "xgrad/nn/clip_grad.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"

namespace xg::nn {

using detail::num_str;

template <class T>
double clip_grad_norm_(const std::vector<Tensor<T>>& parameters, double max_norm,
                       double norm_type) {
  if (!(max_norm >= 0)) {
    throw DomainError("clip_grad_norm_: max_norm must be at least 0, got " + num_str(max_norm));
  }
  if (!(norm_type > 0)) {
    throw DomainError("clip_grad_norm_: norm_type must be positive (or infinity), got " +
                      num_str(norm_type));
  }
  const bool inf = std::isinf(norm_type);
  double total = 0;  // the sum of |g|^p, or the largest |g|
  for (const auto& p : parameters) {
    if (!p.defined() || !p.has_grad()) continue;
    for (T g : p.grad().value()) {
      const double a = std::abs(static_cast<double>(g));
      if (inf) {
        total = std::isnan(a) ? a : std::max(total, a);
      } else {
        total += norm_type == 2.0 ? a * a : (norm_type == 1.0 ? a : std::pow(a, norm_type));
      }
      if (std::isnan(total)) break;
    }
  }
  if (!inf) total = norm_type == 2.0 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);
  if (!std::isfinite(total)) {
    throw DomainError("clip_grad_norm_: the total " + num_str(norm_type) +
                      "-norm of the gradients is " + num_str(total) +
                      "; no gradient was clipped (a NaN or infinite gradient upstream)");
  }
  const double scale = max_norm / (total + 1e-6);
  if (scale < 1) {
    NoGradGuard no_grad;
    for (const auto& p : parameters) {
      if (!p.defined() || !p.has_grad()) continue;
      Tensor<T> g = p.grad();  // the same tensor: scaled in place
      g.mul_(static_cast<T>(scale));
    }
  }
  return total;
}

template <class T>
void clip_grad_value_(const std::vector<Tensor<T>>& parameters, double clip_value) {
  if (!(clip_value >= 0) || !std::isfinite(clip_value)) {
    throw DomainError("clip_grad_value_: clip_value must be finite and at least 0, got " +
                      num_str(clip_value));
  }
  NoGradGuard no_grad;
  for (const auto& p : parameters) {
    if (!p.defined() || !p.has_grad()) continue;
    Tensor<T> g = p.grad();
    g.clamp_(static_cast<T>(-clip_value), static_cast<T>(clip_value));
  }
}

#define XG_INSTANTIATE(T)                                                            \
  template double clip_grad_norm_<T>(const std::vector<Tensor<T>>&, double, double); \
  template void clip_grad_value_<T>(const std::vector<Tensor<T>>&, double);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
