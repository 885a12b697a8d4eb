// Loss functions. Each checks its shapes up front (no silent broadcasting between prediction and
// target); mse_loss and bce_loss are one operation for every reduction, whose rule is a backward
// operation (ops/backward.cpp), so losses can be differentiated twice (gradient penalties,
// Hessian-vector products).
#include "xgrad/ops/loss.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "kernels/buffer.hpp"
#include "kernels/loss.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/backward.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/reduction.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::constant;
using detail::num_str;
using detail::require_defined;

template <class T>
void check_pair(const char* op, const char* what, const Tensor<T>& pred, const Tensor<T>& target) {
  detail::require_same_shape(op, what, pred, "target", target);
}

/// Applies the reduction to elementwise losses.
template <class T>
Tensor<T> reduce(const char* op, const Tensor<T>& losses, Reduction reduction) {
  switch (reduction) {
    case Reduction::none:
      return losses;
    case Reduction::sum:
      return sum(losses);
    case Reduction::mean:
      if (losses.size() == 0) {
        throw ShapeError(std::string(op) +
                         ": cannot average the loss over an empty tensor of shape " +
                         shape_str(losses.value().shape()) + " (use Reduction::sum or none)");
      }
      return mean(losses);
  }
  throw DomainError(std::string(op) + ": unknown reduction " +
                    std::to_string(static_cast<int>(reduction)));
}

/// max(log x, -100) elementwise for x >= 0 (log 0 = -100): PyTorch's clamp in binary
/// cross-entropy. The gradient is 1/x where the log is not clamped and 0 where it is (the exact
/// derivative of the clamped function).
XG_RULE_TEXT(clamped_log, "out = max(ln(a), -100); da = g / a where out > -100, else 0");
template <class T>
Tensor<T> clamped_log(const Tensor<T>& a) {
  const auto& x = a.value();
  xt::xarray<T> out = detail::uninitialized_array<T>("bce_loss", x.shape());
  kernels::clamped_log(x.data(), out.data(), x.size());
  return record<T>("clamped_log", std::move(out), {a}, [](BackwardContext<T>& c) {
    xt::xarray<bool> live = c.output.value() > T(kernels::kLogFloor);
    const Tensor<T> safe = xg::where(live, c.inputs[0], Tensor<T>::scalar(1));
    c.input_grads[0] = xg::where(live, div(c.grad, safe), Tensor<T>::scalar(0));
  });
}

/// Validates (N, C) scores against N labels in [0, C).
template <class T>
void check_classes(const char* op, const Tensor<T>& scores, const std::vector<std::size_t>& labels,
                   Reduction reduction) {
  require_defined(op, scores);
  const auto& s = scores.value().shape();
  if (s.size() != 2) {
    throw ShapeError(std::string(op) + ": expected a 2-D (N, C) input, got shape " + shape_str(s));
  }
  const std::size_t n = s[0];
  const std::size_t classes = s[1];
  if (labels.size() != n) {
    throw ShapeError(std::string(op) + ": " + std::to_string(labels.size()) +
                     " labels for an input of shape " + shape_str(s) + " (need one per row, " +
                     std::to_string(n) + ")");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (labels[i] >= classes) {
      throw IndexError(std::string(op) + ": label " + std::to_string(labels[i]) + " of row " +
                       std::to_string(i) + " is out of range for " + std::to_string(classes) +
                       " classes (labels must lie in [0, " + std::to_string(classes) + "))");
    }
  }
  if (reduction == Reduction::mean && n == 0) {
    throw ShapeError(std::string(op) + ": cannot average the loss over an empty batch of shape " +
                     shape_str(s) + " (use Reduction::sum or none)");
  }
}

/// 1/N for the mean of N losses, 1 for their sum or the losses themselves.
template <class T>
T reduction_scale(Reduction reduction, std::size_t n) {
  return reduction == Reduction::mean ? T(1) / static_cast<T>(n) : T(1);
}

/// The result array of a loss: the elementwise losses (`shape`) for Reduction::none, else 0-d.
template <class T>
xt::xarray<T> loss_result(const char* op, Reduction reduction, const detail::array_shape& shape) {
  return reduction == Reduction::none ? detail::uninitialized_array<T>(op, shape)
                                      : detail::scalar_array<T>(op, 0);
}

}  // namespace

XG_RULE_TEXT(mse_loss,
             "out = s * sum((p - t)^2), s = 1/N (mean) or 1 (sum); dp = g * 2s * (p - t), dt = "
             "-dp");
template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target, Reduction reduction) {
  check_pair("mse_loss", "prediction", pred, target);
  const std::size_t n = pred.size();
  if (reduction == Reduction::mean && n == 0) reduce("mse_loss", pred, reduction);  // throws
  const T* p = pred.value().data();
  const T* t = target.value().data();
  xt::xarray<T> out = loss_result<T>("mse_loss", reduction, pred.value().shape());
  if (reduction == Reduction::none) {
    kernels::squared_error(p, t, out.data(), n);
  } else {
    out.data()[0] = kernels::squared_error_sum(p, t, n) * reduction_scale<T>(reduction, n);
  }
  const T scale = reduction_scale<T>(reduction, n);
  return record<T>("mse_loss", std::move(out), {pred, target}, [scale](BackwardContext<T>& c) {
    const Tensor<T> dp = mse_loss_backward(c.grad, c.inputs[0], c.inputs[1], scale);
    if (c.needs(0)) c.input_grads[0] = dp;
    if (c.needs(1)) c.input_grads[1] = neg(dp);
  });
}

XG_RULE_TEXT(bce_loss,
             "out = -s * sum(t ln p + (1 - t) ln(1 - p)), logs clamped at -100; dp = g * s * "
             "((1 - t) / (1 - p) - t / p), dt = g * s * (ln(1 - p) - ln p)");
template <class T>
Tensor<T> bce_loss(const Tensor<T>& prob, const Tensor<T>& target, Reduction reduction) {
  check_pair("bce_loss", "probabilities", prob, target);
  const auto& p = prob.value();
  for (std::size_t i = 0; i < p.size(); ++i) {
    const T x = p.data()[i];
    if (!(x >= T(0) && x <= T(1))) {
      throw DomainError("bce_loss: probability " + num_str(x) + " at index " +
                        detail::index_str(i, p.shape()) + " of the input of shape " +
                        shape_str(p.shape()) + " is outside [0, 1]");
    }
  }
  const std::size_t n = prob.size();
  if (reduction == Reduction::mean && n == 0) reduce("bce_loss", prob, reduction);  // throws
  const T scale = reduction_scale<T>(reduction, n);
  xt::xarray<T> out = loss_result<T>("bce_loss", reduction, p.shape());
  if (reduction == Reduction::none) {
    kernels::binary_cross_entropy(p.data(), target.value().data(), out.data(), n);
  } else {
    out.data()[0] = kernels::binary_cross_entropy_sum(p.data(), target.value().data(), n) * scale;
  }
  return record<T>("bce_loss", std::move(out), {prob, target}, [scale](BackwardContext<T>& c) {
    const Tensor<T>& p = c.inputs[0];
    if (c.needs(0)) {
      c.input_grads[0] = bce_loss_backward(c.grad, p, c.inputs[1], scale);
    }
    if (c.needs(1)) {
      c.input_grads[1] = mul(mul(c.grad, scale), sub(clamped_log(rsub(T(1), p)), clamped_log(p)));
    }
  });
}

XG_RULE_TEXT(bce_with_logits,
             "out = max(a,0) - a*t + ln(1 + e^-|a|); da = g * (sigmoid(a) - t), dt = -g * a");
template <class T>
Tensor<T> bce_with_logits(const Tensor<T>& logits, const Tensor<T>& target, Reduction reduction) {
  check_pair("bce_with_logits", "logits", logits, target);
  const auto& x = logits.value();
  const auto& t = target.value();
  xt::xarray<T> out = xt::maximum(x, T(0)) - x * t + xt::log1p(xt::exp(-xt::abs(x)));
  Tensor<T> losses =
      record<T>("bce_with_logits", std::move(out), {logits, target}, [](BackwardContext<T>& c) {
        const auto& x = c.inputs[0];
        if (c.needs(0)) c.input_grads[0] = mul(c.grad, sub(sigmoid(x), c.inputs[1]));
        if (c.needs(1)) c.input_grads[1] = neg(mul(c.grad, x));
      });
  return reduce("bce_with_logits", losses, reduction);
}

XG_RULE_TEXT(nll_loss,
             "out = -scale * a[i, label_i]; da = -scale * g at (i, label_i), 0 elsewhere");
template <class T>
Tensor<T> nll_loss(const Tensor<T>& log_probs, const std::vector<std::size_t>& labels,
                   Reduction reduction) {
  check_classes("nll_loss", log_probs, labels, reduction);
  const auto& v = log_probs.value();
  const std::size_t n = v.shape()[0];
  const std::size_t classes = v.shape()[1];
  const bool keep_rows = reduction == Reduction::none;
  const T scale = reduction == Reduction::mean ? T(1) / static_cast<T>(n) : T(1);

  xt::xarray<T> out;
  if (keep_rows) {
    out = detail::uninitialized_array<T>("nll_loss", detail::array_shape{n});
    for (std::size_t i = 0; i < n; ++i) out(i) = -v.flat(i * classes + labels[i]);
  } else {
    double total = 0;  // accumulated in double: a float sum over a large batch drifts
    for (std::size_t i = 0; i < n; ++i)
      total -= static_cast<double>(v.flat(i * classes + labels[i]));
    if (reduction == Reduction::mean) total /= static_cast<double>(n);
    out = detail::scalar_array<T>("nll_loss", static_cast<T>(total));
  }
  return record<T>(
      "nll_loss", std::move(out), {log_probs},
      [labels, n, classes, keep_rows, scale](BackwardContext<T>& c) {
        // -scale * g at [i, label_i]: a constant one-hot mask times the upstream
        // gradient (broadcast along the classes), linear in g.
        xt::xarray<T> mask = xt::zeros<T>({n, classes});
        for (std::size_t i = 0; i < n; ++i) mask.flat(i * classes + labels[i]) = -scale;
        const Tensor<T> g = keep_rows ? unsqueeze(c.grad, 1) : c.grad;  // (N, 1) or ()
        c.input_grads[0] = mul(g, Tensor<T>(std::move(mask)));
      },
      Saves::nothing());
}

template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& labels,
                        Reduction reduction) {
  // Checked here too so that errors name cross_entropy, not the operations it is made of.
  check_classes("cross_entropy", logits, labels, reduction);
  return nll_loss(log_softmax(logits, 1), labels, reduction);
}

#define XG_INSTANTIATE(T)                                                                         \
  template Tensor<T> mse_loss(const Tensor<T>&, const Tensor<T>&, Reduction);                     \
  template Tensor<T> bce_loss(const Tensor<T>&, const Tensor<T>&, Reduction);                     \
  template Tensor<T> bce_with_logits(const Tensor<T>&, const Tensor<T>&, Reduction);              \
  template Tensor<T> cross_entropy(const Tensor<T>&, const std::vector<std::size_t>&, Reduction); \
  template Tensor<T> nll_loss(const Tensor<T>&, const std::vector<std::size_t>&, Reduction);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
