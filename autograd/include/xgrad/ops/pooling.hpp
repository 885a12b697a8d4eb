// Pooling over the spatial axes of NCHW (2-d) and NCL (1-d) tensors, with PyTorch's semantics:
// output sizes, ceil_mode, padding, dilation, count_include_pad, divisor_override and the
// adaptive windows are PyTorch's, and so are max-pool's ties (the first maximum in row-major
// scan order) and NaN (a NaN window gives NaN, the last NaN in scan order being the argmax).
//
// Each backward is an operation whose own rule is recorded too, so gradients of any order work:
// max_pool2d's is max_pool2d_backward (g added at the saved argmax positions), whose rule gathers
// the cotangent at those positions; avg_pool2d_backward's rule is avg_pool2d with the same
// parameters, adaptive_avg_pool2d_backward's is adaptive_avg_pool2d. The 1-d pools are the 2-d
// ones with H = 1 and share their backward operations.
#pragma once

#include <cstddef>
#include <optional>

#include <xtensor/xarray.hpp>

#include "xgrad/tensor.hpp"

namespace xg {

/// A pooling window's kernel, stride, padding or dilation along (H, W): one number for both
/// axes (`3`) or a pair (`{3, 2}`). A default-constructed one is "not given", which a stride
/// reads as "equal to the kernel" (PyTorch's stride=None).
struct PoolSize2 {
  std::ptrdiff_t h = 0, w = 0;
  bool given = false;

  PoolSize2() = default;
  PoolSize2(std::ptrdiff_t both) : h(both), w(both), given(true) {}  // NOLINT: implicit by design
  PoolSize2(std::ptrdiff_t h_, std::ptrdiff_t w_) : h(h_), w(w_), given(true) {}
};

/// A max-pool's output with the argmax of each output element: its flat index in the H x W
/// plane (the length L for 1-d) of the input, as PyTorch's return_indices.
template <class T>
struct MaxPoolResult {
  Tensor<T> output;
  xt::xarray<std::size_t> indices;
};

/// PyTorch's max_pool2d on x of shape (N, C, H, W). Output size along H:
/// floor-or-ceil((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1, in ceil_mode one less
/// when the last window would start in the bottom padding. Padded positions never win. ShapeError
/// naming the op and the shapes for a non-4-D x, an empty C, H or W, a kernel, stride or
/// dilation below 1, a negative padding, padding above kernel / 2 or an output size below 1.
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& x, PoolSize2 kernel, PoolSize2 stride = {},
                     PoolSize2 padding = 0, PoolSize2 dilation = 1, bool ceil_mode = false);
/// max_pool2d and the argmax indices (of the output's shape).
template <class T>
MaxPoolResult<T> max_pool2d_with_indices(const Tensor<T>& x, PoolSize2 kernel,
                                         PoolSize2 stride = {}, PoolSize2 padding = 0,
                                         PoolSize2 dilation = 1, bool ceil_mode = false);
/// The gradient of a max-pool: zeros of `input_shape` (N, C, H, W) with grad[n, c, i] added at
/// plane position indices[n, c, i] (repeats add up). `grad` and `indices` have one shape
/// (N, C, OH, OW); indices < H W (ShapeError / IndexError otherwise). Its rule gathers the
/// cotangent at the indices.
template <class T>
Tensor<T> max_pool2d_backward(const Tensor<T>& grad, const xt::xarray<std::size_t>& indices,
                              const Shape& input_shape);

/// PyTorch's avg_pool2d on x of shape (N, C, H, W): the mean of each window, padding as zeros.
/// The divisor is the window's size clipped to the padded input when count_include_pad (the
/// default), the number of input elements in it otherwise, or divisor_override when given
/// (non-zero). Output size and checks as max_pool2d's, with dilation 1.
template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& x, PoolSize2 kernel, PoolSize2 stride = {},
                     PoolSize2 padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<std::ptrdiff_t> divisor_override = std::nullopt);
/// The gradient of avg_pool2d with these parameters for an input of `input_shape`: each
/// grad element divided by its window's divisor and added to the window's input positions.
/// Linear in grad; its rule is avg_pool2d of the cotangent.
template <class T>
Tensor<T> avg_pool2d_backward(const Tensor<T>& grad, const Shape& input_shape, PoolSize2 kernel,
                              PoolSize2 stride = {}, PoolSize2 padding = 0, bool ceil_mode = false,
                              bool count_include_pad = true,
                              std::optional<std::ptrdiff_t> divisor_override = std::nullopt);

/// PyTorch's adaptive_avg_pool2d: output (N, C, oh, ow), element (i, j) the mean of input rows
/// [floor(i H / oh), ceil((i + 1) H / oh)) and columns [floor(j W / ow), ceil((j + 1) W / ow)).
/// ShapeError for a non-4-D x, an empty C, H or W, or an output size below 1.
template <class T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& x, PoolSize2 output_size);
/// The gradient of adaptive_avg_pool2d for an input of `input_shape`: each grad element divided
/// by its window's size and added to the window. Its rule is adaptive_avg_pool2d.
template <class T>
Tensor<T> adaptive_avg_pool2d_backward(const Tensor<T>& grad, const Shape& input_shape);

/// PyTorch's max_pool1d on x of shape (N, C, L): max_pool2d with H = 1 (ShapeError unless 3-D).
template <class T>
Tensor<T> max_pool1d(const Tensor<T>& x, std::ptrdiff_t kernel,
                     std::optional<std::ptrdiff_t> stride = std::nullopt,
                     std::ptrdiff_t padding = 0, std::ptrdiff_t dilation = 1,
                     bool ceil_mode = false);
/// max_pool1d and the argmax indices (positions along L).
template <class T>
MaxPoolResult<T> max_pool1d_with_indices(const Tensor<T>& x, std::ptrdiff_t kernel,
                                         std::optional<std::ptrdiff_t> stride = std::nullopt,
                                         std::ptrdiff_t padding = 0, std::ptrdiff_t dilation = 1,
                                         bool ceil_mode = false);
/// PyTorch's avg_pool1d on x of shape (N, C, L): avg_pool2d with H = 1.
template <class T>
Tensor<T> avg_pool1d(const Tensor<T>& x, std::ptrdiff_t kernel,
                     std::optional<std::ptrdiff_t> stride = std::nullopt,
                     std::ptrdiff_t padding = 0, bool ceil_mode = false,
                     bool count_include_pad = true);

}  // namespace xg
