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

/// x minus its maximum along `ax` (materialised, kept as a size-1 axis so it broadcasts back).
/// A non-finite maximum (a slice of -inf, or one holding +inf) is not subtracted, so a slice of
/// -inf gives -inf - log(0) = NaN rather than inf - inf; this matches PyTorch.
template <class T>
xt::xarray<T> minus_max(const xt::xarray<T>& x, std::size_t ax) {
  xt::xarray<T> m = xt::amax(x, {ax});
  array_shape keep(x.shape());
  keep[ax] = 1;
  m.reshape(keep);
  m = xt::where(xt::isfinite(m), m, T(0));
  xt::xarray<T> z = x - m;
  return z;
}

/// exp(z) summed along `ax`, kept as a size-1 axis.
template <class T>
xt::xarray<T> sum_keep(const xt::xarray<T>& e, std::size_t ax) {
  xt::xarray<T> s = xt::sum(e, {ax});
  array_shape keep(e.shape());
  keep[ax] = 1;
  s.reshape(keep);
  return s;
}

}  // namespace

XG_RULE_TEXT(step, "out = (a > 0); da = 0 (flat almost everywhere)");
template <class T>
Tensor<T> step(const Tensor<T>& a, scalar_t<T> threshold) {
  require_defined("step", a);
  xt::xarray<T> out = xt::cast<T>(a.value() > threshold);
  return record<T>("step", std::move(out), {a}, [](BackwardContext<T>& c) {
    // Zero almost everywhere (and undefined at the jump): the leaf still gets a (zero) gradient.
    c.input_grads[0] = Tensor<T>::zeros(c.inputs[0].shape());
  });
}

XG_RULE_TEXT(hardtanh, "out = clip(a, lo, hi); da = g where lo < a < hi, else 0");
template <class T>
Tensor<T> hardtanh(const Tensor<T>& a, scalar_t<T> lo, scalar_t<T> hi) {
  require_defined("hardtanh", a);
  if (lo > hi) {
    throw DomainError("hardtanh: lower bound " + num_str(lo) + " exceeds upper bound " +
                      num_str(hi));
  }
  return record<T>("hardtanh", xt::clip(a.value(), lo, hi), {a}, [lo, hi](BackwardContext<T>& c) {
    // PyTorch's rule: 1 strictly inside (lo, hi), 0 at and beyond the bounds.
    const auto& x = c.inputs[0].value();
    xt::xarray<T> inside = xt::cast<T>(x > lo && x < hi);
    c.input_grads[0] = mul(c.grad, constant<T>(std::move(inside)));
  });
}

// snippet-begin: sigmoid
XG_RULE_TEXT(sigmoid, "out = 1 / (1 + e^-a); da = sigmoid_backward(g, out) = g * out * (1 - out)");
template <class T>
Tensor<T> sigmoid(const Tensor<T>& a) {
  require_defined("sigmoid", a);
  const auto& x = a.value();
  xt::xarray<T> out = detail::uninitialized_array<T>("sigmoid", x.shape());
  kernels::sigmoid(x.data(), out.data(), x.size());
  return record<T>("sigmoid", std::move(out), {a}, [](BackwardContext<T>& c) {
    c.input_grads[0] = sigmoid_backward(c.grad, c.output);
  });
}
// snippet-end: sigmoid

XG_RULE_TEXT(tanh, "out = tanh(a); da = tanh_backward(g, out) = g * (1 - out^2)");
template <class T>
Tensor<T> tanh(const Tensor<T>& a) {
  require_defined("tanh", a);
  const auto& x = a.value();
  xt::xarray<T> out = detail::uninitialized_array<T>("tanh", x.shape());
  kernels::tanh(x.data(), out.data(), x.size());
  return record<T>("tanh", std::move(out), {a}, [](BackwardContext<T>& c) {
    c.input_grads[0] = tanh_backward(c.grad, c.output);
  });
}

XG_RULE_TEXT(relu, "out = max(a, 0); da = g * (a > 0 ? 1 : 0)");
template <class T>
Tensor<T> relu(const Tensor<T>& a) {
  require_defined("relu", a);
  const auto& x = a.value();
  xt::xarray<T> out = detail::uninitialized_array<T>("relu", x.shape());
  kernels::relu(x.data(), out.data(), x.size());
  return record<T>("relu", std::move(out), {a}, [](BackwardContext<T>& c) {
    c.input_grads[0] = threshold_backward(c.grad, c.inputs[0], T(0));
  });
}

XG_RULE_TEXT(leaky_relu, "out = a > 0 ? a : s * a; da = g * (a > 0 ? 1 : s)");
template <class T>
Tensor<T> leaky_relu(const Tensor<T>& a, scalar_t<T> slope) {
  require_defined("leaky_relu", a);
  const auto& x = a.value();
  xt::xarray<T> out = xt::where(x > T(0), x, slope * x);
  return record<T>("leaky_relu", std::move(out), {a}, [slope](BackwardContext<T>& c) {
    xt::xarray<T> d = xt::where(c.inputs[0].value() > T(0), T(1), slope);
    c.input_grads[0] = mul(c.grad, constant<T>(std::move(d)));
  });
}

XG_RULE_TEXT(elu, "out = a > 0 ? a : alpha (e^a - 1); da = g * (a > 0 ? 1 : out + alpha)");
template <class T>
Tensor<T> elu(const Tensor<T>& a, scalar_t<T> alpha) {
  require_defined("elu", a);
  const auto& x = a.value();
  // expm1 of min(x, 0): the positive branch is never exponentiated (no overflow for large x).
  xt::xarray<T> neg_part = alpha * xt::expm1(xt::minimum(x, T(0)));
  xt::xarray<T> out = xt::where(x > T(0), x, neg_part);
  return record<T>("elu", std::move(out), {a}, [alpha](BackwardContext<T>& c) {
    // d/dx = 1 for x > 0, alpha e^x = out + alpha otherwise (through the output, so the second
    // derivative is right too).
    xt::xarray<bool> positive = c.inputs[0].value() > T(0);
    c.input_grads[0] = mul(c.grad, xg::where(positive, Tensor<T>::scalar(1), add(c.output, alpha)));
  });
}

XG_RULE_TEXT(softplus, "out = ln(1 + e^a); da = g * sigmoid(a)");
template <class T>
Tensor<T> softplus(const Tensor<T>& a, scalar_t<T> beta, scalar_t<T> threshold) {
  require_defined("softplus", a);
  if (!(beta != T(0))) {
    throw DomainError("softplus: beta must be non-zero, got " + num_str(beta));
  }
  const auto& x = a.value();
  // log(1 + e^z) = max(z, 0) + log1p(e^-|z|) with z = beta x; linear where z > threshold.
  xt::xarray<T> z = beta * x;
  xt::xarray<T> smooth = (xt::maximum(z, T(0)) + xt::log1p(xt::exp(-xt::abs(z)))) / beta;
  xt::xarray<T> out = xt::where(z > threshold, x, smooth);
  return record<T>("softplus", std::move(out), {a}, [beta, threshold](BackwardContext<T>& c) {
    const auto& in = c.inputs[0];
    xt::xarray<bool> linear = beta * in.value() > threshold;
    c.input_grads[0] = mul(c.grad, xg::where(linear, Tensor<T>::scalar(1), sigmoid(mul(in, beta))));
  });
}

XG_RULE_TEXT(softmax, "out = e^a / sum(e^a); da = out * (g - sum(g * out)) along the axis");
template <class T>
Tensor<T> softmax(const Tensor<T>& a, std::ptrdiff_t axis) {
  require_defined("softmax", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("softmax", axis, s.size(), s);
  xt::xarray<T> out = detail::uninitialized_array<T>("softmax", s);
  if (a.size() != 0) {
    out = xt::exp(minus_max(a.value(), ax));
    out /= sum_keep(out, ax);
  }
  return record<T>("softmax", std::move(out), {a}, [ax](BackwardContext<T>& c) {
    // y * (g - sum(g * y, axis))
    const auto& y = c.output;
    const auto sax = static_cast<std::ptrdiff_t>(ax);
    c.input_grads[0] = mul(y, sub(c.grad, sum(mul(c.grad, y), sax, true)));
  });
}

XG_RULE_TEXT(log_softmax, "out = a - logsumexp(a); da = g - softmax(a) * sum(g) along the axis");
template <class T>
Tensor<T> log_softmax(const Tensor<T>& a, std::ptrdiff_t axis) {
  require_defined("log_softmax", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("log_softmax", axis, s.size(), s);
  xt::xarray<T> out = detail::uninitialized_array<T>("log_softmax", s);
  if (a.size() != 0) {
    out = minus_max(a.value(), ax);
    xt::xarray<T> e = xt::exp(out);
    xt::xarray<T> log_norm = xt::log(sum_keep(e, ax));
    out -= log_norm;
  }
  return record<T>("log_softmax", std::move(out), {a}, [ax](BackwardContext<T>& c) {
    // g - softmax * sum(g, axis), with softmax = exp(out)
    const auto sax = static_cast<std::ptrdiff_t>(ax);
    c.input_grads[0] = sub(c.grad, mul(exp(c.output), sum(c.grad, sax, true)));
  });
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
  template Tensor<T> softmax(const Tensor<T>&, std::ptrdiff_t);            \
  template Tensor<T> log_softmax(const Tensor<T>&, std::ptrdiff_t);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
