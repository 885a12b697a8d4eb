// avg_pool2d, avg_pool1d and adaptive_avg_pool2d: window means, and their backward operations
// (each grad element spread evenly over its window), which are linear and whose rules are the
// forward pools again: gradients of any order are recorded.
#include <memory>
#include <string>

#include "kernels/buffer.hpp"
#include "kernels/pool.hpp"
#include "ops/pool_geometry.hpp"
#include "ops/rule_text.hpp"
#include "xgrad/ops/pooling.hpp"

namespace xg {

namespace {

using detail::array_shape;
using detail::PoolInput;

/// What a pool and its backward share: the windows, both shapes and the two op names.
struct BoxSaved {
  const char* forward;
  const char* backward;
  kernels::BoxPoolPlan plan;
  array_shape in_shape, out_shape;
  std::size_t planes;
};
using Saved = std::shared_ptr<const BoxSaved>;

template <class T>
Tensor<T> box_backward(const Tensor<T>& g, const Saved& s);

template <class T>
Tensor<T> box_forward(const Tensor<T>& x, const Saved& s) {
  xt::xarray<T> out = detail::uninitialized_array<T>(s->forward, s->out_shape);
  kernels::box_pool_forward(x.value().data(), s->planes, s->plan, out.data());
  return record<T>(
      s->forward, std::move(out), {x},
      [s](BackwardContext<T>& c) { c.input_grads[0] = box_backward(c.grad, s); }, Saves::nothing());
}

template <class T>
Tensor<T> box_backward(const Tensor<T>& g, const Saved& s) {
  xt::xarray<T> out = detail::uninitialized_array<T>(s->backward, s->in_shape);
  kernels::box_pool_backward(g.value().data(), s->planes, s->plan, out.data());
  return record<T>(
      s->backward, std::move(out), {g},
      [s](BackwardContext<T>& c) { c.input_grads[0] = box_forward(c.grad, s); }, Saves::nothing());
}

/// The windows of avg_pool2d / avg_pool1d on an input of shape `s`, checked for `op`.
Saved avg_saved(const char* op, const char* forward, const char* backward, const array_shape& s,
                bool one_d, PoolSize2 kernel, PoolSize2 stride, PoolSize2 padding, bool ceil_mode,
                bool count_include_pad, std::optional<std::ptrdiff_t> divisor_override) {
  const PoolInput in = detail::pool_input(op, s, one_d);
  const detail::PoolArgs args =
      detail::pool_args(op, one_d, kernel, stride, padding, 1, ceil_mode, false);
  if (divisor_override && *divisor_override == 0) {
    throw ShapeError(std::string(op) + ": divisor_override must not be 0");
  }
  const auto [oh, ow] = detail::pool_output(op, s, in, args);
  return std::make_shared<const BoxSaved>(
      BoxSaved{forward, backward,
               detail::avg_pool_plan(in, args, oh, ow, count_include_pad, divisor_override), s,
               detail::pool_shape(in, oh, ow), in.planes()});
}

/// The windows of adaptive_avg_pool2d from an input of shape `s` to `output_size`.
Saved adaptive_saved(const char* op, const array_shape& s, PoolSize2 output_size) {
  const PoolInput in = detail::pool_input(op, s, false);
  if (!output_size.given || output_size.h < 1 || output_size.w < 1) {
    throw ShapeError(std::string(op) + ": output size must be at least 1, got (" +
                     std::to_string(output_size.h) + ", " + std::to_string(output_size.w) +
                     ") for the input of shape " + shape_str(s));
  }
  const auto oh = static_cast<std::size_t>(output_size.h);
  const auto ow = static_cast<std::size_t>(output_size.w);
  return std::make_shared<const BoxSaved>(BoxSaved{
      "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", detail::adaptive_pool_plan(in, oh, ow),
      s, detail::pool_shape(in, oh, ow), in.planes()});
}

template <class T>
void require_grad_shape(const char* op, const Tensor<T>& grad, const array_shape& want,
                        const array_shape& input) {
  detail::require_defined(op, grad);
  if (grad.value().shape() != want) {
    throw ShapeError(std::string(op) + ": grad of shape " + shape_str(grad.value().shape()) +
                     " must have the pool's output shape " + shape_str(want) +
                     " for the input shape " + shape_str(input));
  }
}

}  // namespace

XG_RULE_TEXT(avg_pool2d,
             "out = the sum of each window / its divisor (count_include_pad, divisor_override); "
             "da = avg_pool2d_backward(g)");
XG_RULE_TEXT(avg_pool2d_backward,
             "out = each a / its window's divisor, added over the window (linear); "
             "da = avg_pool2d(g)");
XG_RULE_TEXT(avg_pool1d,
             "out = the sum of each window / its divisor (count_include_pad); "
             "da = avg_pool1d_backward(g)");
XG_RULE_TEXT(avg_pool1d_backward,
             "out = each a / its window's divisor, added over the window (linear); "
             "da = avg_pool1d(g)");
XG_RULE_TEXT(adaptive_avg_pool2d,
             "out[i, j] = the mean of rows [floor(i H / oh), ceil((i + 1) H / oh)) and columns "
             "likewise; da = adaptive_avg_pool2d_backward(g)");
XG_RULE_TEXT(adaptive_avg_pool2d_backward,
             "out = each a / its window's size, added over the window (linear); "
             "da = adaptive_avg_pool2d(g)");

template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& x, PoolSize2 kernel, PoolSize2 stride, PoolSize2 padding,
                     bool ceil_mode, bool count_include_pad,
                     std::optional<std::ptrdiff_t> divisor_override) {
  detail::require_defined("avg_pool2d", x);
  return box_forward(
      x, avg_saved("avg_pool2d", "avg_pool2d", "avg_pool2d_backward", x.value().shape(), false,
                   kernel, stride, padding, ceil_mode, count_include_pad, divisor_override));
}

template <class T>
Tensor<T> avg_pool2d_backward(const Tensor<T>& grad, const Shape& input_shape, PoolSize2 kernel,
                              PoolSize2 stride, PoolSize2 padding, bool ceil_mode,
                              bool count_include_pad,
                              std::optional<std::ptrdiff_t> divisor_override) {
  const char* op = "avg_pool2d_backward";
  const array_shape is = detail::to_array_shape(input_shape);
  Saved s = avg_saved(op, "avg_pool2d", op, is, false, kernel, stride, padding, ceil_mode,
                      count_include_pad, divisor_override);
  require_grad_shape(op, grad, s->out_shape, is);
  return box_backward(grad, s);
}

template <class T>
Tensor<T> avg_pool1d(const Tensor<T>& x, std::ptrdiff_t kernel,
                     std::optional<std::ptrdiff_t> stride, std::ptrdiff_t padding, bool ceil_mode,
                     bool count_include_pad) {
  detail::require_defined("avg_pool1d", x);
  return box_forward(
      x, avg_saved("avg_pool1d", "avg_pool1d", "avg_pool1d_backward", x.value().shape(), true,
                   PoolSize2(1, kernel), stride ? PoolSize2(1, *stride) : PoolSize2(),
                   PoolSize2(0, padding), ceil_mode, count_include_pad, std::nullopt));
}

template <class T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& x, PoolSize2 output_size) {
  detail::require_defined("adaptive_avg_pool2d", x);
  return box_forward(x, adaptive_saved("adaptive_avg_pool2d", x.value().shape(), output_size));
}

template <class T>
Tensor<T> adaptive_avg_pool2d_backward(const Tensor<T>& grad, const Shape& input_shape) {
  const char* op = "adaptive_avg_pool2d_backward";
  detail::require_defined(op, grad);
  const array_shape is = detail::to_array_shape(input_shape);
  const auto& gs = grad.value().shape();
  if (gs.size() != 4) {
    throw ShapeError(std::string(op) + ": grad of shape " + shape_str(gs) + " must be 4-D");
  }
  Saved s = adaptive_saved(
      op, is, PoolSize2(static_cast<std::ptrdiff_t>(gs[2]), static_cast<std::ptrdiff_t>(gs[3])));
  require_grad_shape(op, grad, s->out_shape, is);
  return box_backward(grad, s);
}

#define XG_INSTANTIATE(T)                                                                        \
  template Tensor<T> avg_pool2d(const Tensor<T>&, PoolSize2, PoolSize2, PoolSize2, bool, bool,   \
                                std::optional<std::ptrdiff_t>);                                  \
  template Tensor<T> avg_pool2d_backward(const Tensor<T>&, const Shape&, PoolSize2, PoolSize2,   \
                                         PoolSize2, bool, bool, std::optional<std::ptrdiff_t>);  \
  template Tensor<T> avg_pool1d(const Tensor<T>&, std::ptrdiff_t, std::optional<std::ptrdiff_t>, \
                                std::ptrdiff_t, bool, bool);                                     \
  template Tensor<T> adaptive_avg_pool2d(const Tensor<T>&, PoolSize2);                           \
  template Tensor<T> adaptive_avg_pool2d_backward(const Tensor<T>&, const Shape&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
