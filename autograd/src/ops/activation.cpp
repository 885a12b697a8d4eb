// Activation functions. Forward passes stay finite for any finite input (no exp of a large
// positive number is ever evaluated); backward rules are operations on the context (the output
// where the derivative is a function of it), so second derivatives work.
#include "xgrad/ops/activation.hpp"

#include <cmath>
#include <sstream>
#include <string>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xsort.hpp>

#include "kernels/activation.hpp"
#include "kernels/buffer.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/gelu.hpp"
#include "kernels/math.hpp"
#include "kernels/softmax.hpp"
#include "ops/constant_map.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/backward.hpp"
#include "xgrad/ops/reduction.hpp"

namespace xg {

namespace {

using detail::array_shape;
using detail::constant;
using detail::num_str;
using detail::require_defined;

}  // namespace

XG_RULE_TEXT(step, "out = (a > 0); da = 0 (flat almost everywhere)");
template <class T>
Tensor<T> step(const Tensor<T>& a, scalar_t<T> threshold) {
  require_defined("step", a);
  xt::xarray<T> out = kernels::map_values("step", a.value(),
                                          [threshold](T x) { return x > threshold ? T(1) : T(0); });
  return record<T>(
      "step", std::move(out), {a},
      [](BackwardContext<T>& c) {
        // Zero almost everywhere (and undefined at the jump): the leaf still gets a (zero)
        // gradient.
        c.input_grads[0] = Tensor<T>::zeros(c.inputs[0].shape());
      },
      Saves::nothing());
}

XG_RULE_TEXT(hardtanh, "out = clip(a, lo, hi); da = g where lo < a < hi, else 0");
template <class T>
Tensor<T> hardtanh(const Tensor<T>& a, scalar_t<T> lo, scalar_t<T> hi) {
  require_defined("hardtanh", a);
  if (lo > hi) {
    throw DomainError("hardtanh: lower bound " + num_str(lo) + " exceeds upper bound " +
                      num_str(hi));
  }
  // NaN stays NaN: both comparisons are false for it.
  auto clip = [lo, hi](T x) { return x < lo ? T(lo) : (x > hi ? T(hi) : x); };
  return record<T>(
      "hardtanh", kernels::map_values("hardtanh", a.value(), clip), {a},
      [lo, hi](BackwardContext<T>& c) {
        // PyTorch's rule: 1 strictly inside (lo, hi), 0 at and beyond the bounds.
        c.input_grads[0] = mul(c.grad, detail::constant_map(c.inputs[0].value(), [lo, hi](T x) {
                                 return x > lo && x < hi ? T(1) : T(0);
                               }));
      },
      Saves::input(0));
}

// snippet-begin: sigmoid
XG_RULE_TEXT(sigmoid, "out = 1 / (1 + e^-a); da = sigmoid_backward(g, out) = g * out * (1 - out)");
template <class T>
Tensor<T> sigmoid(const Tensor<T>& a) {
  require_defined("sigmoid", a);
  xt::xarray<T> out = kernels::kernel_values(
      "sigmoid", a.value(), [](const T* x, T* o, std::size_t n) { kernels::sigmoid(x, o, n); });
  return record<T>(
      "sigmoid", std::move(out), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = sigmoid_backward(c.grad, c.output); },
      Saves::result());
}
// snippet-end: sigmoid

XG_RULE_TEXT(tanh, "out = tanh(a); da = tanh_backward(g, out) = g * (1 - out^2)");
template <class T>
Tensor<T> tanh(const Tensor<T>& a) {
  require_defined("tanh", a);
  xt::xarray<T> out = kernels::kernel_values(
      "tanh", a.value(), [](const T* x, T* o, std::size_t n) { kernels::tanh(x, o, n); });
  return record<T>(
      "tanh", std::move(out), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = tanh_backward(c.grad, c.output); },
      Saves::result());
}

XG_RULE_TEXT(relu, "out = max(a, 0); da = g * (a > 0 ? 1 : 0)");
template <class T>
Tensor<T> relu(const Tensor<T>& a) {
  require_defined("relu", a);
  xt::xarray<T> out = kernels::kernel_values(
      "relu", a.value(), [](const T* x, T* o, std::size_t n) { kernels::relu(x, o, n); });
  return record<T>(
      "relu", std::move(out), {a},
      [](BackwardContext<T>& c) {
        c.input_grads[0] = threshold_backward(c.grad, c.inputs[0], T(0));
      },
      Saves::input(0));
}

XG_RULE_TEXT(leaky_relu, "out = a > 0 ? a : s * a; da = g * (a > 0 ? 1 : s)");
template <class T>
Tensor<T> leaky_relu(const Tensor<T>& a, scalar_t<T> slope) {
  require_defined("leaky_relu", a);
  xt::xarray<T> out = kernels::map_values("leaky_relu", a.value(),
                                          [slope](T x) { return x > T(0) ? x : slope * x; });
  return record<T>(
      "leaky_relu", std::move(out), {a},
      [slope](BackwardContext<T>& c) {
        c.input_grads[0] = mul(c.grad, detail::constant_map(c.inputs[0].value(), [slope](T x) {
                                 return x > T(0) ? T(1) : T(slope);
                               }));
      },
      Saves::input(0));
}

XG_RULE_TEXT(elu,
             "out = a > 0 ? a : alpha (e^a - 1); da = elu_backward(g, a, out) = g * (a > 0 ? 1 : "
             "out + alpha)");
template <class T>
Tensor<T> elu(const Tensor<T>& a, scalar_t<T> alpha) {
  require_defined("elu", a);
  // expm1 of min(x, 0): the positive branch is never exponentiated (no overflow for large x).
  xt::xarray<T> out = kernels::kernel_values(
      "elu", a.value(),
      [alpha](const T* x, T* o, std::size_t n) { kernels::elu(x, o, n, T(alpha)); });
  return record<T>(
      "elu", std::move(out), {a},
      [alpha](BackwardContext<T>& c) {
        // alpha e^x = out + alpha where x <= 0: through the output, so the second derivative is
        // right too.
        c.input_grads[0] = elu_backward(c.grad, c.inputs[0], c.output, alpha);
      },
      Saves::input(0) | Saves::result());
}

XG_RULE_TEXT(softplus,
             "out = ln(1 + e^a); da = softplus_backward(g, a) = g * sigmoid(a) (g where linear)");
template <class T>
Tensor<T> softplus(const Tensor<T>& a, scalar_t<T> beta, scalar_t<T> threshold) {
  require_defined("softplus", a);
  if (!(beta != T(0))) {
    throw DomainError("softplus: beta must be non-zero, got " + num_str(beta));
  }
  // log(1 + e^z) = max(z, 0) + log1p(e^-|z|) with z = beta x; linear where z > threshold.
  xt::xarray<T> out = kernels::kernel_values("softplus", a.value(),
                                             [beta, threshold](const T* x, T* o, std::size_t n) {
                                               kernels::softplus(x, o, n, T(beta), T(threshold));
                                             });
  return record<T>(
      "softplus", std::move(out), {a},
      [beta, threshold](BackwardContext<T>& c) {
        c.input_grads[0] = softplus_backward(c.grad, c.inputs[0], beta, threshold);
      },
      Saves::input(0));
}

XG_RULE_TEXT(gelu,
             "out = a Phi(a) (or its tanh form); da = gelu_backward(g, a) = g * (Phi(a) + a "
             "phi(a))");
template <class T>
Tensor<T> gelu(const Tensor<T>& a, GeluApproximation approximate) {
  require_defined("gelu", a);
  const bool tanh_form = approximate == GeluApproximation::tanh;
  xt::xarray<T> out = kernels::map_values("gelu", a.value(),
                                          [tanh_form](T x) { return kernels::gelu(x, tanh_form); });
  return record<T>(
      "gelu", std::move(out), {a},
      [approximate](BackwardContext<T>& c) {
        c.input_grads[0] = gelu_backward(c.grad, c.inputs[0], approximate);
      },
      Saves::input(0));
}

XG_RULE_TEXT(silu, "out = a sigmoid(a); da = g * s * (1 + a (1 - s)) with s = sigmoid(a)");
template <class T>
Tensor<T> silu(const Tensor<T>& a) {
  require_defined("silu", a);
  xt::xarray<T> out = kernels::map_values("silu", a.value(), [](T x) { return kernels::silu(x); });
  return record<T>(
      "silu", std::move(out), {a},
      [](BackwardContext<T>& c) {
        const Tensor<T>& x = c.inputs[0];
        const Tensor<T> s = sigmoid(x);
        c.input_grads[0] = mul(mul(c.grad, s), add(mul(x, rsub(T(1), s)), T(1)));
      },
      Saves::input(0));
}

namespace {
/// softmax or log_softmax of a along `ax` (kernels/softmax.hpp).
template <class T>
xt::xarray<T> softmax_value(const char* op, const Tensor<T>& a, std::size_t ax,
                            kernels::SoftmaxKind kind) {
  const auto& s = a.value().shape();
  xt::xarray<T> out = detail::uninitialized_array<T>(op, s);
  if (a.size() != 0) {
    kernels::softmax_axis(a.value().data(), detail::span_count(s, 0, ax), s[ax],
                          detail::span_count(s, ax + 1, s.size()), out.data(), kind);
  }
  return out;
}
}  // namespace

XG_RULE_TEXT(softmax, "out = e^a / sum(e^a); da = softmax_backward(g, out) along the axis");
template <class T>
Tensor<T> softmax(const Tensor<T>& a, std::ptrdiff_t axis) {
  require_defined("softmax", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("softmax", axis, s.size(), s);
  return record<T>(
      "softmax", softmax_value("softmax", a, ax, kernels::SoftmaxKind::softmax), {a},
      [ax](BackwardContext<T>& c) {
        c.input_grads[0] = softmax_backward(c.grad, c.output, static_cast<std::ptrdiff_t>(ax));
      },
      Saves::result());
}

XG_RULE_TEXT(log_softmax,
             "out = a - logsumexp(a); da = log_softmax_backward(g, out) along the axis");
template <class T>
Tensor<T> log_softmax(const Tensor<T>& a, std::ptrdiff_t axis) {
  require_defined("log_softmax", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("log_softmax", axis, s.size(), s);
  return record<T>(
      "log_softmax", softmax_value("log_softmax", a, ax, kernels::SoftmaxKind::log_softmax), {a},
      [ax](BackwardContext<T>& c) {
        c.input_grads[0] = log_softmax_backward(c.grad, c.output, static_cast<std::ptrdiff_t>(ax));
      },
      Saves::result());
}

#define XG_INSTANTIATE(T)                                                  \
  template Tensor<T> step(const Tensor<T>&, scalar_t<T>);                  \
  template Tensor<T> hardtanh(const Tensor<T>&, scalar_t<T>, scalar_t<T>); \
  template Tensor<T> sigmoid(const Tensor<T>&);                            \
  template Tensor<T> tanh(const Tensor<T>&);                               \
  template Tensor<T> relu(const Tensor<T>&);                               \
  template Tensor<T> leaky_relu(const Tensor<T>&, scalar_t<T>);            \
  template Tensor<T> elu(const Tensor<T>&, scalar_t<T>);                   \
  template Tensor<T> softplus(const Tensor<T>&, scalar_t<T>, scalar_t<T>); \
  template Tensor<T> gelu(const Tensor<T>&, GeluApproximation);            \
  template Tensor<T> silu(const Tensor<T>&);                               \
  template Tensor<T> softmax(const Tensor<T>&, std::ptrdiff_t);            \
  template Tensor<T> log_softmax(const Tensor<T>&, std::ptrdiff_t);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
