// Central finite differences against the tape (see gradcheck.hpp).
#include "xgrad/tools/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include <xtensor/xrandom.hpp>

#include "ops/util.hpp"
#include "xgrad/engine.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/reduction.hpp"

namespace xg {

namespace {

template <class T>
struct Defaults;
template <>
struct Defaults<double> {
  static constexpr double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
};
template <>
struct Defaults<float> {
  static constexpr double eps = 1e-3, atol = 1e-2, rtol = 1e-2;
};

template <class T>
GradcheckOptions with_defaults(GradcheckOptions o) {
  if (o.eps == 0) o.eps = Defaults<T>::eps;
  if (o.atol == 0) o.atol = Defaults<T>::atol;
  if (o.rtol == 0) o.rtol = Defaults<T>::rtol;
  return o;
}

template <class T>
xt::xarray<T> random_like(const xt::xarray<T>& like, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  xt::xarray<T> r = xt::xarray<T>::from_shape(like.shape());
  for (auto& x : r) x = static_cast<T>(dist(rng));
  return r;
}

/// Fresh leaves with the same values and requires_grad as `inputs`.
template <class T>
std::vector<Tensor<T>> clone_leaves(const std::vector<Tensor<T>>& inputs) {
  std::vector<Tensor<T>> out;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    detail::require_defined("gradcheck", inputs[i]);
    out.emplace_back(xt::xarray<T>(inputs[i].value()), inputs[i].requires_grad());
  }
  return out;
}

template <class T>
double project(const xt::xarray<T>& u, const Tensor<T>& out) {
  double s = 0;
  auto it = out.value().begin();
  for (auto x : u) s += static_cast<double>(x) * static_cast<double>(*it++);
  return s;
}

template <class T>
Tensor<T> call_checked(const TensorFunction<T>& f, const std::vector<Tensor<T>>& x) {
  Tensor<T> out = f(x);
  if (!out.defined()) throw GraphError("gradcheck: the function returned an undefined tensor");
  return out;
}

}  // namespace

template <class T>
GradcheckResult gradcheck(const TensorFunction<T>& f, const std::vector<Tensor<T>>& inputs,
                          GradcheckOptions options) {
  const GradcheckOptions o = with_defaults<T>(options);
  GradModeGuard grad_on(true);
  std::mt19937_64 rng(o.seed);
  auto x = clone_leaves(inputs);

  std::vector<Tensor<T>> wrt;
  std::vector<std::size_t> wrt_index;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i].requires_grad()) {
      wrt.push_back(x[i]);
      wrt_index.push_back(i);
    }
  }
  GradcheckResult result;
  if (wrt.empty()) {
    result.ok = false;
    result.message = "gradcheck: no input requires grad, nothing to check";
    return result;
  }

  // Analytic gradients of <u, f(x)>.
  Tensor<T> out = call_checked(f, x);
  const xt::xarray<T> u = random_like(out.value(), rng);
  std::vector<Tensor<T>> analytic;
  if (out.requires_grad()) {
    GradOptions go;
    go.allow_unused = true;
    analytic = grad<T>({out}, wrt, {Tensor<T>(xt::xarray<T>(u))}, go);
  } else {
    analytic.resize(wrt.size());
  }

  auto fail = [&](std::size_t k, std::size_t j, double a, double n, const std::string& what) {
    result.ok = false;
    result.input = wrt_index[k];
    result.element = j;
    result.analytic = a;
    result.numeric = n;
    result.error = std::abs(a - n);
    std::ostringstream m;
    m.precision(10);
    m << "gradcheck: " << what << " for input " << wrt_index[k] << " of shape "
      << shape_str(wrt[k].shape()) << ", element " << detail::index_str(j, wrt[k].shape())
      << ": analytic " << a << " vs numeric " << n << ", error " << result.error;
    result.message = m.str();
  };

  // Numeric gradients, one element at a time.
  for (std::size_t k = 0; k < wrt.size(); ++k) {
    auto& values = wrt[k].mutable_value();
    for (std::size_t j = 0; j < values.size(); ++j) {
      const T original = values.flat(j);
      const double h_wanted = o.eps * std::max(1.0, std::abs(static_cast<double>(original)));
      values.flat(j) = static_cast<T>(original + h_wanted);
      const double plus_h = static_cast<double>(values.flat(j)) - original;
      const double f_plus = project(u, call_checked(f, x));
      values.flat(j) = static_cast<T>(original - h_wanted);
      const double minus_h = original - static_cast<double>(values.flat(j));
      const double f_minus = project(u, call_checked(f, x));
      values.flat(j) = original;
      const double numeric = (f_plus - f_minus) / (plus_h + minus_h);
      const double a =
          analytic[k].defined() ? static_cast<double>(analytic[k].value().flat(j)) : 0.0;
      ++result.checked;
      if (!(std::abs(a - numeric) <= o.atol + o.rtol * std::abs(numeric))) {
        fail(k, j, a, numeric, "gradient mismatch");
        return result;
      }
    }
  }

  // backward must add to a gradient that is already there.
  if (o.check_accumulation && out.requires_grad()) {
    std::vector<xt::xarray<T>> before;
    for (auto& w : wrt) {
      before.push_back(random_like(w.value(), rng));
      w.set_grad(Tensor<T>(xt::xarray<T>(before.back())));
    }
    call_checked(f, x).backward(Tensor<T>(xt::xarray<T>(u)));
    for (std::size_t k = 0; k < wrt.size(); ++k) {
      const auto& g = wrt[k].grad().value();
      for (std::size_t j = 0; j < g.size(); ++j) {
        const double want = static_cast<double>(before[k].flat(j)) +
                            (analytic[k].defined() ? analytic[k].value().flat(j) : 0.0);
        const double got = g.flat(j);
        if (!(std::abs(got - want) <= o.atol + o.rtol * std::abs(want))) {
          fail(k, j, got, want,
               "backward did not add to the existing gradient (got vs existing + analytic)");
          return result;
        }
      }
    }
  }
  return result;
}

template <class T>
GradcheckResult gradgradcheck(const TensorFunction<T>& f, const std::vector<Tensor<T>>& inputs,
                              GradcheckOptions options) {
  // Fix the random directions from one evaluation at the given point.
  std::mt19937_64 rng(options.seed ^ 0x9e3779b97f4a7c15ULL);
  GradModeGuard grad_on(true);
  auto x0 = clone_leaves(inputs);
  const Tensor<T> out0 = call_checked(f, x0);
  const xt::xarray<T> u = random_like(out0.value(), rng);
  std::vector<xt::xarray<T>> v;
  for (const auto& in : inputs) v.push_back(random_like(in.value(), rng));

  TensorFunction<T> first_derivative = [&](const std::vector<Tensor<T>>& x) {
    std::vector<Tensor<T>> wrt;
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i].requires_grad()) {
        wrt.push_back(x[i]);
        idx.push_back(i);
      }
    }
    const Tensor<T> out = call_checked(f, x);
    Tensor<T> total = Tensor<T>::scalar(0);
    if (!out.requires_grad()) return total;
    GradOptions go;
    go.create_graph = true;
    go.allow_unused = true;
    auto g = grad<T>({out}, wrt, {Tensor<T>(xt::xarray<T>(u))}, go);
    for (std::size_t k = 0; k < g.size(); ++k) {
      if (!g[k].defined()) continue;
      total = add(total, sum(mul(g[k], Tensor<T>(xt::xarray<T>(v[idx[k]])))));
    }
    return total;
  };
  GradcheckOptions inner = options;
  inner.check_accumulation = false;
  auto r = gradcheck<T>(first_derivative, inputs, inner);
  if (!r.ok) r.message = "gradgradcheck (second derivative): " + r.message;
  return r;
}

#define XG_INSTANTIATE(T)                                                                        \
  template GradcheckResult gradcheck<T>(const TensorFunction<T>&, const std::vector<Tensor<T>>&, \
                                        GradcheckOptions);                                       \
  template GradcheckResult gradgradcheck<T>(const TensorFunction<T>&,                            \
                                            const std::vector<Tensor<T>>&, GradcheckOptions);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
