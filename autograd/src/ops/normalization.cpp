// batch_norm and layer_norm. One fused kernel takes each channel's (or row's) statistics and
// normalises, xhat = (x - mean) * rstd; the affine part (weight, bias) is recorded as ordinary
// broadcasting ops. The normalisation's rule is the full one, through the mean and the variance
// (kernels/norm.hpp's norm_backward); it is written as recorded operations of g, the output
// xhat and rstd, itself a recorded function of x, so gradients of any order follow:
//
//   <op>           xhat = (x - mean) * rstd;  dx = <op>_backward(g, xhat, <op>_rstd(x))
//   <op>_rstd      rstd = 1 / sqrt(var + eps); dx = -g rstd^2 / n * xhat  (xhat recomputed)
//   <op>_backward  r (g - mean(g) - xhat mean(g xhat)); its own rule below
//
// where the means and sums run over each channel's n values.
#include <cmath>
#include <memory>
#include <string>

#include "kernels/buffer.hpp"
#include "kernels/norm.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/normalization.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::array_shape;

/// What the three recorded operations of one normalisation share: names, layout, the shape of
/// the statistics (x's shape with the reduced axes 1, so that they broadcast against x), and
/// the statistics of the forward pass (so that the rules need not take them again).
template <class T>
struct NormContext {
  const char* op;
  const char* rstd_op;
  const char* backward_op;
  kernels::NormLayout layout;
  Shape stat_shape;
  xt::xarray<T> mean, rstd;  // of stat_shape
  T count() const { return static_cast<T>(layout.count()); }
};

template <class T>
using Ctx = std::shared_ptr<const NormContext<T>>;

template <class T>
Tensor<T> normalize(const Tensor<T>& x, const Ctx<T>& ctx);

/// rstd as a recorded function of x, from the forward pass's values.
template <class T>
Tensor<T> rstd_of(const Tensor<T>& x, const Ctx<T>& ctx) {
  xt::xarray<T> value = ctx->rstd;
  return record<T>(
      ctx->rstd_op, std::move(value), {x},
      [ctx](BackwardContext<T>& c) {
        // d rstd / dx = -rstd^3 (x - mean) / n = -rstd^2 / n * xhat (the mean's part is 0).
        const Tensor<T>& r = c.output;
        const Tensor<T> coef = mul(mul(c.grad, mul(r, r)), T(-1) / ctx->count());
        c.input_grads[0] = mul(normalize(c.inputs[0], ctx), coef);
      },
      Saves::input(0) | Saves::result());
}

/// r (g - mean(g) - xhat mean(g xhat)) per channel: the gradient of the normalisation.
template <class T>
Tensor<T> norm_backward(const Tensor<T>& g, const Tensor<T>& xhat, const Tensor<T>& r,
                        const Ctx<T>& ctx) {
  xt::xarray<T> out = detail::uninitialized_array<T>(ctx->backward_op, g.value().shape());
  if (out.size() != 0) {
    kernels::norm_backward(g.value().data(), xhat.value().data(), ctx->layout, r.value().data(),
                           out.data());
  }
  return record<T>(
      ctx->backward_op, std::move(out), {g, xhat, r},
      [ctx](BackwardContext<T>& c) {
        const Tensor<T>& gg = c.grad;
        const Tensor<T>& g = c.inputs[0];
        const Tensor<T>& xh = c.inputs[1];
        const Tensor<T>& r = c.inputs[2];
        const Shape& stat = ctx->stat_shape;
        // Linear in g through a symmetric map: its adjoint is itself.
        if (c.needs(0)) c.input_grads[0] = norm_backward(gg, xh, r, ctx);
        if (c.needs(1)) {
          // out = r (g - S1/n - xhat S2/n), S2 = sum(g xhat): xhat enters twice.
          const Tensor<T> s2 = mul_sum_to(g, xh, stat);
          const Tensor<T> t2 = mul_sum_to(gg, xh, stat);
          c.input_grads[1] = mul(add(mul(gg, s2), mul(g, t2)), mul(r, T(-1) / ctx->count()));
        }
        if (c.needs(2)) c.input_grads[2] = div(mul_sum_to(gg, c.output, stat), r);
      },
      Saves::everything());
}

/// xhat = (x - mean) * rstd with the statistics in ctx.
template <class T>
Tensor<T> normalize(const Tensor<T>& x, const Ctx<T>& ctx) {
  xt::xarray<T> out = detail::uninitialized_array<T>(ctx->op, x.value().shape());
  if (out.size() != 0) {
    kernels::norm_apply(x.value().data(), ctx->layout, ctx->mean.data(), ctx->rstd.data(),
                        out.data());
  }
  return record<T>(
      ctx->op, std::move(out), {x},
      [ctx](BackwardContext<T>& c) {
        c.input_grads[0] = norm_backward(c.grad, c.output, rstd_of(c.inputs[0], ctx), ctx);
      },
      Saves::input(0) | Saves::result());
}

/// Fills spec.mean and spec.rstd with the statistics of x in spec.layout; returns the biased
/// variance.
template <class T>
xt::xarray<T> batch_stats(const Tensor<T>& x, NormContext<T>& spec, double eps) {
  const auto stat = detail::to_array_shape(spec.stat_shape);
  spec.mean = detail::uninitialized_array<T>(spec.op, stat);
  xt::xarray<T> var = detail::uninitialized_array<T>(spec.op, stat);
  if (spec.layout.channels != 0) {
    kernels::norm_stats(x.value().data(), spec.layout, spec.mean.data(), var.data());
  }
  spec.rstd = detail::uninitialized_array<T>(spec.op, stat);
  for (std::size_t c = 0; c < var.size(); ++c) {
    spec.rstd.data()[c] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(var.data()[c]) + eps));
  }
  return var;
}

std::vector<std::ptrdiff_t> signed_shape(const Shape& s) {
  return std::vector<std::ptrdiff_t>(s.begin(), s.end());
}

void require_eps(const char* op, double eps) {
  if (!(eps > 0)) {
    throw DomainError(std::string(op) + ": eps must be > 0, got " + detail::num_str(eps));
  }
}

/// ShapeError unless t (when defined) has shape `want`.
template <class T>
void require_shape(const char* op, const char* what, const Tensor<T>& t, const Shape& want,
                   const std::string& why) {
  if (t.defined() && t.shape() != want) {
    throw ShapeError(std::string(op) + ": " + what + " of shape " + shape_str(t.shape()) +
                     " does not match " + why + "; expected shape " + shape_str(want));
  }
}

/// xhat * weight + bias; weight and bias reshaped to `shape` when given one.
template <class T>
Tensor<T> affine(Tensor<T> y, const Tensor<T>& weight, const Tensor<T>& bias, const Shape* shape) {
  if (weight.defined()) y = mul(y, shape ? reshape(weight, signed_shape(*shape)) : weight);
  if (bias.defined()) y = add(y, shape ? reshape(bias, signed_shape(*shape)) : bias);
  return y;
}

}  // namespace

XG_RULE_TEXT(batch_norm,
             "out = (a - mean) * rstd per channel (axis 1) over all other axes, the batch's "
             "mean and biased variance; da = batch_norm_backward(g, out, batch_norm_rstd(a))");
XG_RULE_TEXT(batch_norm_rstd,
             "out = 1 / sqrt(var + eps) per channel, var the batch's biased variance over n "
             "values; da = -g * out^2 / n * xhat, xhat = batch_norm(a)");
XG_RULE_TEXT(batch_norm_backward,
             "out = r * (g - mean(g) - xhat * mean(g * xhat)), means per channel over n values; "
             "dg = batch_norm_backward(gg, xhat, r), dxhat = -r / n * (gg * sum(g * xhat) + g * "
             "sum(gg * xhat)), dr = sum(gg * out) / r");
XG_RULE_TEXT(layer_norm,
             "out = (a - mean) * rstd per slice over the normalised trailing axes, biased "
             "variance; da = layer_norm_backward(g, out, layer_norm_rstd(a))");
XG_RULE_TEXT(layer_norm_rstd,
             "out = 1 / sqrt(var + eps) per slice, var its biased variance over n values; da = "
             "-g * out^2 / n * xhat, xhat = layer_norm(a)");
XG_RULE_TEXT(layer_norm_backward,
             "out = r * (g - mean(g) - xhat * mean(g * xhat)), means per slice over n values; "
             "dg = layer_norm_backward(gg, xhat, r), dxhat = -r / n * (gg * sum(g * xhat) + g * "
             "sum(gg * xhat)), dr = sum(gg * out) / r");

template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, const Tensor<T>& running_mean,
                     const Tensor<T>& running_var, const Tensor<T>& weight, const Tensor<T>& bias,
                     bool training, double momentum, double eps) {
  constexpr const char* op = "batch_norm";
  detail::require_defined(op, x);
  const Shape s = x.shape();
  if (s.size() < 2) {
    throw ShapeError(std::string(op) + ": the input must have at least 2 axes (N, C, ...), got " +
                     "shape " + shape_str(s));
  }
  const std::size_t channels = s[1];
  const std::string why =
      "the input's " + std::to_string(channels) + " channels (input of shape " + shape_str(s) + ")";
  require_shape(op, "running_mean", running_mean, {channels}, why);
  require_shape(op, "running_var", running_var, {channels}, why);
  require_shape(op, "weight", weight, {channels}, why);
  require_shape(op, "bias", bias, {channels}, why);
  if (running_mean.defined() != running_var.defined()) {
    throw GraphError(std::string(op) +
                     ": running_mean and running_var must both be given or both be undefined");
  }
  const bool running = running_mean.defined();
  if (running && (running_mean.requires_grad() || running_var.requires_grad())) {
    throw GraphError(std::string(op) +
                     ": the running statistics are state updated outside the tape and must not "
                     "require grad");
  }
  if (!training && !running) {
    throw GraphError(std::string(op) +
                     ": evaluation (training = false) needs running_mean and running_var");
  }
  require_eps(op, eps);
  if (!(momentum >= 0 && momentum <= 1)) {
    throw DomainError(std::string(op) + ": momentum must be in [0, 1], got " +
                      detail::num_str(momentum));
  }
  kernels::NormLayout layout{s[0], channels,
                             detail::span_count(detail::to_array_shape(s), 2, s.size())};
  Shape stat(s.size(), 1);
  stat[1] = channels;
  const auto stat_array = detail::to_array_shape(stat);

  if (!training) {
    // y = x * a + (bias - running_mean * a), a = weight / sqrt(running_var + eps): ops of the
    // constants and the parameters.
    xt::xarray<T> inv = detail::uninitialized_array<T>(op, stat_array);
    xt::xarray<T> neg_mean = detail::uninitialized_array<T>(op, stat_array);
    for (std::size_t c = 0; c < channels; ++c) {
      inv.data()[c] =
          static_cast<T>(1.0 / std::sqrt(static_cast<double>(running_var.value().data()[c]) + eps));
      neg_mean.data()[c] = -running_mean.value().data()[c];
    }
    Tensor<T> a = detail::constant(std::move(inv));
    if (weight.defined()) a = mul(reshape(weight, signed_shape(stat)), a);
    Tensor<T> shift = mul(detail::constant(std::move(neg_mean)), a);
    if (bias.defined()) shift = add(reshape(bias, signed_shape(stat)), shift);
    return add(mul(x, a), shift);
  }

  const std::size_t n = layout.count();
  if (n <= 1) {
    throw DomainError(std::string(op) +
                      ": expected more than 1 value per channel when training, got input of "
                      "shape " +
                      shape_str(s));
  }
  auto spec = std::make_shared<NormContext<T>>(
      NormContext<T>{op, "batch_norm_rstd", "batch_norm_backward", layout, stat, {}, {}});
  const xt::xarray<T> var = batch_stats(x, *spec, eps);
  const Tensor<T> y = affine(normalize<T>(x, spec), weight, bias, &stat);
  if (running) {
    // Outside the tape, one version bump each (as an optimizer's step); PyTorch's update, the
    // variance unbiased.
    Tensor<T> rm = running_mean, rv = running_var;
    const double unbias = static_cast<double>(n) / static_cast<double>(n - 1);
    T* m = rm.mutable_value().data();
    T* v = rv.mutable_value().data();
    for (std::size_t c = 0; c < channels; ++c) {
      m[c] = static_cast<T>((1 - momentum) * static_cast<double>(m[c]) +
                            momentum * static_cast<double>(spec->mean.data()[c]));
      v[c] = static_cast<T>((1 - momentum) * static_cast<double>(v[c]) +
                            momentum * static_cast<double>(var.data()[c]) * unbias);
    }
  }
  return y;
}

template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape, const Tensor<T>& weight,
                     const Tensor<T>& bias, double eps) {
  constexpr const char* op = "layer_norm";
  detail::require_defined(op, x);
  const Shape s = x.shape();
  const std::size_t k = normalized_shape.size();
  if (k == 0 || k > s.size() ||
      !std::equal(normalized_shape.begin(), normalized_shape.end(), s.end() - k)) {
    throw ShapeError(std::string(op) + ": normalized_shape " + shape_str(normalized_shape) +
                     " must be non-empty and equal the trailing axes of the input of shape " +
                     shape_str(s));
  }
  const std::string why = "normalized_shape " + shape_str(normalized_shape);
  require_shape(op, "weight", weight, normalized_shape, why);
  require_shape(op, "bias", bias, normalized_shape, why);
  require_eps(op, eps);
  const auto as = detail::to_array_shape(s);
  const std::size_t lead = s.size() - k;
  kernels::NormLayout layout{1, detail::span_count(as, 0, lead),
                             detail::span_count(as, lead, s.size())};
  if (layout.inner == 0) {
    throw ShapeError(std::string(op) + ": cannot normalise over no values (normalized_shape " +
                     shape_str(normalized_shape) + ")");
  }
  Shape stat(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(lead));
  stat.insert(stat.end(), k, 1);
  auto spec = std::make_shared<NormContext<T>>(
      NormContext<T>{op, "layer_norm_rstd", "layer_norm_backward", layout, stat, {}, {}});
  batch_stats(x, *spec, eps);
  return affine(normalize<T>(x, spec), weight, bias, nullptr);
}

#define XG_INSTANTIATE(T)                                                                  \
  template Tensor<T> batch_norm(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,      \
                                const Tensor<T>&, const Tensor<T>&, bool, double, double); \
  template Tensor<T> layer_norm(const Tensor<T>&, const Shape&, const Tensor<T>&,          \
                                const Tensor<T>&, double);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
