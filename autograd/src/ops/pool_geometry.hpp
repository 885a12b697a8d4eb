// The checks and window plans shared by the pooling operations (not installed): an input's
// layout as planes, the kernel, stride, padding and dilation checked as PyTorch checks them,
// PyTorch's output sizes, and the kernels' window plans.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "kernels/pool.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/pooling.hpp"

namespace xg::detail {

/// An NCHW input (NCL for the 1-d pools, read as H = 1): n c planes of h x w.
struct PoolInput {
  bool one_d;
  std::size_t n, c, h, w;
  std::size_t planes() const { return n * c; }
};

/// The input of shape `s` checked for `op`: 4-D (3-D when one_d) with non-empty C, H and W
/// (N may be 0), else ShapeError.
PoolInput pool_input(const char* op, const array_shape& s, bool one_d);

/// A pool's spatial parameters, checked: kernel, stride and dilation >= 1, padding >= 0 and at
/// most half the kernel (PyTorch's rule), stride = kernel when not given.
struct PoolArgs {
  std::size_t kh, kw, sh, sw, ph, pw, dh, dw;
  bool ceil_mode;
  bool has_dilation;  // false for the average pools (their messages leave it out)
};
PoolArgs pool_args(const char* op, bool one_d, PoolSize2 kernel, PoolSize2 stride,
                   PoolSize2 padding, PoolSize2 dilation, bool ceil_mode, bool has_dilation);

/// The output plane (oh, ow) of a pool with `args` on `in` (of shape `s`), as PyTorch's
/// pooling_output_shape; ShapeError when either is below 1.
std::pair<std::size_t, std::size_t> pool_output(const char* op, const array_shape& s,
                                                const PoolInput& in, const PoolArgs& args);

/// (N, C, oh, ow), or (N, C, ow) for a 1-d pool.
array_shape pool_shape(const PoolInput& in, std::size_t oh, std::size_t ow);

/// "(h, w)", or "w" for a 1-d pool: a pair of sizes in messages.
std::string pool_pair(bool one_d, std::size_t h, std::size_t w);

kernels::MaxPoolPlan max_pool_plan(const PoolInput& in, const PoolArgs& args, std::size_t oh,
                                   std::size_t ow);
/// The windows of avg_pool2d (divisor_override must be non-zero; checked by the caller).
kernels::BoxPoolPlan avg_pool_plan(const PoolInput& in, const PoolArgs& args, std::size_t oh,
                                   std::size_t ow, bool count_include_pad,
                                   std::optional<std::ptrdiff_t> divisor_override);
/// The windows of adaptive_avg_pool2d.
kernels::BoxPoolPlan adaptive_pool_plan(const PoolInput& in, std::size_t oh, std::size_t ow);

}  // namespace xg::detail
