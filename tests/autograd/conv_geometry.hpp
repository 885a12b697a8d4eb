// The kernels' geometry of a convolution, for tests that call the kernels directly.
#pragma once

#include <cstddef>

#include "kernels/conv.hpp"
#include "xgrad/ops/conv.hpp"

namespace xg::test {

/// A convolution's output size along one axis (PyTorch's formula).
inline std::size_t conv_out_size(std::size_t in, std::size_t pad, std::size_t k,
                                 std::size_t dilation, std::size_t stride) {
  return (in + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
}

/// The geometry of conv2d on input shape x (N, C, H, W) and weight shape w (O, C/G, KH, KW).
inline kernels::ConvGeometry conv_geometry(const Shape& x, const Shape& w, const Conv2dOptions& o) {
  kernels::ConvGeometry g;
  g.batch = x[0];
  g.in_channels = x[1];
  g.in_h = x[2];
  g.in_w = x[3];
  g.out_channels = w[0];
  g.kernel_h = w[2];
  g.kernel_w = w[3];
  g.stride_h = o.stride.h;
  g.stride_w = o.stride.w;
  g.pad_h = o.padding.h;
  g.pad_w = o.padding.w;
  g.dilation_h = o.dilation.h;
  g.dilation_w = o.dilation.w;
  g.groups = o.groups;
  g.out_h = conv_out_size(g.in_h, g.pad_h, g.kernel_h, g.dilation_h, g.stride_h);
  g.out_w = conv_out_size(g.in_w, g.pad_w, g.kernel_w, g.dilation_w, g.stride_w);
  return g;
}

}  // namespace xg::test
