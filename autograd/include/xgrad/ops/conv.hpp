// Convolutions, PyTorch's semantics (F.conv2d / F.conv1d: cross-correlation, zero padding),
// NCHW layout:
//
//   auto y = xg::conv2d(x, w, b, {.stride = 2, .padding = 1});   // x (N, C, H, W)
//   auto z = xg::conv2d(x, w, {.padding = {1, 2}, .groups = 4});  // no bias
//
// Three recorded operations, closed under differentiation, so that gradients of any order run
// on the same fast kernels (im2col + GEMM, or direct loops for depth-wise convolutions):
//   conv2d(x, w)                       y = x * w (+ b)
//   conv2d_backward_input(g, w)        d<conv2d(x, w), g>/dx, bilinear in (g, w)
//   conv2d_backward_weight(x, g)       d<conv2d(x, w), g>/dw, bilinear in (x, g)
// Each one's rule is made of the other two (and a sum over N, H, W for the bias). conv1d (NCL)
// records conv1d, conv1d_backward_input and conv1d_backward_weight on the same kernels.
#pragma once

#include <cstddef>

#include "xgrad/tensor.hpp"

namespace xg {

/// A (height, width) pair of a 2-D convolution's parameter; one number stands for both
/// (`.stride = 2` is {2, 2}).
struct Size2 {
  std::size_t h, w;
  constexpr Size2(std::size_t both) : h(both), w(both) {}
  constexpr Size2(std::size_t height, std::size_t width) : h(height), w(width) {}
  friend constexpr bool operator==(const Size2&, const Size2&) = default;
};

/// PyTorch's stride, padding (zeros on each side), dilation and groups.
struct Conv2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 dilation = 1;
  /// Input and output channels split into this many independent groups (groups = channels:
  /// depth-wise).
  std::size_t groups = 1;
};

struct Conv1dOptions {
  std::size_t stride = 1;
  std::size_t padding = 0;
  std::size_t dilation = 1;
  std::size_t groups = 1;
};

/// x (N, C, H, W), w (O, C / groups, kH, kW), b (O) or undefined for no bias: y (N, O, OH, OW)
/// with OH = (H + 2 padding.h - dilation.h (kH - 1) - 1) / stride.h + 1 (likewise OW).
/// ShapeError naming the op and the shapes when the input or weight is not 4-D, the channels
/// do not divide into the groups or do not match the weight, the bias is not (O), a kernel
/// size, stride, dilation or groups is zero, or the output would be empty.
template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b = Tensor<T>(),
                 const Conv2dOptions& options = {});
/// conv2d without a bias.
template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Conv2dOptions& options);

/// x (N, C, L), w (O, C / groups, k), b (O) or undefined: y (N, O, OL). The checks of conv2d.
template <class T>
Tensor<T> conv1d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b = Tensor<T>(),
                 const Conv1dOptions& options = {});
template <class T>
Tensor<T> conv1d(const Tensor<T>& x, const Tensor<T>& w, const Conv1dOptions& options);

/// The gradient of sum(conv2d(x, w) * grad) with respect to x, for x of spatial size
/// `input_size` (needed: with a stride above 1 several input sizes give one output size).
/// grad (N, O, OH, OW), w (O, C / groups, kH, kW); the result is (N, C, H, W).
template <class T>
Tensor<T> conv2d_backward_input(const Tensor<T>& grad, const Tensor<T>& w, Size2 input_size,
                                const Conv2dOptions& options = {});
/// The gradient of sum(conv2d(x, w) * grad) with respect to w, for w of spatial size
/// `kernel_size`: x (N, C, H, W), grad (N, O, OH, OW); the result is (O, C / groups, kH, kW).
template <class T>
Tensor<T> conv2d_backward_weight(const Tensor<T>& x, const Tensor<T>& grad, Size2 kernel_size,
                                 const Conv2dOptions& options = {});

/// conv1d's counterparts: grad (N, O, OL), w (O, C / groups, k) -> (N, C, input_size).
template <class T>
Tensor<T> conv1d_backward_input(const Tensor<T>& grad, const Tensor<T>& w, std::size_t input_size,
                                const Conv1dOptions& options = {});
/// x (N, C, L), grad (N, O, OL) -> (O, C / groups, kernel_size).
template <class T>
Tensor<T> conv1d_backward_weight(const Tensor<T>& x, const Tensor<T>& grad, std::size_t kernel_size,
                                 const Conv1dOptions& options = {});

}  // namespace xg
