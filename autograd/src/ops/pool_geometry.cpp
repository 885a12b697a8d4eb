#include "ops/pool_geometry.hpp"

#include <algorithm>
#include <string>

namespace xg::detail {

namespace {

std::string signed_pair(bool one_d, std::ptrdiff_t h, std::ptrdiff_t w) {
  if (one_d) return std::to_string(w);
  std::string s("(");  // appended piece by piece: GCC 12 warns (-Wrestrict) on "(" + string
  s += std::to_string(h);
  s += ", ";
  s += std::to_string(w);
  s += ')';
  return s;
}

/// floor(a / b) for b > 0 (PyTorch's div_rtn).
std::ptrdiff_t floor_div(std::ptrdiff_t a, std::ptrdiff_t b) {
  const std::ptrdiff_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// PyTorch's pooling_output_shape along one axis (may be below 1).
std::ptrdiff_t output_size(std::size_t in, std::size_t k, std::size_t s, std::size_t pad,
                           std::size_t d, bool ceil_mode) {
  const auto n = static_cast<std::ptrdiff_t>(in);
  const auto p = static_cast<std::ptrdiff_t>(pad);
  const auto st = static_cast<std::ptrdiff_t>(s);
  const std::ptrdiff_t extent = static_cast<std::ptrdiff_t>(d * (k - 1)) + 1;
  std::ptrdiff_t out = floor_div(n + 2 * p - extent + (ceil_mode ? st - 1 : 0), st) + 1;
  // In ceil_mode the last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * st >= n + p) --out;
  return out;
}

}  // namespace

std::string pool_pair(bool one_d, std::size_t h, std::size_t w) {
  return signed_pair(one_d, static_cast<std::ptrdiff_t>(h), static_cast<std::ptrdiff_t>(w));
}

PoolInput pool_input(const char* op, const array_shape& s, bool one_d) {
  const std::size_t rank = one_d ? 3 : 4;
  if (s.size() != rank) {
    throw ShapeError(std::string(op) + ": input of shape " + shape_str(s) + " must be " +
                     (one_d ? "3-D (N, C, L)" : "4-D (N, C, H, W)"));
  }
  if (std::any_of(s.begin() + 1, s.end(), [](std::size_t v) { return v == 0; })) {
    throw ShapeError(std::string(op) + ": input of shape " + shape_str(s) + " has an empty " +
                     (one_d ? "channel or length axis" : "channel or spatial axis"));
  }
  return one_d ? PoolInput{true, s[0], s[1], 1, s[2]} : PoolInput{false, s[0], s[1], s[2], s[3]};
}

PoolArgs pool_args(const char* op, bool one_d, PoolSize2 kernel, PoolSize2 stride,
                   PoolSize2 padding, PoolSize2 dilation, bool ceil_mode, bool has_dilation) {
  const std::string o(op);
  auto require = [&](bool ok, const char* what, PoolSize2 v, const char* rule) {
    if (!ok) {
      throw ShapeError(o + ": " + what + " must be " + rule + ", got " +
                       signed_pair(one_d, v.h, v.w));
    }
  };
  require(kernel.given && kernel.h >= 1 && kernel.w >= 1, "kernel size", kernel, "at least 1");
  if (!stride.given) stride = kernel;
  require(stride.h >= 1 && stride.w >= 1, "stride", stride, "at least 1");
  if (!padding.given) padding = 0;
  require(padding.h >= 0 && padding.w >= 0, "padding", padding, "non-negative");
  if (!dilation.given) dilation = 1;
  require(dilation.h >= 1 && dilation.w >= 1, "dilation", dilation, "at least 1");
  if (padding.h > kernel.h / 2 || padding.w > kernel.w / 2) {
    throw ShapeError(o + ": padding " + signed_pair(one_d, padding.h, padding.w) +
                     " must be at most half the kernel size " +
                     signed_pair(one_d, kernel.h, kernel.w));
  }
  auto u = [](std::ptrdiff_t v) { return static_cast<std::size_t>(v); };
  return {u(kernel.h),  u(kernel.w),   u(stride.h),   u(stride.w), u(padding.h),
          u(padding.w), u(dilation.h), u(dilation.w), ceil_mode,   has_dilation};
}

std::pair<std::size_t, std::size_t> pool_output(const char* op, const array_shape& s,
                                                const PoolInput& in, const PoolArgs& a) {
  const std::ptrdiff_t oh = output_size(in.h, a.kh, a.sh, a.ph, a.dh, a.ceil_mode);
  const std::ptrdiff_t ow = output_size(in.w, a.kw, a.sw, a.pw, a.dw, a.ceil_mode);
  if (oh < 1 || ow < 1) {
    const bool d = in.one_d;
    throw ShapeError(std::string(op) + ": input of shape " + shape_str(s) + " with kernel " +
                     pool_pair(d, a.kh, a.kw) + ", stride " + pool_pair(d, a.sh, a.sw) +
                     ", padding " + pool_pair(d, a.ph, a.pw) +
                     (a.has_dilation ? ", dilation " + pool_pair(d, a.dh, a.dw) : std::string()) +
                     " gives an output size of " + signed_pair(d, oh, ow) +
                     ", below 1: the window is larger than the padded input");
  }
  return {static_cast<std::size_t>(oh), static_cast<std::size_t>(ow)};
}

array_shape pool_shape(const PoolInput& in, std::size_t oh, std::size_t ow) {
  return in.one_d ? array_shape{in.n, in.c, ow} : array_shape{in.n, in.c, oh, ow};
}

kernels::MaxPoolPlan max_pool_plan(const PoolInput& in, const PoolArgs& a, std::size_t oh,
                                   std::size_t ow) {
  return {in.h, in.w, oh, ow, a.kh, a.kw, a.sh, a.sw, a.ph, a.pw, a.dh, a.dw};
}

namespace {

/// One axis of avg_pool2d, as PyTorch's kernel: the window [o s - pad, o s - pad + k) clipped
/// to the padded input gives the count_include_pad divisor, clipped to the input the range.
void avg_axis(std::size_t in, std::size_t out, std::size_t k, std::size_t s, std::size_t pad,
              bool count_include_pad, std::vector<std::size_t>& begin,
              std::vector<std::size_t>& end, std::vector<std::int64_t>& divisor) {
  begin.resize(out);
  end.resize(out);
  divisor.resize(out);
  const auto n = static_cast<std::ptrdiff_t>(in);
  const auto p = static_cast<std::ptrdiff_t>(pad);
  for (std::size_t o = 0; o < out; ++o) {
    const std::ptrdiff_t b = static_cast<std::ptrdiff_t>(o * s) - p;
    const std::ptrdiff_t e = std::min(b + static_cast<std::ptrdiff_t>(k), n + p);
    const std::ptrdiff_t cb = std::max<std::ptrdiff_t>(b, 0);
    const std::ptrdiff_t ce = std::min(e, n);
    begin[o] = static_cast<std::size_t>(cb);
    end[o] = static_cast<std::size_t>(std::max(ce, cb));
    divisor[o] = count_include_pad ? e - b : std::max<std::ptrdiff_t>(ce - cb, 0);
  }
}

}  // namespace

kernels::BoxPoolPlan avg_pool_plan(const PoolInput& in, const PoolArgs& a, std::size_t oh,
                                   std::size_t ow, bool count_include_pad,
                                   std::optional<std::ptrdiff_t> divisor_override) {
  kernels::BoxPoolPlan p;
  p.h = in.h;
  p.w = in.w;
  p.oh = oh;
  p.ow = ow;
  avg_axis(in.h, oh, a.kh, a.sh, a.ph, count_include_pad, p.r0, p.r1, p.rd);
  avg_axis(in.w, ow, a.kw, a.sw, a.pw, count_include_pad, p.c0, p.c1, p.cd);
  if (divisor_override) {
    std::fill(p.rd.begin(), p.rd.end(), static_cast<std::int64_t>(*divisor_override));
    std::fill(p.cd.begin(), p.cd.end(), std::int64_t{1});
  }
  return p;
}

namespace {

/// One axis of adaptive_avg_pool2d: output o covers [floor(o in / out), ceil((o + 1) in / out)).
void adaptive_axis(std::size_t in, std::size_t out, std::vector<std::size_t>& begin,
                   std::vector<std::size_t>& end, std::vector<std::int64_t>& size) {
  begin.resize(out);
  end.resize(out);
  size.resize(out);
  for (std::size_t o = 0; o < out; ++o) {
    begin[o] = o * in / out;
    end[o] = ((o + 1) * in + out - 1) / out;
    size[o] = static_cast<std::int64_t>(end[o] - begin[o]);
  }
}

}  // namespace

kernels::BoxPoolPlan adaptive_pool_plan(const PoolInput& in, std::size_t oh, std::size_t ow) {
  kernels::BoxPoolPlan p;
  p.h = in.h;
  p.w = in.w;
  p.oh = oh;
  p.ow = ow;
  p.per_axis = true;  // sum / kh / kw, as PyTorch's kernel
  adaptive_axis(in.h, oh, p.r0, p.r1, p.rd);
  adaptive_axis(in.w, ow, p.c0, p.c1, p.cd);
  return p;
}

}  // namespace xg::detail
