// conv2d / conv1d and their two adjoints, recorded as three operations whose rules are made of
// one another (see xgrad/ops/conv.hpp):
//   y  = conv(x, w) + b:   dx = backward_input(g, w),  dw = backward_weight(x, g),
//                          db = g summed over N and the spatial axes
//   dx = backward_input(g, w), cotangent u (x-shaped):  dg = conv(u, w),  dw = backward_weight(u,
//   g) dw = backward_weight(x, g), cotangent v (w-shaped): dx = backward_input(g, v),  dg = conv(x,
//   v)
// Each is bilinear, so these identities hold at any order: a create_graph pass records the same
// fast kernels. conv1d runs the 2-D kernels with a height of 1 (the layouts coincide).
#include "xgrad/ops/conv.hpp"

#include <string>

#include "kernels/buffer.hpp"
#include "kernels/conv.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::array_shape;
using kernels::ConvGeometry;

/// A convolution's parameters over 1 or 2 spatial axes; a 1-D one has a height of 1.
struct ConvParams {
  std::size_t spatial;
  Size2 stride, padding, dilation;
  std::size_t groups;
};

ConvParams params_of(const Conv2dOptions& o) {
  return {2, o.stride, o.padding, o.dilation, o.groups};
}
ConvParams params_of(const Conv1dOptions& o) {
  return {1, {1, o.stride}, {0, o.padding}, {1, o.dilation}, o.groups};
}

enum class Kind { forward, backward_input, backward_weight };

const char* op_name(const ConvParams& p, Kind k) {
  static const char* const names[2][3] = {
      {"conv1d", "conv1d_backward_input", "conv1d_backward_weight"},
      {"conv2d", "conv2d_backward_input", "conv2d_backward_weight"}};
  return names[p.spatial - 1][static_cast<int>(k)];
}

/// "(2, 3)" for a 2-D convolution, "3" (the width) for a 1-D one.
std::string pair_str(const ConvParams& p, std::size_t h, std::size_t w) {
  if (p.spatial == 1) return std::to_string(w);
  std::string s = "(";  // appended piece by piece: GCC 12 warns (-Wrestrict) on "(" + string
  s += std::to_string(h);
  s += ", ";
  s += std::to_string(w);
  s += ")";
  return s;
}
std::string pair_str(const ConvParams& p, Size2 s) {
  return pair_str(p, s.h, s.w);
}

/// (lead0, lead1, h, w), or (lead0, lead1, w) for a 1-D convolution.
array_shape conv_shape(const ConvParams& p, std::size_t lead0, std::size_t lead1, std::size_t h,
                       std::size_t w) {
  return p.spatial == 2 ? array_shape{lead0, lead1, h, w} : array_shape{lead0, lead1, w};
}
array_shape x_shape(const ConvParams& p, const ConvGeometry& g) {
  return conv_shape(p, g.batch, g.in_channels, g.in_h, g.in_w);
}
array_shape y_shape(const ConvParams& p, const ConvGeometry& g) {
  return conv_shape(p, g.batch, g.out_channels, g.out_h, g.out_w);
}
array_shape w_shape(const ConvParams& p, const ConvGeometry& g) {
  return conv_shape(p, g.out_channels, g.group_in(), g.kernel_h, g.kernel_w);
}

[[noreturn]] void fail(const std::string& prefix, const std::string& why) {
  throw ShapeError(prefix + ": " + why);
}

/// The output size along one axis, or ShapeError when it would be below 1.
std::size_t out_size(const std::string& prefix, std::size_t in, std::size_t pad, std::size_t k,
                     std::size_t dilation, std::size_t stride, std::size_t& padded,
                     std::size_t& extent) {
  std::size_t span = 0;
  if (__builtin_mul_overflow(dilation, k - 1, &span) || __builtin_add_overflow(span, 1, &extent) ||
      __builtin_mul_overflow(pad, 2, &padded) || __builtin_add_overflow(padded, in, &padded)) {
    fail(prefix, "the padded input or the dilated kernel exceeds the range of sizes");
  }
  return padded < extent ? 0 : (padded - extent) / stride + 1;
}

/// Checks a convolution of an input of shape xs (N, C, spatial...) with a weight of shape ws
/// (O, C / groups, kernel...) and a bias of shape *bs (if given), and returns its sizes.
/// `prefix` ("conv2d: input (...), weight (...)") starts every message.
ConvGeometry check_geometry(const ConvParams& p, const array_shape& xs, const array_shape& ws,
                            const array_shape* bs, const std::string& prefix) {
  const std::size_t rank = p.spatial + 2;
  const std::string r = std::to_string(rank) + "-D ";
  if (xs.size() != rank) {
    fail(prefix, "the input must be " + r + (p.spatial == 2 ? "(N, C, H, W)" : "(N, C, L)"));
  }
  if (ws.size() != rank) {
    fail(prefix, "the weight must be " + r + "(out_channels, in_channels / groups, " +
                     (p.spatial == 2 ? "kH, kW)" : "k)"));
  }
  if (p.groups == 0) fail(prefix, "groups must be positive");
  if (p.stride.h == 0 || p.stride.w == 0) {
    fail(prefix, "stride " + pair_str(p, p.stride) + " must be positive");
  }
  if (p.dilation.h == 0 || p.dilation.w == 0) {
    fail(prefix, "dilation " + pair_str(p, p.dilation) + " must be positive");
  }
  ConvGeometry g;
  g.batch = xs[0];
  g.in_channels = xs[1];
  g.in_h = p.spatial == 2 ? xs[2] : 1;
  g.in_w = xs[rank - 1];
  g.out_channels = ws[0];
  g.kernel_h = p.spatial == 2 ? ws[2] : 1;
  g.kernel_w = ws[rank - 1];
  g.groups = p.groups;
  g.stride_h = p.stride.h;
  g.stride_w = p.stride.w;
  g.pad_h = p.padding.h;
  g.pad_w = p.padding.w;
  g.dilation_h = p.dilation.h;
  g.dilation_w = p.dilation.w;
  if (g.kernel_h == 0 || g.kernel_w == 0) {
    fail(prefix, "the kernel size " + pair_str(p, g.kernel_h, g.kernel_w) +
                     " (the weight's trailing axes) must be positive");
  }
  const std::string groups = std::to_string(p.groups);
  if (g.in_channels % p.groups != 0) {
    fail(prefix, "the input's " + std::to_string(g.in_channels) +
                     " channels are not divisible by groups = " + groups);
  }
  if (g.out_channels % p.groups != 0) {
    fail(prefix,
         "the " + std::to_string(g.out_channels) +
             " output channels (the weight's first axis) are not divisible by groups = " + groups);
  }
  if (ws[1] != g.in_channels / p.groups) {
    fail(prefix,
         "the weight's second axis is " + std::to_string(ws[1]) +
             "; it must be the input's channels / groups = " + std::to_string(g.in_channels) +
             " / " + groups + " = " + std::to_string(g.in_channels / p.groups));
  }
  if (bs != nullptr && (bs->size() != 1 || (*bs)[0] != g.out_channels)) {
    fail(prefix, "the bias must have shape (" + std::to_string(g.out_channels) +
                     "), one value per output channel");
  }
  std::size_t padded_h = 0, padded_w = 0, extent_h = 0, extent_w = 0;
  g.out_h =
      out_size(prefix, g.in_h, g.pad_h, g.kernel_h, g.dilation_h, g.stride_h, padded_h, extent_h);
  g.out_w =
      out_size(prefix, g.in_w, g.pad_w, g.kernel_w, g.dilation_w, g.stride_w, padded_w, extent_w);
  if (g.out_h == 0 || g.out_w == 0) {
    fail(prefix, "the padded input size " + pair_str(p, padded_h, padded_w) +
                     " is smaller than the dilated kernel size " + pair_str(p, extent_h, extent_w) +
                     ": the output would be empty");
  }
  return g;
}

/// "conv2d: input (...), weight (...)": the start of a forward op's messages.
std::string forward_prefix(const ConvParams& p, const array_shape& xs, const array_shape& ws,
                           const array_shape* bs) {
  std::string s = std::string(op_name(p, Kind::forward)) + ": input " + shape_str(xs) +
                  ", weight " + shape_str(ws);
  if (bs != nullptr) s += ", bias " + shape_str(*bs);
  return s;
}

template <class T>
Tensor<T> forward_op(const ConvParams& p, const ConvGeometry& g, const Tensor<T>& x,
                     const Tensor<T>& w, const Tensor<T>& b);
template <class T>
Tensor<T> backward_input_op(const ConvParams& p, const ConvGeometry& g, const Tensor<T>& gy,
                            const Tensor<T>& w);
template <class T>
Tensor<T> backward_weight_op(const ConvParams& p, const ConvGeometry& g, const Tensor<T>& x,
                             const Tensor<T>& gy);

/// The bias gradient: g summed over the batch and the spatial axes.
template <class T>
Tensor<T> bias_grad(const ConvParams& p, const ConvGeometry& g, const Tensor<T>& gy) {
  const Shape keep = p.spatial == 2 ? Shape{1, g.out_channels, 1, 1} : Shape{1, g.out_channels, 1};
  return reshape(sum_to(gy, keep), {static_cast<std::ptrdiff_t>(g.out_channels)});
}

// Every rule reads the values of both inputs of its operation (never a bias, never the output).
constexpr Saves kReadsBothInputs = Saves::input(0) | Saves::input(1);

template <class T>
Tensor<T> forward_op(const ConvParams& p, const ConvGeometry& g, const Tensor<T>& x,
                     const Tensor<T>& w, const Tensor<T>& b) {
  const char* name = op_name(p, Kind::forward);
  xt::xarray<T> y = detail::uninitialized_array<T>(name, y_shape(p, g));
  kernels::conv2d_forward(g, x.value().data(), w.value().data(),
                          b.defined() ? b.value().data() : nullptr, y.data());
  auto rule = [p, g](BackwardContext<T>& c) {
    if (c.needs(0)) c.input_grads[0] = backward_input_op(p, g, c.grad, c.inputs[1]);
    if (c.needs(1)) c.input_grads[1] = backward_weight_op(p, g, c.inputs[0], c.grad);
    if (c.inputs.size() == 3 && c.needs(2)) c.input_grads[2] = bias_grad(p, g, c.grad);
  };
  if (b.defined())
    return record<T>(name, std::move(y), {x, w, b}, std::move(rule), kReadsBothInputs);
  return record<T>(name, std::move(y), {x, w}, std::move(rule), kReadsBothInputs);
}

template <class T>
Tensor<T> backward_input_op(const ConvParams& p, const ConvGeometry& g, const Tensor<T>& gy,
                            const Tensor<T>& w) {
  const char* name = op_name(p, Kind::backward_input);
  xt::xarray<T> dx = detail::uninitialized_array<T>(name, x_shape(p, g));
  kernels::conv2d_backward_input(g, gy.value().data(), w.value().data(), dx.data());
  return record<T>(
      name, std::move(dx), {gy, w},
      [p, g](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = forward_op(p, g, c.grad, c.inputs[1], Tensor<T>());
        if (c.needs(1)) c.input_grads[1] = backward_weight_op(p, g, c.grad, c.inputs[0]);
      },
      kReadsBothInputs);
}

template <class T>
Tensor<T> backward_weight_op(const ConvParams& p, const ConvGeometry& g, const Tensor<T>& x,
                             const Tensor<T>& gy) {
  const char* name = op_name(p, Kind::backward_weight);
  xt::xarray<T> dw = detail::uninitialized_array<T>(name, w_shape(p, g));
  kernels::conv2d_backward_weight(g, x.value().data(), gy.value().data(), dw.data());
  return record<T>(
      name, std::move(dw), {x, gy},
      [p, g](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = backward_input_op(p, g, c.inputs[1], c.grad);
        if (c.needs(1)) c.input_grads[1] = forward_op(p, g, c.inputs[0], c.grad, Tensor<T>());
      },
      kReadsBothInputs);
}

template <class T>
Tensor<T> conv_forward(const ConvParams& p, const Tensor<T>& x, const Tensor<T>& w,
                       const Tensor<T>& b) {
  const char* name = op_name(p, Kind::forward);
  detail::require_defined(name, x);
  detail::require_defined(name, w);
  const auto& xs = x.value().shape();
  const auto& ws = w.value().shape();
  const array_shape* bs = b.defined() ? &b.value().shape() : nullptr;
  const ConvGeometry g = check_geometry(p, xs, ws, bs, forward_prefix(p, xs, ws, bs));
  return forward_op(p, g, x, w, b);
}

/// Checks that gy has the shape of the output of the convolution g describes.
void require_output_shape(const ConvParams& p, const ConvGeometry& g, const array_shape& gys,
                          const std::string& prefix, const char* what) {
  const array_shape expected = y_shape(p, g);
  if (gys != expected) {
    fail(prefix, std::string("the gradient must have the output's shape ") + shape_str(expected) +
                     " for this " + what);
  }
}

template <class T>
Tensor<T> conv_backward_input(const ConvParams& p, const Tensor<T>& gy, const Tensor<T>& w,
                              Size2 input_size) {
  const char* name = op_name(p, Kind::backward_input);
  detail::require_defined(name, gy);
  detail::require_defined(name, w);
  const auto& gys = gy.value().shape();
  const auto& ws = w.value().shape();
  const std::string prefix = std::string(name) + ": grad " + shape_str(gys) + ", weight " +
                             shape_str(ws) + ", input size " + pair_str(p, input_size);
  const std::size_t rank = p.spatial + 2;
  if (gys.size() != rank) {
    fail(prefix, "the gradient must be " + std::to_string(rank) + "-D " +
                     (p.spatial == 2 ? "(N, O, OH, OW)" : "(N, O, OL)"));
  }
  const std::size_t channels = ws.size() == rank ? ws[1] * p.groups : 0;
  const array_shape xs = conv_shape(p, gys[0], channels, input_size.h, input_size.w);
  const ConvGeometry g = check_geometry(p, xs, ws, nullptr, prefix);
  require_output_shape(p, g, gys, prefix, "input size");
  return backward_input_op(p, g, gy, w);
}

template <class T>
Tensor<T> conv_backward_weight(const ConvParams& p, const Tensor<T>& x, const Tensor<T>& gy,
                               Size2 kernel_size) {
  const char* name = op_name(p, Kind::backward_weight);
  detail::require_defined(name, x);
  detail::require_defined(name, gy);
  const auto& xs = x.value().shape();
  const auto& gys = gy.value().shape();
  const std::string prefix = std::string(name) + ": input " + shape_str(xs) + ", grad " +
                             shape_str(gys) + ", kernel size " + pair_str(p, kernel_size);
  const std::size_t rank = p.spatial + 2;
  if (gys.size() != rank) {
    fail(prefix, "the gradient must be " + std::to_string(rank) + "-D " +
                     (p.spatial == 2 ? "(N, O, OH, OW)" : "(N, O, OL)"));
  }
  const std::size_t per_group = xs.size() == rank && p.groups != 0 ? xs[1] / p.groups : 0;
  const array_shape ws = conv_shape(p, gys[1], per_group, kernel_size.h, kernel_size.w);
  const ConvGeometry g = check_geometry(p, xs, ws, nullptr, prefix);
  require_output_shape(p, g, gys, prefix, "input and kernel size");
  return backward_weight_op(p, g, x, gy);
}

}  // namespace

XG_RULE_TEXT(conv2d,
             "out = conv2d(x, w) + b (cross-correlation, NCHW); dx = conv2d_backward_input(g, w), "
             "dw = conv2d_backward_weight(x, g), db = g summed over N, H, W");
XG_RULE_TEXT(conv2d_backward_input,
             "out = d<conv2d(x, w), g>/dx, bilinear in (g, w); with u the gradient of out: "
             "dg = conv2d(u, w), dw = conv2d_backward_weight(u, g)");
XG_RULE_TEXT(conv2d_backward_weight,
             "out = d<conv2d(x, w), g>/dw, bilinear in (x, g); with v the gradient of out: "
             "dx = conv2d_backward_input(g, v), dg = conv2d(x, v)");
XG_RULE_TEXT(conv1d,
             "out = conv1d(x, w) + b (cross-correlation, NCL); dx = conv1d_backward_input(g, w), "
             "dw = conv1d_backward_weight(x, g), db = g summed over N, L");
XG_RULE_TEXT(conv1d_backward_input,
             "out = d<conv1d(x, w), g>/dx, bilinear in (g, w); with u the gradient of out: "
             "dg = conv1d(u, w), dw = conv1d_backward_weight(u, g)");
XG_RULE_TEXT(conv1d_backward_weight,
             "out = d<conv1d(x, w), g>/dw, bilinear in (x, g); with v the gradient of out: "
             "dx = conv1d_backward_input(g, v), dg = conv1d(x, v)");

template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b,
                 const Conv2dOptions& options) {
  return conv_forward(params_of(options), x, w, b);
}
template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Conv2dOptions& options) {
  return conv_forward(params_of(options), x, w, Tensor<T>());
}
template <class T>
Tensor<T> conv1d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b,
                 const Conv1dOptions& options) {
  return conv_forward(params_of(options), x, w, b);
}
template <class T>
Tensor<T> conv1d(const Tensor<T>& x, const Tensor<T>& w, const Conv1dOptions& options) {
  return conv_forward(params_of(options), x, w, Tensor<T>());
}
template <class T>
Tensor<T> conv2d_backward_input(const Tensor<T>& grad, const Tensor<T>& w, Size2 input_size,
                                const Conv2dOptions& options) {
  return conv_backward_input(params_of(options), grad, w, input_size);
}
template <class T>
Tensor<T> conv2d_backward_weight(const Tensor<T>& x, const Tensor<T>& grad, Size2 kernel_size,
                                 const Conv2dOptions& options) {
  return conv_backward_weight(params_of(options), x, grad, kernel_size);
}
template <class T>
Tensor<T> conv1d_backward_input(const Tensor<T>& grad, const Tensor<T>& w, std::size_t input_size,
                                const Conv1dOptions& options) {
  return conv_backward_input(params_of(options), grad, w, Size2{1, input_size});
}
template <class T>
Tensor<T> conv1d_backward_weight(const Tensor<T>& x, const Tensor<T>& grad, std::size_t kernel_size,
                                 const Conv1dOptions& options) {
  return conv_backward_weight(params_of(options), x, grad, Size2{1, kernel_size});
}

#define XG_INSTANTIATE(T)                                                                    \
  template Tensor<T> conv2d(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,            \
                            const Conv2dOptions&);                                           \
  template Tensor<T> conv2d(const Tensor<T>&, const Tensor<T>&, const Conv2dOptions&);       \
  template Tensor<T> conv1d(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,            \
                            const Conv1dOptions&);                                           \
  template Tensor<T> conv1d(const Tensor<T>&, const Tensor<T>&, const Conv1dOptions&);       \
  template Tensor<T> conv2d_backward_input(const Tensor<T>&, const Tensor<T>&, Size2,        \
                                           const Conv2dOptions&);                            \
  template Tensor<T> conv2d_backward_weight(const Tensor<T>&, const Tensor<T>&, Size2,       \
                                            const Conv2dOptions&);                           \
  template Tensor<T> conv1d_backward_input(const Tensor<T>&, const Tensor<T>&, std::size_t,  \
                                           const Conv1dOptions&);                            \
  template Tensor<T> conv1d_backward_weight(const Tensor<T>&, const Tensor<T>&, std::size_t, \
                                            const Conv1dOptions&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
