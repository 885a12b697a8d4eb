// Backward operations (see xgrad/ops/backward.hpp): check, a kernel loop, and a rule made of
// operations, so that a gradient computed through them can be differentiated again.
#include "xgrad/ops/backward.hpp"

#include <cmath>
#include <string>

#include <xtensor/xmath.hpp>

#include "kernels/activation.hpp"
#include "kernels/buffer.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/gelu.hpp"
#include "kernels/loss.hpp"
#include "kernels/math.hpp"
#include "kernels/parallel.hpp"
#include "kernels/softmax.hpp"
#include "ops/constant_map.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/reduction.hpp"

namespace xg {

namespace {

using detail::require_defined;

/// `grad` must have the shape of `other` (the tensor whose elements it pairs with).
template <class T>
void check_grad(const char* op, const Tensor<T>& grad, const Tensor<T>& other, const char* what) {
  detail::require_same_shape(op, "the gradient", grad, what, other);
}

/// A loss backward's gradient: 0-d (a summed loss) or of the prediction's shape.
template <class T>
void check_loss_grad(const char* op, const Tensor<T>& grad, const Tensor<T>& pred,
                     const Tensor<T>& target) {
  require_defined(op, grad);
  detail::require_same_shape(op, "prediction", pred, "target", target);
  const auto& gs = grad.value().shape();
  const auto& ps = pred.value().shape();
  if (!gs.empty() && gs != ps) {
    throw ShapeError(std::string(op) + ": the gradient of shape " + shape_str(gs) +
                     " must be 0-d or have the prediction's shape " + shape_str(ps));
  }
}

/// out[i] = kernel(g, y) over two buffers of one shape, in parallel chunks for large ones.
template <class T, class Kernel>
xt::xarray<T> binary_kernel(const char* op, const Tensor<T>& g, const Tensor<T>& y, Kernel k) {
  const auto& gv = g.value();
  xt::xarray<T> out = detail::uninitialized_array<T>(op, gv.shape());
  const T* pg = gv.data();
  const T* py = y.value().data();
  T* po = out.data();
  kernels::parallel_for(gv.size(), [&](std::size_t begin, std::size_t end) {
    k(pg + begin, py + begin, po + begin, end - begin);
  });
  return out;
}

/// softmax_backward and log_softmax_backward: the check and the kernel.
template <class T>
xt::xarray<T> softmax_backward_value(const char* op, const Tensor<T>& grad, const Tensor<T>& y,
                                     std::ptrdiff_t axis, kernels::SoftmaxKind kind,
                                     std::size_t& ax) {
  check_grad(op, grad, y, "the output");
  const auto& s = y.value().shape();
  ax = detail::normalize_axis(op, axis, s.size(), s);
  xt::xarray<T> out = detail::uninitialized_array<T>(op, s);
  if (out.size() != 0) {
    kernels::softmax_backward_axis(grad.value().data(), y.value().data(),
                                   detail::span_count(s, 0, ax), s[ax],
                                   detail::span_count(s, ax + 1, s.size()), out.data(), kind);
  }
  return out;
}

/// 1/x where log x is not clamped (x > e^-100), else 0, as operations.
template <class T>
Tensor<T> live_inverse(const Tensor<T>& x) {
  xt::xarray<bool> live = xt::log(x.value()) > T(kernels::kLogFloor);
  return xg::where(live, div(Tensor<T>::scalar(1), xg::where(live, x, Tensor<T>::scalar(1))),
                   Tensor<T>::scalar(0));
}

}  // namespace

XG_RULE_TEXT(sigmoid_backward,
             "out = g * y * (1 - y); dg = sigmoid_backward(gg, y), dy = gg * g * (1 - 2 y)");
template <class T>
Tensor<T> sigmoid_backward(const Tensor<T>& grad, const Tensor<T>& output) {
  check_grad("sigmoid_backward", grad, output, "the output");
  auto out = binary_kernel(
      "sigmoid_backward", grad, output,
      [](const T* g, const T* y, T* o, std::size_t n) { kernels::sigmoid_backward(g, y, o, n); });
  return record<T>("sigmoid_backward", std::move(out), {grad, output}, [](BackwardContext<T>& c) {
    const auto& g = c.inputs[0];
    const auto& y = c.inputs[1];
    if (c.needs(0)) c.input_grads[0] = sigmoid_backward(c.grad, y);
    if (c.needs(1)) c.input_grads[1] = mul(mul(c.grad, g), rsub(T(1), mul(y, T(2))));
  });
}

XG_RULE_TEXT(tanh_backward, "out = g * (1 - y^2); dg = tanh_backward(gg, y), dy = -2 gg * g * y");
template <class T>
Tensor<T> tanh_backward(const Tensor<T>& grad, const Tensor<T>& output) {
  check_grad("tanh_backward", grad, output, "the output");
  auto out = binary_kernel(
      "tanh_backward", grad, output,
      [](const T* g, const T* y, T* o, std::size_t n) { kernels::tanh_backward(g, y, o, n); });
  return record<T>("tanh_backward", std::move(out), {grad, output}, [](BackwardContext<T>& c) {
    const auto& g = c.inputs[0];
    const auto& y = c.inputs[1];
    if (c.needs(0)) c.input_grads[0] = tanh_backward(c.grad, y);
    if (c.needs(1)) c.input_grads[1] = mul(mul(c.grad, g), mul(y, T(-2)));
  });
}

XG_RULE_TEXT(threshold_backward,
             "out = g where x > threshold, else 0; dg = threshold_backward(gg, x), dx = 0");
template <class T>
Tensor<T> threshold_backward(const Tensor<T>& grad, const Tensor<T>& input, scalar_t<T> threshold) {
  check_grad("threshold_backward", grad, input, "the input");
  auto out = binary_kernel("threshold_backward", grad, input,
                           [threshold](const T* g, const T* x, T* o, std::size_t n) {
                             kernels::threshold_backward(g, x, threshold, o, n);
                           });
  // Flat in x almost everywhere (undefined at the threshold): x gets no gradient from here.
  return record<T>("threshold_backward", std::move(out), {grad, input},
                   [threshold](BackwardContext<T>& c) {
                     if (c.needs(0)) {
                       c.input_grads[0] = threshold_backward(c.grad, c.inputs[1], threshold);
                     }
                   });
}

namespace {
/// maximum_backward and minimum_backward: input's share of the extremum times the gradient.
template <bool kMax, class T>
Tensor<T> extremum_backward(const char* op, const Tensor<T>& grad, const Tensor<T>& input,
                            const Tensor<T>& other) {
  check_grad(op, grad, input, "the input");
  check_grad(op, grad, other, "the other input");
  xt::xarray<T> out = detail::uninitialized_array<T>(op, grad.value().shape());
  const T* g = grad.value().data();
  const T* a = input.value().data();
  const T* b = other.value().data();
  T* o = out.data();
  kernels::parallel_for(out.size(), [&](std::size_t begin, std::size_t end) {
    kernels::extremum_backward<kMax>(g + begin, a + begin, b + begin, o + begin, end - begin);
  });
  // Linear in the gradient, flat in both inputs almost everywhere (undefined where they tie).
  return record<T>(op, std::move(out), {grad, input, other}, [op](BackwardContext<T>& c) {
    if (c.needs(0)) {
      c.input_grads[0] = extremum_backward<kMax>(op, c.grad, c.inputs[1], c.inputs[2]);
    }
  });
}
}  // namespace

XG_RULE_TEXT(maximum_backward,
             "out = g where a > b (g / 2 where a = b, 0 where a < b); "
             "dg = maximum_backward(gg, a, b), da = db = 0");
template <class T>
Tensor<T> maximum_backward(const Tensor<T>& grad, const Tensor<T>& input, const Tensor<T>& other) {
  return extremum_backward<true>("maximum_backward", grad, input, other);
}

XG_RULE_TEXT(minimum_backward,
             "out = g where a < b (g / 2 where a = b, 0 where a > b); "
             "dg = minimum_backward(gg, a, b), da = db = 0");
template <class T>
Tensor<T> minimum_backward(const Tensor<T>& grad, const Tensor<T>& input, const Tensor<T>& other) {
  return extremum_backward<false>("minimum_backward", grad, input, other);
}

XG_RULE_TEXT(sqrt_backward, "out = g / (2 y); dg = sqrt_backward(gg, y), dy = -gg * out / y");
template <class T>
Tensor<T> sqrt_backward(const Tensor<T>& grad, const Tensor<T>& output) {
  check_grad("sqrt_backward", grad, output, "the output");
  // g / (2 sqrt(a)) is infinite at a = 0: the same error in every pass.
  detail::require_all(
      "sqrt backward", output.value(), [](T y) { return y != T(0); },
      "the derivative 1 / (2 sqrt(a)) is infinite at 0");
  auto out = binary_kernel(
      "sqrt_backward", grad, output,
      [](const T* g, const T* y, T* o, std::size_t n) { kernels::sqrt_backward(g, y, o, n); });
  return record<T>("sqrt_backward", std::move(out), {grad, output}, [](BackwardContext<T>& c) {
    const auto& y = c.inputs[1];
    if (c.needs(0)) c.input_grads[0] = sqrt_backward(c.grad, y);
    if (c.needs(1)) c.input_grads[1] = neg(div(mul(c.grad, c.output), y));
  });
}

XG_RULE_TEXT(elu_backward,
             "out = g where x > 0, else g (y + alpha); dg = elu_backward(gg, x, y), dx = 0, "
             "dy = gg g where x <= 0");
template <class T>
Tensor<T> elu_backward(const Tensor<T>& grad, const Tensor<T>& input, const Tensor<T>& output,
                       scalar_t<T> alpha) {
  check_grad("elu_backward", grad, input, "the input");
  check_grad("elu_backward", grad, output, "the output");
  const auto& gv = grad.value();
  xt::xarray<T> out = detail::uninitialized_array<T>("elu_backward", gv.shape());
  const T* pg = gv.data();
  const T* px = input.value().data();
  const T* py = output.value().data();
  T* po = out.data();
  kernels::parallel_for(gv.size(), [&](std::size_t b, std::size_t e) {
    kernels::elu_backward(pg + b, px + b, py + b, T(alpha), po + b, e - b);
  });
  // Flat in x almost everywhere (the choice of branch), linear in y where x <= 0.
  return record<T>(
      "elu_backward", std::move(out), {grad, input, output}, [alpha](BackwardContext<T>& c) {
        const auto& x = c.inputs[1];
        if (c.needs(0)) c.input_grads[0] = elu_backward(c.grad, x, c.inputs[2], alpha);
        if (c.needs(2)) {
          c.input_grads[2] =
              mul(mul(c.grad, c.inputs[0]),
                  detail::constant_map(x.value(), [](T v) { return v > T(0) ? T(0) : T(1); }));
        }
      });
}

XG_RULE_TEXT(softplus_backward,
             "out = g where beta x > threshold, else g sigmoid(beta x); "
             "dg = softplus_backward(gg, x), dx = gg g beta s (1 - s) with s = sigmoid(beta x) "
             "where beta x <= threshold, else 0");
template <class T>
Tensor<T> softplus_backward(const Tensor<T>& grad, const Tensor<T>& input, scalar_t<T> beta,
                            scalar_t<T> threshold) {
  check_grad("softplus_backward", grad, input, "the input");
  auto out = binary_kernel("softplus_backward", grad, input,
                           [beta, threshold](const T* g, const T* x, T* o, std::size_t n) {
                             kernels::softplus_backward(g, x, o, n, T(beta), T(threshold));
                           });
  return record<T>(
      "softplus_backward", std::move(out), {grad, input}, [beta, threshold](BackwardContext<T>& c) {
        const auto& g = c.inputs[0];
        const auto& x = c.inputs[1];
        if (c.needs(0)) c.input_grads[0] = softplus_backward(c.grad, x, beta, threshold);
        if (c.needs(1)) {
          const Tensor<T> s = sigmoid(mul(x, beta));
          const Tensor<T> smooth = detail::constant_map(x.value(), [beta, threshold](T v) {
            return T(beta) * v > T(threshold) ? T(0) : T(1);
          });
          c.input_grads[1] = mul(mul(mul(c.grad, g), smooth), mul(mul(s, rsub(T(1), s)), beta));
        }
      });
}

namespace {
/// gelu''(x) as operations (so that it can be differentiated again), of x limited to
/// [-40, 40] as in kernels/gelu.hpp (the terms are exactly 0 beyond). Exact form:
/// phi(x) (2 - x^2); tanh form: (1 - t^2) (u' + x (u'' - 2 t u'^2) / 2), t = tanh(u),
/// u = k (x + c x^3).
template <class T>
Tensor<T> gelu_second_derivative(const Tensor<T>& input, bool tanh_form) {
  const T limit = T(kernels::kGeluLimit);
  const Tensor<T> x = clamp(input, -limit, limit);
  const Tensor<T> x2 = mul(x, x);
  if (!tanh_form) {
    const Tensor<T> pdf = mul(exp(mul(x2, T(-0.5))), T(kernels::kInvSqrt2Pi));
    return mul(pdf, rsub(T(2), x2));
  }
  const T k = T(kernels::kSqrt2OverPi), c = T(kernels::kGeluCubic);
  const Tensor<T> t = tanh(mul(add(x, mul(mul(x2, x), c)), k));
  const Tensor<T> du = mul(add(mul(x2, T(3) * c), T(1)), k);
  const Tensor<T> ddu = mul(x, T(6) * k * c);
  const Tensor<T> inner = sub(ddu, mul(mul(t, mul(du, du)), T(2)));
  return mul(rsub(T(1), mul(t, t)), add(du, mul(mul(x, inner), T(0.5))));
}
}  // namespace

XG_RULE_TEXT(gelu_backward,
             "out = g gelu'(x); dg = gelu_backward(gg, x), dx = gg g gelu''(x) (exact form: "
             "gelu'' = phi(x) (2 - x^2))");
template <class T>
Tensor<T> gelu_backward(const Tensor<T>& grad, const Tensor<T>& input,
                        GeluApproximation approximate) {
  check_grad("gelu_backward", grad, input, "the input");
  const bool tanh_form = approximate == GeluApproximation::tanh;
  auto out = binary_kernel("gelu_backward", grad, input,
                           [tanh_form](const T* g, const T* x, T* o, std::size_t n) {
                             for (std::size_t i = 0; i < n; ++i) {
                               o[i] = g[i] * kernels::gelu_derivative(x[i], tanh_form);
                             }
                           });
  return record<T>(
      "gelu_backward", std::move(out), {grad, input}, [approximate](BackwardContext<T>& c) {
        const auto& g = c.inputs[0];
        const auto& x = c.inputs[1];
        if (c.needs(0)) c.input_grads[0] = gelu_backward(c.grad, x, approximate);
        if (c.needs(1)) {
          c.input_grads[1] = mul(mul(c.grad, g),
                                 gelu_second_derivative(x, approximate == GeluApproximation::tanh));
        }
      });
}

XG_RULE_TEXT(softmax_backward,
             "out = y (g - sum(g y)) along the axis; dg = softmax_backward(gg, y), "
             "dy = gg (g - sum(g y)) - g sum(gg y)");
template <class T>
Tensor<T> softmax_backward(const Tensor<T>& grad, const Tensor<T>& output, std::ptrdiff_t axis) {
  std::size_t ax = 0;
  auto out = softmax_backward_value("softmax_backward", grad, output, axis,
                                    kernels::SoftmaxKind::softmax, ax);
  return record<T>("softmax_backward", std::move(out), {grad, output}, [ax](BackwardContext<T>& c) {
    const auto a = static_cast<std::ptrdiff_t>(ax);
    const auto& g = c.inputs[0];
    const auto& y = c.inputs[1];
    if (c.needs(0)) c.input_grads[0] = softmax_backward(c.grad, y, a);
    if (c.needs(1)) {
      c.input_grads[1] =
          sub(mul(c.grad, sub(g, sum(mul(g, y), a, true))), mul(g, sum(mul(c.grad, y), a, true)));
    }
  });
}

XG_RULE_TEXT(log_softmax_backward,
             "out = g - e^y sum(g) along the axis; dg = gg - sum(gg e^y), "
             "dy = -gg e^y sum(g)");
template <class T>
Tensor<T> log_softmax_backward(const Tensor<T>& grad, const Tensor<T>& output,
                               std::ptrdiff_t axis) {
  std::size_t ax = 0;
  auto out = softmax_backward_value("log_softmax_backward", grad, output, axis,
                                    kernels::SoftmaxKind::log_softmax, ax);
  return record<T>("log_softmax_backward", std::move(out), {grad, output},
                   [ax](BackwardContext<T>& c) {
                     const auto a = static_cast<std::ptrdiff_t>(ax);
                     const auto& g = c.inputs[0];
                     const Tensor<T> p = exp(c.inputs[1]);
                     if (c.needs(0)) c.input_grads[0] = sub(c.grad, sum(mul(c.grad, p), a, true));
                     if (c.needs(1)) c.input_grads[1] = neg(mul(mul(c.grad, p), sum(g, a, true)));
                   });
}

XG_RULE_TEXT(abs_backward, "out = g * sign(x); dg = abs_backward(gg, x), dx = 0");
template <class T>
Tensor<T> abs_backward(const Tensor<T>& grad, const Tensor<T>& input) {
  check_grad("abs_backward", grad, input, "the input");
  auto out = binary_kernel(
      "abs_backward", grad, input,
      [](const T* g, const T* x, T* o, std::size_t n) { kernels::abs_backward(g, x, o, n); });
  // sign(x) is flat almost everywhere: x gets no gradient from here.
  return record<T>("abs_backward", std::move(out), {grad, input}, [](BackwardContext<T>& c) {
    if (c.needs(0)) c.input_grads[0] = abs_backward(c.grad, c.inputs[1]);
  });
}

XG_RULE_TEXT(logsumexp_backward,
             "out = g softmax(a) along the axis (g has the axis at 1); dg = sum(gg softmax(a)), "
             "da = softmax_backward(gg g, softmax(a))");
template <class T>
Tensor<T> logsumexp_backward(const Tensor<T>& grad, const Tensor<T>& input, std::ptrdiff_t axis) {
  const char* op = "logsumexp_backward";
  require_defined(op, grad);
  require_defined(op, input);
  const auto& s = input.value().shape();
  const std::size_t ax = detail::normalize_axis(op, axis, s.size(), s);
  detail::array_shape reduced(s);
  reduced[ax] = 1;
  if (grad.value().shape() != reduced) {
    throw ShapeError(std::string(op) + ": the gradient of shape " +
                     shape_str(grad.value().shape()) + " must have the input's shape " +
                     shape_str(s) + " with axis " + std::to_string(ax) + " at 1, " +
                     shape_str(reduced));
  }
  xt::xarray<T> out = detail::uninitialized_array<T>(op, s);
  if (out.size() != 0) {
    kernels::logsumexp_backward_axis(grad.value().data(), input.value().data(),
                                     detail::span_count(s, 0, ax), s[ax],
                                     detail::span_count(s, ax + 1, s.size()), out.data());
  }
  return record<T>(op, std::move(out), {grad, input}, [ax](BackwardContext<T>& c) {
    const auto a = static_cast<std::ptrdiff_t>(ax);
    const Tensor<T> p = softmax(c.inputs[1], a);
    if (c.needs(0)) c.input_grads[0] = sum(mul(c.grad, p), a, true);
    if (c.needs(1)) c.input_grads[1] = softmax_backward(mul(c.grad, c.inputs[0]), p, a);
  });
}

XG_RULE_TEXT(mse_loss_backward,
             "out = 2 s g (p - t); dg = 2 s gg (p - t), dp = 2 s gg g, dt = -dp");
template <class T>
Tensor<T> mse_loss_backward(const Tensor<T>& grad, const Tensor<T>& pred, const Tensor<T>& target,
                            scalar_t<T> scale) {
  check_loss_grad("mse_loss_backward", grad, pred, target);
  const auto& pv = pred.value();
  xt::xarray<T> out = detail::uninitialized_array<T>("mse_loss_backward", pv.shape());
  kernels::squared_error_backward(grad.value().data(), grad.size(), T(scale), pv.data(),
                                  target.value().data(), out.data(), out.size());
  const T two_scale = T(2) * scale;
  return record<T>("mse_loss_backward", std::move(out), {grad, pred, target},
                   [two_scale](BackwardContext<T>& c) {
                     const auto& g = c.inputs[0];
                     // The engine sums dg back to g's shape when g was 0-d.
                     if (c.needs(0)) {
                       c.input_grads[0] =
                           mul(mul(c.grad, sub(c.inputs[1], c.inputs[2])), two_scale);
                     }
                     if (!c.needs(1) && !c.needs(2)) return;
                     const Tensor<T> dp = mul(mul(c.grad, g), two_scale);
                     if (c.needs(1)) c.input_grads[1] = dp;
                     if (c.needs(2)) c.input_grads[2] = neg(dp);
                   });
}

XG_RULE_TEXT(bce_loss_backward,
             "out = s g ((1 - t) / (1 - p) - t / p); dg = s gg ((1 - t) / (1 - p) - t / p), "
             "dp = s gg g ((1 - t) / (1 - p)^2 + t / p^2), dt = -s gg g (1 / (1 - p) + 1 / p); "
             "1/x is 0 where log x is clamped at -100");
template <class T>
Tensor<T> bce_loss_backward(const Tensor<T>& grad, const Tensor<T>& prob, const Tensor<T>& target,
                            scalar_t<T> scale) {
  check_loss_grad("bce_loss_backward", grad, prob, target);
  const auto& pv = prob.value();
  xt::xarray<T> out = detail::uninitialized_array<T>("bce_loss_backward", pv.shape());
  kernels::binary_cross_entropy_backward(grad.value().data(), grad.size(), T(scale), pv.data(),
                                         target.value().data(), out.data(), out.size());
  return record<T>(
      "bce_loss_backward", std::move(out), {grad, prob, target}, [scale](BackwardContext<T>& c) {
        const auto& g = c.inputs[0];
        const auto& p = c.inputs[1];
        const auto& t = c.inputs[2];
        if (c.needs(0)) c.input_grads[0] = bce_loss_backward(c.grad, p, t, scale);
        if (!c.needs(1) && !c.needs(2)) return;
        const Tensor<T> k = mul(mul(c.grad, g), scale);
        const Tensor<T> inv_q = live_inverse(rsub(T(1), p));
        const Tensor<T> inv_p = live_inverse(p);
        if (c.needs(1)) {
          c.input_grads[1] =
              mul(k, add(mul(rsub(T(1), t), mul(inv_q, inv_q)), mul(t, mul(inv_p, inv_p))));
        }
        if (c.needs(2)) c.input_grads[2] = neg(mul(k, add(inv_q, inv_p)));
      });
}

#define XG_INSTANTIATE(T)                                                                      \
  template Tensor<T> sigmoid_backward(const Tensor<T>&, const Tensor<T>&);                     \
  template Tensor<T> tanh_backward(const Tensor<T>&, const Tensor<T>&);                        \
  template Tensor<T> threshold_backward(const Tensor<T>&, const Tensor<T>&, scalar_t<T>);      \
  template Tensor<T> sqrt_backward(const Tensor<T>&, const Tensor<T>&);                        \
  template Tensor<T> maximum_backward(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);   \
  template Tensor<T> minimum_backward(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);   \
  template Tensor<T> elu_backward(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,        \
                                  scalar_t<T>);                                                \
  template Tensor<T> softplus_backward(const Tensor<T>&, const Tensor<T>&, scalar_t<T>,        \
                                       scalar_t<T>);                                           \
  template Tensor<T> gelu_backward(const Tensor<T>&, const Tensor<T>&, GeluApproximation);     \
  template Tensor<T> softmax_backward(const Tensor<T>&, const Tensor<T>&, std::ptrdiff_t);     \
  template Tensor<T> log_softmax_backward(const Tensor<T>&, const Tensor<T>&, std::ptrdiff_t); \
  template Tensor<T> abs_backward(const Tensor<T>&, const Tensor<T>&);                         \
  template Tensor<T> logsumexp_backward(const Tensor<T>&, const Tensor<T>&, std::ptrdiff_t);   \
  template Tensor<T> mse_loss_backward(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,   \
                                       scalar_t<T>);                                           \
  template Tensor<T> bce_loss_backward(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,   \
                                       scalar_t<T>);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
