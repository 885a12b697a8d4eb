// Elementwise operations. Backward rules are written with tensor operations, so that with
// create_graph they are recorded too and second derivatives come for free; without it grad
// mode is off during backward and the same calls just compute values.
#include "xgrad/ops/elementwise.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "util.hpp"
#include "xgrad/detail/value_cache.hpp"

namespace xg {

namespace {

using detail::broadcast_shape;
using detail::constant;
using detail::num_str;
using detail::require_defined;

/// f of every value of a, as one loop into a buffer of a's shape (xtensor's expression
/// machinery costs more than the arithmetic for the small tensors of a scalar chain).
template <class T, class F>
xt::xarray<T> map_values(const xt::xarray<T>& a, F f) {
  xt::xarray<T> out = detail::uninitialized_array<T>(a.shape());
  const T* in = a.data();
  T* o = out.data();
  for (std::size_t i = 0, n = a.size(); i < n; ++i) o[i] = f(in[i]);
  return out;
}

template <class T>
void check_binary(const char* op, const Tensor<T>& a, const Tensor<T>& b) {
  require_defined(op, a);
  require_defined(op, b);
  if (a.value().shape() != b.value().shape())
    broadcast_shape(op, a.value().shape(), b.value().shape());
}

/// a (op) b with NumPy broadcasting. Equal shapes and the common "repeat over the leading axes"
/// case (bias adds, scalars) run as plain loops over the contiguous buffers; xtensor's general
/// broadcasting is many times slower there. Shapes are already checked.
template <class T, class Op>
xt::xarray<T> broadcast_apply(const xt::xarray<T>& a, const xt::xarray<T>& b, Op op) {
  const auto& sa = a.shape();
  const auto& sb = b.shape();
  if (sa == sb) {
    xt::xarray<T> out = detail::uninitialized_array<T>(sa);
    std::transform(a.data(), a.data() + a.size(), b.data(), out.data(), op);
    return out;
  }
  if (sa.size() >= sb.size() && detail::repeats_over_leading_axes(sb, sa)) {
    xt::xarray<T> out = detail::uninitialized_array<T>(sa);
    const std::size_t inner = b.size();
    const T* pa = a.data();
    T* po = out.data();
    for (std::size_t r = 0; inner != 0 && r < a.size() / inner; ++r) {
      for (std::size_t j = 0; j < inner; ++j)
        po[r * inner + j] = op(pa[r * inner + j], b.data()[j]);
    }
    return out;
  }
  if (sb.size() >= sa.size() && detail::repeats_over_leading_axes(sa, sb)) {
    xt::xarray<T> out = detail::uninitialized_array<T>(sb);
    const std::size_t inner = a.size();
    const T* pb = b.data();
    T* po = out.data();
    for (std::size_t r = 0; inner != 0 && r < b.size() / inner; ++r) {
      for (std::size_t j = 0; j < inner; ++j)
        po[r * inner + j] = op(a.data()[j], pb[r * inner + j]);
    }
    return out;
  }
  return xt::xarray<T>(
      xt::make_lambda_xfunction([op](const T& x, const T& y) { return op(x, y); }, a, b));
}

/// Position and value of the first element failing `ok`, for DomainError messages.
template <class T, class Pred>
void require_all(const char* op, const xt::xarray<T>& v, Pred ok, const char* what) {
  std::size_t i = 0;
  for (auto x : v) {
    if (!ok(x)) {
      throw DomainError(std::string(op) + ": element " + std::to_string(i) +
                        " of the input of shape " + shape_str(v.shape()) + " is " +
                        std::to_string(x) + "; " + what);
    }
    ++i;
  }
}

}  // namespace

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("add", a, b);
  return record<T>("add", broadcast_apply(a.value(), b.value(), std::plus<T>()), {a, b},
                   [](BackwardContext<T>& c) {
                     if (c.needs(0)) c.input_grads[0] = c.grad;
                     if (c.needs(1)) c.input_grads[1] = c.grad;
                   });
}

template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("sub", a, b);
  return record<T>("sub", broadcast_apply(a.value(), b.value(), std::minus<T>()), {a, b},
                   [](BackwardContext<T>& c) {
                     if (c.needs(0)) c.input_grads[0] = c.grad;
                     if (c.needs(1)) c.input_grads[1] = neg(c.grad);
                   });
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("mul", a, b);
  return record<T>("mul", broadcast_apply(a.value(), b.value(), std::multiplies<T>()), {a, b},
                   [](BackwardContext<T>& c) {
                     if (c.needs(0)) c.input_grads[0] = mul(c.grad, c.inputs[1]);
                     if (c.needs(1)) c.input_grads[1] = mul(c.grad, c.inputs[0]);
                   });
}

template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("div", a, b);
  require_all(
      "div", b.value(), [](T x) { return x != T(0); }, "division by zero");
  return record<T>("div", broadcast_apply(a.value(), b.value(), std::divides<T>()), {a, b},
                   [](BackwardContext<T>& c) {
                     const auto& b = c.inputs[1];
                     if (c.needs(0)) c.input_grads[0] = div(c.grad, b);
                     if (c.needs(1)) c.input_grads[1] = neg(div(mul(c.grad, c.output), b));
                   });
}

template <class T>
Tensor<T> neg(const Tensor<T>& a) {
  require_defined("neg", a);
  return record<T>("neg", map_values(a.value(), [](T x) { return -x; }), {a},
                   [](BackwardContext<T>& c) { c.input_grads[0] = neg(c.grad); });
}

template <class T>
Tensor<T> add(const Tensor<T>& a, scalar_t<T> s) {
  require_defined("add", a);
  return record<T>("add_scalar", map_values(a.value(), [s](T x) { return x + s; }), {a},
                   [](BackwardContext<T>& c) { c.input_grads[0] = c.grad; });
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, scalar_t<T> s) {
  require_defined("mul", a);
  return record<T>("mul_scalar", map_values(a.value(), [s](T x) { return x * s; }), {a},
                   [s](BackwardContext<T>& c) { c.input_grads[0] = mul(c.grad, s); });
}

template <class T>
Tensor<T> rsub(scalar_t<T> s, const Tensor<T>& a) {
  require_defined("rsub", a);
  return record<T>("rsub_scalar", map_values(a.value(), [s](T x) { return s - x; }), {a},
                   [](BackwardContext<T>& c) { c.input_grads[0] = neg(c.grad); });
}

template <class T>
Tensor<T> rdiv(scalar_t<T> s, const Tensor<T>& a) {
  require_defined("rdiv", a);
  require_all(
      "rdiv", a.value(), [](T x) { return x != T(0); }, "division by zero");
  return record<T>("rdiv_scalar", s / a.value(), {a}, [](BackwardContext<T>& c) {
    // d(s/a)/da = -s/a^2 = -out/a
    c.input_grads[0] = neg(div(mul(c.grad, c.output), c.inputs[0]));
  });
}

template <class T>
Tensor<T> pow(const Tensor<T>& a, scalar_t<T> p) {
  require_defined("pow", a);
  const bool integer_p = std::floor(p) == p;
  require_all(
      "pow", a.value(), [&](T x) { return !(x < 0 && !integer_p) && !(x == 0 && p < 0); },
      "pow needs a positive base for a non-integer exponent and a non-zero base for a "
      "negative one");
  return record<T>("pow_scalar", xt::pow(a.value(), p), {a}, [p](BackwardContext<T>& c) {
    if (p == T(0)) {
      c.input_grads[0] = mul(c.grad, T(0));
    } else if (p == T(1)) {
      c.input_grads[0] = c.grad;
    } else {
      c.input_grads[0] = mul(c.grad, mul(pow(c.inputs[0], p - T(1)), p));
    }
  });
}

template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("pow", a, b);
  if (b.requires_grad() && is_grad_enabled()) {
    require_all(
        "pow", a.value(), [](T x) { return x >= T(0); },
        "d(a^b)/db = a^b log(a) needs a non-negative base");
  }
  return record<T>("pow", xt::pow(a.value(), b.value()), {a, b}, [](BackwardContext<T>& c) {
    const auto& a = c.inputs[0];
    const auto& b = c.inputs[1];
    if (c.needs(0)) c.input_grads[0] = mul(c.grad, mul(b, pow(a, sub(b, Tensor<T>::scalar(1)))));
    if (c.needs(1)) {
      // a = 0 contributes 0 (the limit of a^b log a for b > 0), as in PyTorch.
      xt::xarray<bool> positive = a.value() > T(0);
      const Tensor<T> safe_a = xg::where(positive, a, Tensor<T>::scalar(1));
      c.input_grads[1] = mul(c.grad, mul(c.output, log(safe_a)));
    }
  });
}

template <class T>
Tensor<T> exp(const Tensor<T>& a) {
  require_defined("exp", a);
  return record<T>("exp", xt::exp(a.value()), {a},
                   [](BackwardContext<T>& c) { c.input_grads[0] = mul(c.grad, c.output); });
}

template <class T>
Tensor<T> log(const Tensor<T>& a) {
  require_defined("log", a);
  require_all(
      "log", a.value(), [](T x) { return x > T(0); }, "log needs positive values");
  return record<T>("log", xt::log(a.value()), {a},
                   [](BackwardContext<T>& c) { c.input_grads[0] = div(c.grad, c.inputs[0]); });
}

template <class T>
Tensor<T> sqrt(const Tensor<T>& a) {
  require_defined("sqrt", a);
  require_all(
      "sqrt", a.value(), [](T x) { return x >= T(0); }, "sqrt needs non-negative values");
  return record<T>("sqrt", xt::sqrt(a.value()), {a}, [](BackwardContext<T>& c) {
    if (!c.create_graph) {
      // g / (2 sqrt(x)): +Inf at x = 0, as in PyTorch (anomaly mode reports where it arose).
      const auto& g = c.grad.value();
      const T* root = c.output.value().data();
      xt::xarray<T> gi = detail::uninitialized_array<T>(g.shape());
      for (std::size_t i = 0; i < g.size(); ++i) gi.data()[i] = g.data()[i] / (T(2) * root[i]);
      c.input_grads[0] = Tensor<T>(std::move(gi));
      return;
    }
    // Recorded (second derivatives): the checked division rejects x = 0 with a DomainError.
    c.input_grads[0] = div(c.grad, mul(c.output, T(2)));
  });
}

template <class T>
Tensor<T> abs(const Tensor<T>& a) {
  require_defined("abs", a);
  return record<T>("abs", xt::abs(a.value()), {a}, [](BackwardContext<T>& c) {
    c.input_grads[0] = mul(c.grad, constant<T>(xt::sign(c.inputs[0].value())));
  });
}

template <class T>
Tensor<T> clamp(const Tensor<T>& a, scalar_t<T> lo, scalar_t<T> hi) {
  require_defined("clamp", a);
  if (lo > hi) {
    throw DomainError("clamp: lower bound " + std::to_string(lo) + " exceeds upper bound " +
                      std::to_string(hi));
  }
  return record<T>("clamp", xt::clip(a.value(), lo, hi), {a}, [lo, hi](BackwardContext<T>& c) {
    const auto& x = c.inputs[0].value();
    xt::xarray<T> inside = xt::cast<T>(x >= lo && x <= hi);
    c.input_grads[0] = mul(c.grad, constant<T>(std::move(inside)));
  });
}

namespace {
/// Shared by maximum and minimum: `first` is where a wins; ties split the gradient evenly.
template <class T, class Cmp>
Tensor<T> select_extreme(const char* op, const Tensor<T>& a, const Tensor<T>& b, Cmp a_wins) {
  check_binary(op, a, b);
  xt::xarray<T> share_a = xt::where(a_wins(a.value(), b.value()), T(1),
                                    xt::where(xt::equal(a.value(), b.value()), T(0.5), T(0)));
  xt::xarray<T> out = share_a * a.value() + (T(1) - share_a) * b.value();
  return record<T>(op, std::move(out), {a, b}, [share_a](BackwardContext<T>& c) {
    if (c.needs(0)) c.input_grads[0] = mul(c.grad, constant<T>(xt::xarray<T>(share_a)));
    if (c.needs(1)) c.input_grads[1] = mul(c.grad, constant<T>(xt::xarray<T>(T(1) - share_a)));
  });
}
}  // namespace

template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
  return select_extreme("maximum", a, b, [](const auto& x, const auto& y) { return x > y; });
}

template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
  return select_extreme("minimum", a, b, [](const auto& x, const auto& y) { return x < y; });
}

template <class T>
Tensor<T> where(const xt::xarray<bool>& cond, const Tensor<T>& a, const Tensor<T>& b) {
  check_binary("where", a, b);
  broadcast_shape("where", cond.shape(),
                  broadcast_shape("where", a.value().shape(), b.value().shape()));
  xt::xarray<T> out = xt::where(cond, a.value(), b.value());
  return record<T>("where", std::move(out), {a, b}, [cond](BackwardContext<T>& c) {
    xt::xarray<T> take_a = xt::cast<T>(cond);
    if (c.needs(1)) c.input_grads[1] = mul(c.grad, constant<T>(xt::xarray<T>(T(1) - take_a)));
    if (c.needs(0)) c.input_grads[0] = mul(c.grad, constant<T>(std::move(take_a)));
  });
}

#define XG_INSTANTIATE(T)                                               \
  template Tensor<T> add(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> sub(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> mul(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> div(const Tensor<T>&, const Tensor<T>&);           \
  template Tensor<T> neg(const Tensor<T>&);                             \
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
