// Elementwise operations. Backward rules are written with operations: with create_graph they
// are recorded too and second derivatives come for free; without it grad mode is off during
// backward and the same calls just compute values.
#include "xgrad/ops/elementwise.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>

#include "kernels/buffer.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/math.hpp"
#include "ops/constant_map.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/detail/checked_shape.hpp"
#include "xgrad/ops/backward.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::broadcast_shape;
using detail::constant;
using detail::num_str;
using detail::require_all;
using detail::require_defined;

/// The shared check of a binary elementwise op: both defined, and shapes that broadcast to a
/// shape that can exist (checked before anything is allocated).
template <class T>
void check_binary(const char* op, const Tensor<T>& a, const Tensor<T>& b) {
  require_defined(op, a);
  require_defined(op, b);
  if (a.value().shape() != b.value().shape()) {
    detail::checked_element_count(op, broadcast_shape(op, a.value().shape(), b.value().shape()),
                                  sizeof(T));
  }
}

/// Why a^p is not a real number, or nullptr: a negative base needs an integer exponent, a zero
/// base a non-negative one. NaN in either propagates.
template <class T>
const char* pow_domain_error(T a, T p) {
  if (a < 0 && std::isfinite(p) && std::floor(p) != p)
    return "a negative base needs an integer exponent";
  if (a == 0 && p < 0) return "a zero base needs a non-negative exponent (division by zero)";
  return nullptr;
}

/// The derivative of a^p with respect to a, p a^(p-1), is infinite at a = 0 for 0 < p < 1.
template <class T>
bool pow_base_derivative_infinite(T a, T p) {
  return a == 0 && p > 0 && p < 1;
}

template <class T>
[[noreturn]] void throw_pow_error(const char* op, const char* why, T a, T p,
                                  const detail::array_shape& a_shape,
                                  const detail::array_shape& p_shape) {
  throw DomainError(std::string(op) + ": base " + num_str(a) + " with exponent " + num_str(p) +
                    " (inputs of shapes " + shape_str(a_shape) + " and " + shape_str(p_shape) +
                    "): " + why);
}

}  // namespace

XG_RULE_TEXT(add, "out = a + b; da = g, db = g");
template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("add", a, b);
  return record<T>(
      "add", kernels::broadcast_apply("add", a.value(), b.value(), std::plus<T>()), {a, b},
      [](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = c.grad;
        if (c.needs(1)) c.input_grads[1] = c.grad;
      },
      GradShape::broadcast, Saves::nothing());
}

XG_RULE_TEXT(sub, "out = a - b; da = g, db = -g");
template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("sub", a, b);
  return record<T>(
      "sub", kernels::broadcast_apply("sub", a.value(), b.value(), std::minus<T>()), {a, b},
      [](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = c.grad;
        if (c.needs(1)) c.input_grads[1] = neg(c.grad);
      },
      GradShape::broadcast, Saves::nothing());
}

/// g * inputs[other], the gradient of the factor inputs[self] of a product. Where that factor
/// was broadcast and g and the other factor have the output's shape, the product is summed down
/// to the factor's shape as it is made (mul_sum_to) instead of being written out for the engine
/// to sum.
template <class T>
Tensor<T> factor_grad(const BackwardContext<T>& c, std::size_t other, std::size_t self) {
  const auto& out_shape = c.output.value().shape();
  const Tensor<T>& factor = c.inputs[self];
  if (factor.value().shape() != out_shape && c.grad.value().shape() == out_shape &&
      c.inputs[other].value().shape() == out_shape) {
    return mul_sum_to(c.grad, c.inputs[other], factor.shape());
  }
  return mul(c.grad, c.inputs[other]);
}

XG_RULE_TEXT(mul, "out = a * b; da = g * b, db = g * a");
template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("mul", a, b);
  return record<T>(
      "mul", kernels::broadcast_apply("mul", a.value(), b.value(), std::multiplies<T>()), {a, b},
      [](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = factor_grad(c, 1, 0);
        if (c.needs(1)) {
          // a * a: g * a twice, one product handed to both (the engine adds them).
          const bool square = c.needs(0) && detail::NodeAccess<T>::get(c.inputs[0]) ==
                                                detail::NodeAccess<T>::get(c.inputs[1]);
          c.input_grads[1] = square ? c.input_grads[0] : factor_grad(c, 0, 1);
        }
      },
      GradShape::broadcast);
}

XG_RULE_TEXT(div, "out = a / b; da = g / b, db = -g * a / b^2");
template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("div", a, b);
  require_all(
      "div", b.value(), [](T x) { return x != T(0); }, "division by zero");
  return record<T>(
      "div", kernels::broadcast_apply("div", a.value(), b.value(), std::divides<T>()), {a, b},
      [](BackwardContext<T>& c) {
        // db = -g a / b^2 = -(g / b) (a / b): one division, shared with da.
        const Tensor<T> g_over_b = div(c.grad, c.inputs[1]);
        if (c.needs(0)) c.input_grads[0] = g_over_b;
        // Negated after summing down to b's shape, where b was broadcast.
        if (c.needs(1)) {
          const auto& b_shape = c.inputs[1].shape();
          c.input_grads[1] = neg(g_over_b.value().shape() == c.output.value().shape()
                                     ? mul_sum_to(g_over_b, c.output, b_shape)
                                     : sum_to(mul(g_over_b, c.output), b_shape));
        }
      },
      GradShape::broadcast);
}

XG_RULE_TEXT(neg, "out = -a; da = -g");
template <class T>
Tensor<T> neg(const Tensor<T>& a) {
  require_defined("neg", a);
  return record<T>(
      "neg", kernels::map_values("neg", a.value(), [](T x) { return -x; }), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = neg(c.grad); }, GradShape::broadcast,
      Saves::nothing());
}

template <class T>
Tensor<T> div(const Tensor<T>& a, scalar_t<T> s) {
  require_defined("div", a);
  if (s == T(0)) {
    throw DomainError("div: division by zero (a tensor of shape " + shape_str(a.value().shape()) +
                      " divided by the scalar " + num_str(s) + ")");
  }
  return record<T>(
      "div_scalar", kernels::map_values("div_scalar", a.value(), [s](T x) { return x / s; }), {a},
      [s](BackwardContext<T>& c) { c.input_grads[0] = div(c.grad, s); }, GradShape::broadcast,
      Saves::nothing());
}

XG_RULE_TEXT(add_scalar, "out = a + c; da = g");
template <class T>
Tensor<T> add(const Tensor<T>& a, scalar_t<T> s) {
  require_defined("add", a);
  return record<T>(
      "add_scalar", kernels::map_values("add_scalar", a.value(), [s](T x) { return x + s; }), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = c.grad; }, GradShape::broadcast,
      Saves::nothing());
}

XG_RULE_TEXT(mul_scalar, "out = c * a; da = c * g");
template <class T>
Tensor<T> mul(const Tensor<T>& a, scalar_t<T> s) {
  require_defined("mul", a);
  return record<T>(
      "mul_scalar", kernels::map_values("mul_scalar", a.value(), [s](T x) { return x * s; }), {a},
      [s](BackwardContext<T>& c) { c.input_grads[0] = mul(c.grad, s); }, GradShape::broadcast,
      Saves::nothing());
}

XG_RULE_TEXT(rsub_scalar, "out = c - a; da = -g");
template <class T>
Tensor<T> rsub(scalar_t<T> s, const Tensor<T>& a) {
  require_defined("rsub", a);
  return record<T>(
      "rsub_scalar", kernels::map_values("rsub_scalar", a.value(), [s](T x) { return s - x; }), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = neg(c.grad); }, GradShape::broadcast,
      Saves::nothing());
}

XG_RULE_TEXT(rdiv_scalar, "out = c / a; da = -g * c / a^2");
template <class T>
Tensor<T> rdiv(scalar_t<T> s, const Tensor<T>& a) {
  require_defined("rdiv", a);
  require_all(
      "rdiv", a.value(), [](T x) { return x != T(0); }, "division by zero");
  return record<T>(
      "rdiv_scalar", kernels::map_values("rdiv", a.value(), [s](T x) { return s / x; }), {a},
      [](BackwardContext<T>& c) {
        // d(s/a)/da = -s/a^2 = -out/a
        c.input_grads[0] = neg(div(mul(c.grad, c.output), c.inputs[0]));
      },
      GradShape::broadcast);
}

XG_RULE_TEXT(pow_scalar, "out = a^p; da = g * p * a^(p-1)");
template <class T>
Tensor<T> pow(const Tensor<T>& a, scalar_t<T> p) {
  require_defined("pow", a);
  const auto& sa = a.value().shape();
  xt::xarray<T> out = kernels::map_values("pow_scalar", a.value(), [&](T x) {
    if (const char* why = pow_domain_error(x, p)) {
      throw_pow_error("pow", why, x, p, sa, detail::array_shape{});
    }
    return std::pow(x, p);
  });
  return record<T>("pow_scalar", std::move(out), {a}, [p](BackwardContext<T>& c) {
    const auto& a = c.inputs[0];
    if (p == T(0)) {
      c.input_grads[0] = mul(c.grad, T(0));
      return;
    }
    if (p == T(1)) {
      c.input_grads[0] = c.grad;
      return;
    }
    for (const T x : a.value()) {
      if (pow_base_derivative_infinite(x, p)) {
        throw_pow_error("pow backward", "the derivative p a^(p-1) is infinite at a zero base", x, p,
                        a.value().shape(), detail::array_shape{});
      }
    }
    // At a = 0 (p > 1 here) a^(p-1) is 0, a real number: pow of the base is safe.
    c.input_grads[0] = mul(c.grad, mul(pow(a, p - T(1)), p));
  });
}

XG_RULE_TEXT(pow, "out = a^b; da = g * b * a^(b-1), db = g * a^b * ln(a)");
template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("pow", a, b);
  const auto& sa = a.value().shape();
  const auto& sb = b.value().shape();
  xt::xarray<T> out = kernels::broadcast_apply("pow", a.value(), b.value(), [&](T x, T y) {
    if (const char* why = pow_domain_error(x, y)) throw_pow_error("pow", why, x, y, sa, sb);
    return std::pow(x, y);
  });
  return record<T>("pow", std::move(out), {a, b}, [](BackwardContext<T>& c) {
    const auto& a = c.inputs[0];
    const auto& b = c.inputs[1];
    const auto& av = a.value();
    const auto& bv = b.value();
    if (c.needs(0)) {
      // b a^(b-1), with a^(b-1) taken of a base moved off 0 (where it may be infinite) and the
      // exact value at a = 0 restored by a mask: 0 for b > 1 or b = 0, 1 for b = 1.
      const xt::xarray<T> off_zero =
          kernels::broadcast_apply("pow backward", av, bv, [&](T x, T y) {
            if (pow_base_derivative_infinite(x, y)) {
              throw_pow_error("pow backward", "the derivative b a^(b-1) is infinite at a zero base",
                              x, y, av.shape(), bv.shape());
            }
            return x == 0 && y > 1 ? T(0) : T(1);
          });
      xt::xarray<bool> zero_base = xt::equal(av, T(0));
      const Tensor<T> safe_a = xg::where(zero_base, Tensor<T>::scalar(1), a);
      c.input_grads[0] = mul(c.grad, mul(constant<T>(xt::xarray<T>(off_zero)),
                                         mul(b, pow(safe_a, sub(b, Tensor<T>::scalar(1))))));
    }
    if (c.needs(1)) {
      // a^b ln a; a = 0 contributes 0 (the limit for b > 0), as in PyTorch.
      require_all(
          "pow backward", av, [](T x) { return !(x < 0); },
          "the derivative with respect to the exponent, a^b ln(a), is undefined for a negative "
          "base");
      xt::xarray<bool> positive = av > T(0);
      const Tensor<T> safe_a = xg::where(positive, a, Tensor<T>::scalar(1));
      c.input_grads[1] = mul(c.grad, mul(c.output, log(safe_a)));
    }
  });
}

XG_RULE_TEXT(exp, "out = e^a; da = g * out");
template <class T>
Tensor<T> exp(const Tensor<T>& a) {
  require_defined("exp", a);
  return record<T>(
      "exp",
      kernels::kernel_values("exp", a.value(),
                             [](const T* x, T* o, std::size_t n) { kernels::exp(x, o, n); }),
      {a}, [](BackwardContext<T>& c) { c.input_grads[0] = mul(c.grad, c.output); },
      GradShape::broadcast, Saves::result());
}

XG_RULE_TEXT(log, "out = ln(a); da = g / a");
template <class T>
Tensor<T> log(const Tensor<T>& a) {
  require_defined("log", a);
  require_all(
      "log", a.value(), [](T x) { return !(x <= T(0)); }, "log needs positive values");
  return record<T>(
      "log",
      kernels::kernel_values("log", a.value(),
                             [](const T* x, T* o, std::size_t n) { kernels::log(x, o, n); }),
      {a}, [](BackwardContext<T>& c) { c.input_grads[0] = div(c.grad, c.inputs[0]); },
      GradShape::broadcast, Saves::input(0));
}

XG_RULE_TEXT(sqrt, "out = sqrt(a); da = sqrt_backward(g, out) = g / (2 * out)");
template <class T>
Tensor<T> sqrt(const Tensor<T>& a) {
  require_defined("sqrt", a);
  require_all(
      "sqrt", a.value(), [](T x) { return !(x < T(0)); }, "sqrt needs non-negative values");
  return record<T>(
      "sqrt", kernels::map_values("sqrt", a.value(), [](T x) { return std::sqrt(x); }), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = sqrt_backward(c.grad, c.output); },
      Saves::result());
}

XG_RULE_TEXT(abs, "out = |a|; da = abs_backward(g, a) = g * sign(a)");
template <class T>
Tensor<T> abs(const Tensor<T>& a) {
  require_defined("abs", a);
  return record<T>(
      "abs", kernels::map_values("abs", a.value(), [](T x) { return std::abs(x); }), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = abs_backward(c.grad, c.inputs[0]); },
      Saves::input(0));
}

XG_RULE_TEXT(clamp, "out = min(max(a, lo), hi); da = g where lo <= a <= hi, else 0");
template <class T>
Tensor<T> clamp(const Tensor<T>& a, scalar_t<T> lo, scalar_t<T> hi) {
  require_defined("clamp", a);
  if (lo > hi) {
    throw DomainError("clamp: lower bound " + std::to_string(lo) + " exceeds upper bound " +
                      std::to_string(hi));
  }
  // NaN stays NaN: both comparisons are false for it.
  auto clamp_one = [lo, hi](T x) { return x < lo ? T(lo) : (x > hi ? T(hi) : x); };
  return record<T>(
      "clamp", kernels::map_values("clamp", a.value(), clamp_one), {a},
      [lo, hi](BackwardContext<T>& c) {
        auto inside = [lo, hi](T x) { return x >= lo && x <= hi ? T(1) : T(0); };
        c.input_grads[0] = mul(c.grad, detail::constant_map(c.inputs[0].value(), inside));
      },
      Saves::input(0));
}

namespace {
/// Shared by maximum and minimum (kMax picks which): NaN in either input gives NaN, as in
/// PyTorch. Gradients as PyTorch's derivatives.yaml: the winner gets g, ties g/2 each, and where
/// a NaN is involved both inputs get g.
template <bool kMax, class T>
Tensor<T> select_extreme(const char* op, const Tensor<T>& a, const Tensor<T>& b) {
  check_binary(op, a, b);
  auto pick = [](T x, T y) {
    if (x != x || y != y) return x != x ? x : y;
    return (kMax ? x < y : y < x) ? y : x;
  };
  return record<T>(
      op, kernels::broadcast_apply(op, a.value(), b.value(), pick), {a, b},
      [op](BackwardContext<T>& c) {
        // Share of the gradient of the input `first` against `other`.
        auto share = [](T first, T other) {
          if (kMax ? first < other : first > other) return T(0);
          return first == other ? T(0.5) : T(1);
        };
        const auto& av = c.inputs[0].value();
        const auto& bv = c.inputs[1].value();
        if (av.shape() == bv.shape() && c.grad.value().shape() == av.shape()) {
          // No broadcast: one pass per input through the backward op.
          auto backward = [](const Tensor<T>& g, const Tensor<T>& x, const Tensor<T>& y) {
            if constexpr (kMax) {
              return maximum_backward(g, x, y);
            } else {
              return minimum_backward(g, x, y);
            }
          };
          if (c.needs(0)) c.input_grads[0] = backward(c.grad, c.inputs[0], c.inputs[1]);
          if (c.needs(1)) c.input_grads[1] = backward(c.grad, c.inputs[1], c.inputs[0]);
          return;
        }
        if (c.needs(0)) {
          c.input_grads[0] = mul(c.grad, constant<T>(kernels::broadcast_apply(op, av, bv, share)));
        }
        if (c.needs(1)) {
          c.input_grads[1] = mul(c.grad, constant<T>(kernels::broadcast_apply(
                                             op, av, bv, [&](T x, T y) { return share(y, x); })));
        }
      });
}
}  // namespace

XG_RULE_TEXT(maximum,
             "out = max(a, b); da = maximum_backward(g, a, b), db = maximum_backward(g, b, a)");
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
  return select_extreme<true>("maximum", a, b);
}

XG_RULE_TEXT(minimum,
             "out = min(a, b); da = minimum_backward(g, a, b), db = minimum_backward(g, b, a)");
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
  return select_extreme<false>("minimum", a, b);
}

XG_RULE_TEXT(where, "out = cond ? a : b; da = g where cond, db = g where not cond");
template <class T>
Tensor<T> where(const xt::xarray<bool>& cond, const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("where", a, b);
  xt::xarray<T> out = detail::uninitialized_array<T>(
      "where", broadcast_shape("where", cond.shape(),
                               broadcast_shape("where", a.value().shape(), b.value().shape())));
  const auto& av = a.value();
  const auto& bv = b.value();
  const bool a_full = av.shape() == out.shape(), b_full = bv.shape() == out.shape();
  if (cond.shape() == out.shape() && (a_full || av.size() == 1) && (b_full || bv.size() == 1)) {
    // The common cases as one loop: operands of the result's shape, or single values.
    const bool* pc = cond.data();
    const T* pa = av.data();
    const T* pb = bv.data();
    T* po = out.data();
    const std::size_t sa = a_full ? 1 : 0, sb = b_full ? 1 : 0;
    kernels::parallel_for(out.size(), [pc, pa, pb, po, sa, sb](std::size_t begin, std::size_t end) {
      const bool* c = pc;
      const T* x = pa;
      const T* y = pb;
      T* o = po;
      const std::size_t step_a = sa, step_b = sb;
      for (std::size_t i = begin; i < end; ++i) {
        const T u = x[i * step_a], v = y[i * step_b];
        o[i] = c[i] ? u : v;
      }
    });
  } else {
    xt::noalias(out) = xt::where(cond, av, bv);
  }
  return record<T>(
      "where", std::move(out), {a, b},
      [cond](BackwardContext<T>& c) {
        xt::xarray<T> take_a = detail::uninitialized_array<T>("where backward", cond.shape());
        const bool* pc = cond.data();
        T* pt = take_a.data();
        kernels::parallel_for(cond.size(), [pc, pt](std::size_t begin, std::size_t end) {
          const bool* c = pc;
          T* t = pt;
          for (std::size_t i = begin; i < end; ++i) t[i] = c[i] ? T(1) : T(0);
        });
        if (c.needs(1)) {
          c.input_grads[1] =
              mul(c.grad, detail::constant_map(take_a, [](T t) { return T(1) - t; }));
        }
        if (c.needs(0)) c.input_grads[0] = mul(c.grad, constant<T>(std::move(take_a)));
      },
      Saves::nothing());
}

#define XG_INSTANTIATE(T)                                               \
  template Tensor<T> add(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> sub(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> mul(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> div(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> neg(const Tensor<T>&);                             \
  template Tensor<T> div(const Tensor<T>&, scalar_t<T>);                \
  template Tensor<T> add(const Tensor<T>&, scalar_t<T>);                \
  template Tensor<T> mul(const Tensor<T>&, scalar_t<T>);                \
  template Tensor<T> rsub(scalar_t<T>, const Tensor<T>&);               \
  template Tensor<T> rdiv(scalar_t<T>, const Tensor<T>&);               \
  template Tensor<T> pow(const Tensor<T>&, scalar_t<T>);                \
  template Tensor<T> pow(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> exp(const Tensor<T>&);                             \
  template Tensor<T> log(const Tensor<T>&);                             \
  template Tensor<T> sqrt(const Tensor<T>&);                            \
  template Tensor<T> abs(const Tensor<T>&);                             \
  template Tensor<T> clamp(const Tensor<T>&, scalar_t<T>, scalar_t<T>); \
  template Tensor<T> maximum(const Tensor<T>&, const Tensor<T>&);       \
  template Tensor<T> minimum(const Tensor<T>&, const Tensor<T>&);       \
  template Tensor<T> where(const xt::xarray<bool>&, const Tensor<T>&, const Tensor<T>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
