// Where a kernel tap of a convolution lands inside the input, shared by the im2col and direct
// kernels: output position o reads input position o * stride + tap - pad, which lies inside the
// input for o in one contiguous range; outside it the zero padding contributes nothing.
#pragma once

#include <algorithm>
#include <cstddef>

namespace xg::kernels::detail_conv {

/// The outputs [lo, hi) of [0, out) whose input o * stride + offset falls in [0, in); lo <= hi.
struct TapRange {
  std::size_t lo, hi;
};

inline TapRange tap_range(std::size_t out, std::size_t in, std::size_t stride,
                          std::ptrdiff_t offset) {
  const auto s = static_cast<std::ptrdiff_t>(stride);
  // Smallest o with o s + offset >= 0.
  const std::ptrdiff_t lo = offset >= 0 ? 0 : (-offset + s - 1) / s;
  // One past the largest o with o s + offset <= in - 1.
  const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(in) - 1 - offset;
  const std::ptrdiff_t hi = last < 0 ? 0 : last / s + 1;
  const auto n = static_cast<std::ptrdiff_t>(out);
  const std::ptrdiff_t l = std::min(lo, n);
  return {static_cast<std::size_t>(l), static_cast<std::size_t>(std::clamp(hi, l, n))};
}

/// The input offset of tap k along one axis: k * dilation - pad.
inline std::ptrdiff_t tap_offset(std::size_t k, std::size_t dilation, std::size_t pad) {
  return static_cast<std::ptrdiff_t>(k * dilation) - static_cast<std::ptrdiff_t>(pad);
}

}  // namespace xg::kernels::detail_conv
