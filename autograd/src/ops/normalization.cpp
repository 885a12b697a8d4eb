// batch_norm and layer_norm, each one recorded operation whose kernel takes the statistics and
// writes the affine output in one pass per channel (kernels/norm.hpp). Nothing of the size of x
// is saved besides x: the rules recompute xhat = (x - mean) * rstd from the per-channel mean and
// rstd of the forward pass. The first-order rule is one kernel too, which writes dx and sums
// dweight and dbias in the same pass; each of the three is its own recorded operation, with a
// rule written with recorded operations, so gradients of any order follow:
//
//   <op>            y = xhat * w + b;       (dx, dw, db) = (<op>_backward(g, x, w),
//                                                          <op>_dweight(g, x), <op>_dbias(g))
//   <op>_backward   dx = D(g * w)            D(u) = r (u - mean(u) - xhat mean(u xhat)), the
//                                            normalisation's gradient; r * u in evaluation
//   <op>_dweight    sum(g * xhat)            per parameter, over the other axes
//   <op>_dbias      sum(g)
//   <op>_xhat       xhat (x)                 for the rules of the rules
//   <op>_rstd       rstd (x)                 likewise
//
// where the means and sums run over each channel's n values. Batch norm in evaluation is the
// same with the running statistics as constants (batch_norm_eval*).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

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

/// The operation names of one normalisation.
struct NormNames {
  const char* op;
  const char* backward;
  const char* dweight;
  const char* dbias;
  const char* xhat;
  const char* rstd;  // null when the statistics are constants
};

constexpr NormNames kBatchNorm{"batch_norm",       "batch_norm_backward", "batch_norm_dweight",
                               "batch_norm_dbias", "batch_norm_xhat",     "batch_norm_rstd"};
constexpr NormNames kBatchNormEval{"batch_norm_eval",         "batch_norm_eval_backward",
                                   "batch_norm_eval_dweight", "batch_norm_eval_dbias",
                                   "batch_norm_eval_xhat",    nullptr};
constexpr NormNames kLayerNorm{"layer_norm",       "layer_norm_backward", "layer_norm_dweight",
                               "layer_norm_dbias", "layer_norm_xhat",     "layer_norm_rstd"};

/// What the recorded operations of one normalisation share: names, layout, shapes and the
/// statistics of the forward pass (so that the rules need not take them again).
template <class T>
struct NormContext {
  NormNames names;
  kernels::NormLayout layout;
  kernels::AffineAxis axis;
  bool fixed;                // the statistics are constants (evaluation), not functions of x
  Shape stat_shape;          // x's shape with the reduced axes 1, so that they broadcast against x
  Shape param_shape;         // of weight and bias
  Shape param_broadcast;     // param_shape as it broadcasts against x
  xt::xarray<T> mean, rstd;  // of stat_shape
  T count() const { return static_cast<T>(layout.count()); }
};

template <class T>
using Ctx = std::shared_ptr<const NormContext<T>>;

std::vector<std::ptrdiff_t> signed_shape(const Shape& s) {
  return std::vector<std::ptrdiff_t>(s.begin(), s.end());
}

/// A parameter-shaped tensor as it broadcasts against x, and back.
template <class T>
Tensor<T> broadcastable(const Tensor<T>& p, const NormContext<T>& ctx) {
  return ctx.param_shape == ctx.param_broadcast ? p : reshape(p, signed_shape(ctx.param_broadcast));
}
template <class T>
Tensor<T> param_shaped(const Tensor<T>& p, const NormContext<T>& ctx) {
  return p.shape() == ctx.param_shape ? p : reshape(p, signed_shape(ctx.param_shape));
}

template <class T>
kernels::NormAffine<T> affine_of(const Tensor<T>& w, const Tensor<T>& b,
                                 const NormContext<T>& ctx) {
  return {w.defined() ? w.value().data() : nullptr, b.defined() ? b.value().data() : nullptr,
          ctx.axis};
}

template <class T>
struct Grads {
  Tensor<T> dx, dweight, dbias;
};

template <class T>
Grads<T> grads_of(const Tensor<T>& g, const Tensor<T>& x, const Tensor<T>& w, const Ctx<T>& ctx,
                  bool want_dx, bool want_dweight, bool want_dbias);

/// D(g * w): the gradient with respect to x of sum(g * y), y the normalisation of x.
template <class T>
Tensor<T> backward_of(const Tensor<T>& g, const Tensor<T>& x, const Tensor<T>& w,
                      const Ctx<T>& ctx) {
  return grads_of(g, x, w, ctx, true, false, false).dx;
}

/// xhat as a recorded function of x.
template <class T>
Tensor<T> xhat_of(const Tensor<T>& x, const Ctx<T>& ctx) {
  xt::xarray<T> out = detail::uninitialized_array<T>(ctx->names.xhat, x.value().shape());
  kernels::norm_apply(x.value().data(), ctx->layout, ctx->mean.data(), ctx->rstd.data(),
                      kernels::NormAffine<T>{nullptr, nullptr, ctx->axis}, out.data());
  return record<T>(
      ctx->names.xhat, std::move(out), {x},
      [ctx](BackwardContext<T>& c) {
        c.input_grads[0] = backward_of(c.grad, c.inputs[0], {}, ctx);
      },
      Saves::input(0));
}

/// rstd as a recorded function of x (statistics of x only).
template <class T>
Tensor<T> rstd_of(const Tensor<T>& x, const Ctx<T>& ctx) {
  xt::xarray<T> value = ctx->rstd;
  return record<T>(
      ctx->names.rstd, std::move(value), {x},
      [ctx](BackwardContext<T>& c) {
        // d rstd / dx = -rstd^3 (x - mean) / n = -rstd^2 / n * xhat (the mean's part is 0).
        const Tensor<T>& r = c.output;
        const Tensor<T> coef = mul(mul(c.grad, mul(r, r)), T(-1) / ctx->count());
        c.input_grads[0] = mul(xhat_of(c.inputs[0], ctx), coef);
      },
      Saves::input(0) | Saves::result());
}

/// The rule of <op>_backward: out = D(g * w), inputs (g, x[, w]).
template <class T>
void backward_rule(BackwardContext<T>& c, const Ctx<T>& ctx) {
  const Tensor<T>& gg = c.grad;
  const Tensor<T>& g = c.inputs[0];
  const Tensor<T>& x = c.inputs[1];
  const Tensor<T> w = c.inputs.size() > 2 ? c.inputs[2] : Tensor<T>();
  const bool per_channel = ctx->axis == kernels::AffineAxis::channel;
  // Linear in g through w times a symmetric map: its adjoint is w * D(gg), which is D(gg * w)
  // when w is constant over each channel.
  if (c.needs(0)) {
    if (per_channel || !w.defined()) {
      c.input_grads[0] = backward_of(gg, x, w, ctx);
    } else {
      c.input_grads[0] = mul(backward_of(gg, x, {}, ctx), broadcastable(w, *ctx));
    }
  }
  // sum(gg * D(g * w)) = sum(w * g * D(gg)) per parameter (D is symmetric): no division by w.
  if (w.defined() && c.needs(2)) {
    c.input_grads[2] =
        param_shaped(mul_sum_to(g, backward_of(gg, x, {}, ctx), ctx->param_broadcast), *ctx);
  }
  if (ctx->fixed || !c.needs(1)) return;
  // D(u) = r (u - S1/n - xhat S(u xhat)/n) with u = g * w, through xhat(x) and r(x):
  // d/dxhat = -r/n (gg S(u xhat) + u S(gg xhat)), d/dr = S(gg out) / r, and then
  // dx = D(d/dxhat) + d/dr * (-r^2/n) xhat.
  const Shape& stat = ctx->stat_shape;
  const Tensor<T> u = w.defined() ? mul(g, broadcastable(w, *ctx)) : g;
  const Tensor<T> xh = xhat_of(x, ctx);
  const Tensor<T> r = rstd_of(x, ctx);
  const Tensor<T> minus_r_n = mul(r, T(-1) / ctx->count());
  const Tensor<T> dxhat =
      mul(add(mul(gg, mul_sum_to(u, xh, stat)), mul(u, mul_sum_to(gg, xh, stat))), minus_r_n);
  const Tensor<T> through_r = mul(xh, mul(mul_sum_to(gg, c.output, stat), minus_r_n));
  c.input_grads[1] = add(backward_of(dxhat, x, {}, ctx), through_r);
}

/// The rule of <op>_dweight: out = sum(g * xhat(x)) per parameter, inputs (g, x).
template <class T>
void dweight_rule(BackwardContext<T>& c, const Ctx<T>& ctx) {
  const Tensor<T>& g = c.inputs[0];
  const Tensor<T>& x = c.inputs[1];
  const Tensor<T> gg = broadcastable(c.grad, *ctx);
  if (c.needs(0)) c.input_grads[0] = mul(xhat_of(x, ctx), gg);
  if (c.needs(1)) {
    // d/dx sum(g * gg * xhat) = D(g * gg).
    c.input_grads[1] = ctx->axis == kernels::AffineAxis::channel
                           ? backward_of(g, x, c.grad, ctx)
                           : backward_of(mul(g, gg), x, {}, ctx);
  }
}

template <class T>
Grads<T> grads_of(const Tensor<T>& g, const Tensor<T>& x, const Tensor<T>& w, const Ctx<T>& ctx,
                  bool want_dx, bool want_dweight, bool want_dbias) {
  const NormNames& names = ctx->names;
  const auto pshape = detail::to_array_shape(ctx->param_shape);
  xt::xarray<T> dx, dw, db;
  if (want_dx) dx = detail::uninitialized_array<T>(names.backward, g.value().shape());
  if (want_dweight) dw = detail::uninitialized_array<T>(names.dweight, pshape);
  if (want_dbias) db = detail::uninitialized_array<T>(names.dbias, pshape);
  kernels::norm_backward(
      g.value().data(), x.value().data(), ctx->layout, ctx->mean.data(), ctx->rstd.data(),
      affine_of(w, Tensor<T>(), *ctx), ctx->fixed,
      kernels::NormGrads<T>{want_dx ? dx.data() : nullptr, want_dweight ? dw.data() : nullptr,
                            want_dbias ? db.data() : nullptr});
  Grads<T> out;
  if (want_dx) {
    std::vector<Tensor<T>> inputs{g, x};
    if (w.defined()) inputs.push_back(w);
    out.dx = record<T>(
        names.backward, std::move(dx), inputs,
        [ctx](BackwardContext<T>& c) { backward_rule(c, ctx); }, Saves::everything());
  }
  if (want_dweight) {
    out.dweight = record<T>(
        names.dweight, std::move(dw), {g, x},
        [ctx](BackwardContext<T>& c) { dweight_rule(c, ctx); }, Saves::input(0) | Saves::input(1));
  }
  if (want_dbias) {
    out.dbias = record<T>(
        names.dbias, std::move(db), {g},
        [ctx](BackwardContext<T>& c) { c.input_grads[0] = broadcastable(c.grad, *ctx); },
        Saves::nothing());
  }
  return out;
}

/// Records y = xhat * weight + bias (value already computed) with the first-order rule.
template <class T>
Tensor<T> record_forward(xt::xarray<T>&& y, const Tensor<T>& x, const Tensor<T>& weight,
                         const Tensor<T>& bias, const Ctx<T>& ctx) {
  std::vector<Tensor<T>> inputs{x};
  if (weight.defined()) inputs.push_back(weight);
  if (bias.defined()) inputs.push_back(bias);
  const bool has_weight = weight.defined(), has_bias = bias.defined();
  return record<T>(
      ctx->names.op, std::move(y), inputs,
      [ctx, has_weight, has_bias](BackwardContext<T>& c) {
        const std::size_t wi = 1, bi = has_weight ? 2 : 1;
        const Tensor<T> w = has_weight ? c.inputs[wi] : Tensor<T>();
        Grads<T> grads = grads_of(c.grad, c.inputs[0], w, ctx, c.needs(0),
                                  has_weight && c.needs(wi), has_bias && c.needs(bi));
        c.input_grads[0] = std::move(grads.dx);
        if (has_weight) c.input_grads[wi] = std::move(grads.dweight);
        if (has_bias) c.input_grads[bi] = std::move(grads.dbias);
      },
      has_weight ? Saves::input(0) | Saves::input(1) : Saves::input(0));
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

}  // namespace

XG_RULE_TEXT(batch_norm,
             "out = (a - mean) * rstd * w + b per channel (axis 1) over all other axes, the "
             "batch's mean and biased variance, w and b optional; da = batch_norm_backward(g, a, "
             "w), dw = batch_norm_dweight(g, a), db = batch_norm_dbias(g), in one pass");
XG_RULE_TEXT(batch_norm_backward,
             "out = D(g * w), D(u) = rstd * (u - mean(u) - xhat * mean(u * xhat)), means per "
             "channel over n values, xhat = batch_norm_xhat(a), rstd = batch_norm_rstd(a); dg = "
             "batch_norm_backward(gg, a, w), dw = sum(g * batch_norm_backward(gg, a)), da = "
             "D(-rstd / n * (gg * sum(u * xhat) + u * sum(gg * xhat))) - xhat * rstd / n * "
             "sum(gg * out)");
XG_RULE_TEXT(batch_norm_dweight,
             "out = sum(g * xhat) per channel, xhat = batch_norm_xhat(a); dg = xhat * gg, da = "
             "batch_norm_backward(g, a, gg)");
XG_RULE_TEXT(batch_norm_dbias, "out = sum(g) per channel; dg = gg (broadcast)");
XG_RULE_TEXT(batch_norm_xhat,
             "out = (a - mean) * rstd per channel, the batch's statistics; da = "
             "batch_norm_backward(g, a)");
XG_RULE_TEXT(batch_norm_rstd,
             "out = 1 / sqrt(var + eps) per channel, var the batch's biased variance over n "
             "values; da = -g * out^2 / n * batch_norm_xhat(a)");
XG_RULE_TEXT(batch_norm_eval,
             "out = (a - running_mean) * rstd * w + b per channel, rstd = 1 / sqrt(running_var + "
             "eps), constants; da = batch_norm_eval_backward(g, a, w), dw = "
             "batch_norm_eval_dweight(g, a), db = batch_norm_eval_dbias(g), in one pass");
XG_RULE_TEXT(batch_norm_eval_backward,
             "out = g * w * rstd per channel; dg = batch_norm_eval_backward(gg, a, w), dw = "
             "sum(g * gg * rstd), da = 0");
XG_RULE_TEXT(batch_norm_eval_dweight,
             "out = sum(g * xhat) per channel, xhat = batch_norm_eval_xhat(a); dg = xhat * gg, "
             "da = batch_norm_eval_backward(g, a, gg)");
XG_RULE_TEXT(batch_norm_eval_dbias, "out = sum(g) per channel; dg = gg (broadcast)");
XG_RULE_TEXT(batch_norm_eval_xhat, "out = (a - running_mean) * rstd per channel; da = g * rstd");
XG_RULE_TEXT(layer_norm,
             "out = (a - mean) * rstd * w + b, the statistics per slice over the normalised "
             "trailing axes (biased variance), w and b per position of the slice, optional; da = "
             "layer_norm_backward(g, a, w), dw = layer_norm_dweight(g, a), db = "
             "layer_norm_dbias(g)");
XG_RULE_TEXT(layer_norm_backward,
             "out = D(g * w), D(u) = rstd * (u - mean(u) - xhat * mean(u * xhat)), means per "
             "slice over n values, xhat = layer_norm_xhat(a), rstd = layer_norm_rstd(a); dg = w "
             "* layer_norm_backward(gg, a), dw = sum(g * layer_norm_backward(gg, a)), da = "
             "D(-rstd / n * (gg * sum(u * xhat) + u * sum(gg * xhat))) - xhat * rstd / n * "
             "sum(gg * out)");
XG_RULE_TEXT(layer_norm_dweight,
             "out = sum(g * xhat) per position over the slices, xhat = layer_norm_xhat(a); dg = "
             "xhat * gg, da = layer_norm_backward(g * gg, a)");
XG_RULE_TEXT(layer_norm_dbias, "out = sum(g) per position over the slices; dg = gg (broadcast)");
XG_RULE_TEXT(layer_norm_xhat, "out = (a - mean) * rstd per slice; da = layer_norm_backward(g, a)");
XG_RULE_TEXT(layer_norm_rstd,
             "out = 1 / sqrt(var + eps) per slice, var its biased variance over n values; da = "
             "-g * out^2 / n * layer_norm_xhat(a)");

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
  auto ctx = std::make_shared<NormContext<T>>(NormContext<T>{
      training ? kBatchNorm : kBatchNormEval, layout, kernels::AffineAxis::channel, !training, stat,
      Shape{channels}, stat, detail::uninitialized_array<T>(op, stat_array),
      detail::uninitialized_array<T>(op, stat_array)});
  xt::xarray<T> y = detail::uninitialized_array<T>(op, x.value().shape());
  const kernels::NormAffine<T> params = affine_of(weight, bias, *ctx);

  if (!training) {
    // The running statistics, as constants of this call.
    for (std::size_t c = 0; c < channels; ++c) {
      ctx->mean.data()[c] = running_mean.value().data()[c];
      ctx->rstd.data()[c] =
          static_cast<T>(1.0 / std::sqrt(static_cast<double>(running_var.value().data()[c]) + eps));
    }
    kernels::norm_apply(x.value().data(), layout, ctx->mean.data(), ctx->rstd.data(), params,
                        y.data());
    return record_forward(std::move(y), x, weight, bias, Ctx<T>(ctx));
  }

  const std::size_t n = layout.count();
  if (n <= 1) {
    throw DomainError(std::string(op) +
                      ": expected more than 1 value per channel when training, got input of "
                      "shape " +
                      shape_str(s));
  }
  xt::xarray<T> var = detail::uninitialized_array<T>(op, stat_array);
  kernels::norm_forward(x.value().data(), layout, eps, params, ctx->mean.data(), var.data(),
                        ctx->rstd.data(), y.data());
  if (running) {
    // Outside the tape, one version bump each (as an optimizer's step); PyTorch's update, the
    // variance unbiased.
    Tensor<T> rm = running_mean, rv = running_var;
    const double unbias = static_cast<double>(n) / static_cast<double>(n - 1);
    T* m = rm.mutable_value().data();
    T* v = rv.mutable_value().data();
    for (std::size_t c = 0; c < channels; ++c) {
      m[c] = static_cast<T>((1 - momentum) * static_cast<double>(m[c]) +
                            momentum * static_cast<double>(ctx->mean.data()[c]));
      v[c] = static_cast<T>((1 - momentum) * static_cast<double>(v[c]) +
                            momentum * static_cast<double>(var.data()[c]) * unbias);
    }
  }
  return record_forward(std::move(y), x, weight, bias, Ctx<T>(ctx));
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
  const auto stat_array = detail::to_array_shape(stat);
  auto ctx = std::make_shared<NormContext<T>>(
      NormContext<T>{kLayerNorm, layout, kernels::AffineAxis::inner, false, stat, normalized_shape,
                     normalized_shape, detail::uninitialized_array<T>(op, stat_array),
                     detail::uninitialized_array<T>(op, stat_array)});
  xt::xarray<T> y = detail::uninitialized_array<T>(op, x.value().shape());
  xt::xarray<T> var = detail::uninitialized_array<T>(op, stat_array);
  kernels::norm_forward(x.value().data(), layout, eps, affine_of(weight, bias, *ctx),
                        ctx->mean.data(), var.data(), ctx->rstd.data(), y.data());
  return record_forward(std::move(y), x, weight, bias, Ctx<T>(ctx));
}

#define XG_INSTANTIATE(T)                                                                  \
  template Tensor<T> batch_norm(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,      \
                                const Tensor<T>&, const Tensor<T>&, bool, double, double); \
  template Tensor<T> layer_norm(const Tensor<T>&, const Shape&, const Tensor<T>&,          \
                                const Tensor<T>&, double);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
