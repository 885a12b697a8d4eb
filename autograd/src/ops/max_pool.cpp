// max_pool2d and max_pool1d: the argmax of each window is saved, the backward adds g at those
// positions (max_pool*_backward), and that operation's rule gathers the cotangent there
// (max_pool*_gather), whose rule is the backward again: gradients of any order are recorded.
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

/// What the rules of a max-pool's operations share: the argmax positions and both shapes.
struct MaxPoolSaved {
  bool one_d;
  array_shape in_shape, out_shape;
  std::size_t planes, in_plane, out_plane;
  xt::xarray<std::size_t> indices;  // of out_shape, positions in the input plane
};
using Saved = std::shared_ptr<const MaxPoolSaved>;

template <class T>
Tensor<T> gather_op(const Tensor<T>& a, const Saved& s);

XG_RULE_TEXT(max_pool2d_backward,
             "out = zeros of the input's shape with a added at the saved argmax positions; "
             "da = max_pool2d_gather(g)");
XG_RULE_TEXT(max_pool1d_backward,
             "out = zeros of the input's shape with a added at the saved argmax positions; "
             "da = max_pool1d_gather(g)");
template <class T>
Tensor<T> scatter_op(const Tensor<T>& g, const Saved& s) {
  const char* op = s->one_d ? "max_pool1d_backward" : "max_pool2d_backward";
  xt::xarray<T> out = detail::uninitialized_array<T>(op, s->in_shape);
  kernels::max_pool_scatter(g.value().data(), s->indices.data(), s->planes, s->in_plane,
                            s->out_plane, out.data());
  return record<T>(
      op, std::move(out), {g},
      [s](BackwardContext<T>& c) { c.input_grads[0] = gather_op(c.grad, s); }, Saves::nothing());
}

XG_RULE_TEXT(max_pool2d_gather,
             "out = a at the saved argmax positions of a max_pool2d; da = max_pool2d_backward(g)");
XG_RULE_TEXT(max_pool1d_gather,
             "out = a at the saved argmax positions of a max_pool1d; da = max_pool1d_backward(g)");
template <class T>
Tensor<T> gather_op(const Tensor<T>& a, const Saved& s) {
  const char* op = s->one_d ? "max_pool1d_gather" : "max_pool2d_gather";
  xt::xarray<T> out = detail::uninitialized_array<T>(op, s->out_shape);
  kernels::max_pool_gather(a.value().data(), s->indices.data(), s->planes, s->in_plane,
                           s->out_plane, out.data());
  return record<T>(
      op, std::move(out), {a},
      [s](BackwardContext<T>& c) { c.input_grads[0] = scatter_op(c.grad, s); }, Saves::nothing());
}

XG_RULE_TEXT(max_pool2d,
             "out = the maximum of each window (first maximum in scan order, NaN wins); "
             "da = max_pool2d_backward(g) = g added at the argmax positions");
XG_RULE_TEXT(max_pool1d,
             "out = the maximum of each window (first maximum in scan order, NaN wins); "
             "da = max_pool1d_backward(g) = g added at the argmax positions");
template <class T>
MaxPoolResult<T> max_pool(const char* op, const Tensor<T>& x, bool one_d, PoolSize2 kernel,
                          PoolSize2 stride, PoolSize2 padding, PoolSize2 dilation, bool ceil_mode,
                          bool want_indices) {
  detail::require_defined(op, x);
  const auto& s = x.value().shape();
  const PoolInput in = detail::pool_input(op, s, one_d);
  const detail::PoolArgs args =
      detail::pool_args(op, one_d, kernel, stride, padding, dilation, ceil_mode, true);
  const auto [oh, ow] = detail::pool_output(op, s, in, args);
  const array_shape out_shape = detail::pool_shape(in, oh, ow);
  xt::xarray<T> out = detail::uninitialized_array<T>(op, out_shape);
  auto indices = xt::xarray<std::size_t>::from_shape(out_shape);
  kernels::max_pool_forward(x.value().data(), in.planes(), detail::max_pool_plan(in, args, oh, ow),
                            out.data(), indices.data());
  auto saved = std::make_shared<const MaxPoolSaved>(
      MaxPoolSaved{one_d, s, out_shape, in.planes(), in.h * in.w, oh * ow, std::move(indices)});
  MaxPoolResult<T> r;
  if (want_indices) r.indices = saved->indices;
  r.output = record<T>(
      op, std::move(out), {x},
      [saved](BackwardContext<T>& c) { c.input_grads[0] = scatter_op(c.grad, saved); },
      Saves::nothing());
  return r;
}

/// A 1-d pool's size as the 2-d one of an H = 1 input: (h, v).
PoolSize2 one_d_size(std::ptrdiff_t v, std::ptrdiff_t h = 1) {
  return PoolSize2(h, v);
}

}  // namespace

template <class T>
Tensor<T> max_pool2d(const Tensor<T>& x, PoolSize2 kernel, PoolSize2 stride, PoolSize2 padding,
                     PoolSize2 dilation, bool ceil_mode) {
  return max_pool("max_pool2d", x, false, kernel, stride, padding, dilation, ceil_mode, false)
      .output;
}

template <class T>
MaxPoolResult<T> max_pool2d_with_indices(const Tensor<T>& x, PoolSize2 kernel, PoolSize2 stride,
                                         PoolSize2 padding, PoolSize2 dilation, bool ceil_mode) {
  return max_pool("max_pool2d", x, false, kernel, stride, padding, dilation, ceil_mode, true);
}

template <class T>
Tensor<T> max_pool1d(const Tensor<T>& x, std::ptrdiff_t kernel,
                     std::optional<std::ptrdiff_t> stride, std::ptrdiff_t padding,
                     std::ptrdiff_t dilation, bool ceil_mode) {
  return max_pool("max_pool1d", x, true, one_d_size(kernel),
                  stride ? one_d_size(*stride) : PoolSize2(), one_d_size(padding, 0),
                  one_d_size(dilation), ceil_mode, false)
      .output;
}

template <class T>
MaxPoolResult<T> max_pool1d_with_indices(const Tensor<T>& x, std::ptrdiff_t kernel,
                                         std::optional<std::ptrdiff_t> stride,
                                         std::ptrdiff_t padding, std::ptrdiff_t dilation,
                                         bool ceil_mode) {
  return max_pool("max_pool1d", x, true, one_d_size(kernel),
                  stride ? one_d_size(*stride) : PoolSize2(), one_d_size(padding, 0),
                  one_d_size(dilation), ceil_mode, true);
}

template <class T>
Tensor<T> max_pool2d_backward(const Tensor<T>& grad, const xt::xarray<std::size_t>& indices,
                              const Shape& input_shape) {
  const char* op = "max_pool2d_backward";
  detail::require_defined(op, grad);
  const array_shape is = detail::to_array_shape(input_shape);
  const PoolInput in = detail::pool_input(op, is, false);
  const auto& gs = grad.value().shape();
  if (gs.size() != 4 || gs[0] != in.n || gs[1] != in.c || indices.shape() != gs) {
    throw ShapeError(std::string(op) + ": grad of shape " + shape_str(gs) +
                     " and indices of shape " + shape_str(indices.shape()) +
                     " must have one 4-D shape with the N and C of the input shape " +
                     shape_str(is));
  }
  const std::size_t in_plane = in.h * in.w;
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices.data()[i] >= in_plane) {
      throw IndexError(std::string(op) + ": index " + std::to_string(indices.data()[i]) + " at " +
                       detail::index_str(i, gs) + " is out of range for the " +
                       std::to_string(in.h) + " x " + std::to_string(in.w) +
                       " planes of the input shape " + shape_str(is));
    }
  }
  auto saved = std::make_shared<const MaxPoolSaved>(
      MaxPoolSaved{false, is, gs, in.planes(), in_plane, gs[2] * gs[3], indices});
  return scatter_op(grad, saved);
}

#define XG_INSTANTIATE(T)                                                                          \
  template Tensor<T> max_pool2d(const Tensor<T>&, PoolSize2, PoolSize2, PoolSize2, PoolSize2,      \
                                bool);                                                             \
  template MaxPoolResult<T> max_pool2d_with_indices(const Tensor<T>&, PoolSize2, PoolSize2,        \
                                                    PoolSize2, PoolSize2, bool);                   \
  template Tensor<T> max_pool1d(const Tensor<T>&, std::ptrdiff_t, std::optional<std::ptrdiff_t>,   \
                                std::ptrdiff_t, std::ptrdiff_t, bool);                             \
  template MaxPoolResult<T> max_pool1d_with_indices(const Tensor<T>&, std::ptrdiff_t,              \
                                                    std::optional<std::ptrdiff_t>, std::ptrdiff_t, \
                                                    std::ptrdiff_t, bool);                         \
  template Tensor<T> max_pool2d_backward(const Tensor<T>&, const xt::xarray<std::size_t>&,         \
                                         const Shape&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
