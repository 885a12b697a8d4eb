// Loss functions. Each checks its shapes up front (no silent broadcasting between prediction and
// target) and is built so that its backward is made of xg operations: losses can be
// differentiated twice (gradient penalties, Hessian-vector products).
#include "xgrad/ops/loss.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "ops/util.hpp"
#include "tape/value_cache.hpp"
#include "xgrad/ops/activation.hpp"
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
  require_defined(op, pred);
  require_defined(op, target);
  if (pred.value().shape() != target.value().shape()) {
    throw ShapeError(std::string(op) + ": " + what + " of shape " +
                     shape_str(pred.value().shape()) + " and target of shape " +
                     shape_str(target.value().shape()) + " must have the same shape");
  }
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

/// PyTorch clamps the logs of binary cross-entropy at -100.
constexpr double kLogFloor = -100;

/// max(log x, -100) elementwise for x >= 0 (log 0 = -100): PyTorch's clamp in binary
/// cross-entropy. The gradient is 1/x where the log is not clamped and 0 where it is (the exact
/// derivative of the clamped function), written with operations so it can be differentiated again.
template <class T>
Tensor<T> clamped_log(const Tensor<T>& a) {
  const T floor = T(kLogFloor);
  xt::xarray<T> out = detail::uninitialized_array<T>("bce_loss", a.value().shape());
  auto it = a.value().begin();
  for (auto& y : out) {
    const T x = *it++;
    y = x > T(0) ? std::max(std::log(x), floor) : floor;
  }
  return record<T>("clamped_log", std::move(out), {a}, [floor](BackwardContext<T>& c) {
    xt::xarray<bool> live = c.output.value() > floor;
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

}  // namespace

template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target, Reduction reduction) {
  check_pair("mse_loss", "prediction", pred, target);
  if (reduction == Reduction::none) {
    const Tensor<T> d = sub(pred, target);
    return mul(d, d);
  }
  // Sum and mean are one recorded operation with loops over the buffers: the loss of small
  // models (the seed-003 network) is otherwise half of a training step's operations.
  const std::size_t n = pred.size();
  if (reduction == Reduction::mean && n == 0) reduce("mse_loss", pred, reduction);  // throws
  const T* p = pred.value().data();
  const T* t = target.value().data();
  T total = 0;
  for (std::size_t i = 0; i < n; ++i) total += (p[i] - t[i]) * (p[i] - t[i]);
  const T scale = reduction == Reduction::mean ? T(1) / static_cast<T>(n) : T(1);
  return record<T>("mse_loss", detail::scalar_array<T>("mse_loss", total * scale), {pred, target},
                   [scale](BackwardContext<T>& c) {
                     // d/dpred = 2 (pred - target) g scale, d/dtarget = its negative.
                     if (c.create_graph) {
                       const Tensor<T> d = mul(sub(c.inputs[0], c.inputs[1]), c.grad);
                       const Tensor<T> gp = mul(d, T(2) * scale);
                       if (c.needs(0)) c.input_grads[0] = gp;
                       if (c.needs(1)) c.input_grads[1] = neg(gp);
                       return;
                     }
                     const auto& pv = c.inputs[0].value();
                     const T* p = pv.data();
                     const T* t = c.inputs[1].value().data();
                     const T k = T(2) * scale * c.grad.item();
                     xt::xarray<T> gp = detail::uninitialized_array<T>("mse_loss", pv.shape());
                     for (std::size_t i = 0; i < gp.size(); ++i) gp.data()[i] = k * (p[i] - t[i]);
                     if (c.needs(1)) {
                       xt::xarray<T> gt = -gp;
                       c.input_grads[1] = Tensor<T>(std::move(gt));
                     }
                     if (c.needs(0)) c.input_grads[0] = Tensor<T>(std::move(gp));
                   });
}

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
  if (reduction == Reduction::none) {
    // -(t log p + (1 - t) log(1 - p)), each log clamped at -100.
    const Tensor<T> log_p = clamped_log(prob);
    const Tensor<T> log_q = clamped_log(rsub(T(1), prob));
    return neg(add(mul(target, log_p), mul(rsub(T(1), target), log_q)));
  }
  // Sum and mean: one recorded operation with loops (it was ten operations of a small model's
  // step). The rule is the derivative of the clamped logs: 1/p where log p > -100, else 0.
  const std::size_t n = prob.size();
  if (reduction == Reduction::mean && n == 0) reduce("bce_loss", prob, reduction);  // throws
  const T* pv = p.data();
  const T* tv = target.value().data();
  const T floor = T(kLogFloor);
  auto clamped = [floor](T x) { return x > T(0) ? std::max(std::log(x), floor) : floor; };
  T total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // Labels of exactly 1 or 0 need one log: the other term is 0 times a finite value.
    const T t = tv[i];
    if (t == T(1)) {
      total -= clamped(pv[i]);
    } else if (t == T(0)) {
      total -= clamped(T(1) - pv[i]);
    } else {
      total -= t * clamped(pv[i]) + (T(1) - t) * clamped(T(1) - pv[i]);
    }
  }
  const T scale = reduction == Reduction::mean ? T(1) / static_cast<T>(n) : T(1);
  return record<T>(
      "bce_loss", detail::scalar_array<T>("bce_loss", total * scale), {prob, target},
      [scale, floor, clamped](BackwardContext<T>& c) {
        const Tensor<T>& p = c.inputs[0];
        const Tensor<T>& t = c.inputs[1];
        if (c.create_graph) {
          // The same derivatives as tensor operations, so they can be differentiated again.
          const Tensor<T> q = rsub(T(1), p);
          auto inverse = [floor](const Tensor<T>& x) {  // 1/x where log x > -100, else 0
            xt::xarray<bool> live = xt::log(x.value()) > floor;
            return xg::where(live,
                             div(Tensor<T>::scalar(1), xg::where(live, x, Tensor<T>::scalar(1))),
                             Tensor<T>::scalar(0));
          };
          const Tensor<T> k = mul(c.grad, scale);
          if (c.needs(0)) {
            c.input_grads[0] = mul(k, sub(mul(rsub(T(1), t), inverse(q)), mul(t, inverse(p))));
          }
          if (c.needs(1)) c.input_grads[1] = mul(k, sub(clamped_log(q), clamped_log(p)));
          return;
        }
        const T k = c.grad.item() * scale;
        const auto& pa = p.value();
        const T* pv = pa.data();
        const T* tv = t.value().data();
        // 1/x where log x > -100: one comparison against e^-100 instead of a log per element.
        const T live_from = std::exp(floor);
        auto inverse = [live_from](T x) { return x > live_from ? T(1) / x : T(0); };
        if (c.needs(0)) {
          xt::xarray<T> gp = detail::uninitialized_array<T>("bce_loss", pa.shape());
          for (std::size_t i = 0; i < gp.size(); ++i) {
            gp.data()[i] = k * ((T(1) - tv[i]) * inverse(T(1) - pv[i]) - tv[i] * inverse(pv[i]));
          }
          c.input_grads[0] = Tensor<T>(std::move(gp));
        }
        if (c.needs(1)) {
          xt::xarray<T> gt = detail::uninitialized_array<T>("bce_loss", pa.shape());
          for (std::size_t i = 0; i < gt.size(); ++i) {
            gt.data()[i] = k * (clamped(T(1) - pv[i]) - clamped(pv[i]));
          }
          c.input_grads[1] = Tensor<T>(std::move(gt));
        }
      });
}

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
  return record<T>("nll_loss", std::move(out), {log_probs},
                   [labels, n, classes, keep_rows, scale](BackwardContext<T>& c) {
                     // -scale * g at [i, label_i]: a constant one-hot mask times the upstream
                     // gradient (broadcast along the classes), linear in g.
                     xt::xarray<T> mask = xt::zeros<T>({n, classes});
                     for (std::size_t i = 0; i < n; ++i)
                       mask.flat(i * classes + labels[i]) = -scale;
                     const Tensor<T> g = keep_rows ? unsqueeze(c.grad, 1) : c.grad;  // (N, 1) or ()
                     c.input_grads[0] = mul(g, Tensor<T>(std::move(mask)));
                   });
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
