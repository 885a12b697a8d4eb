// Constant padding of a row-major array, any rank: each output element is either the input
// element it sits over or the fill value. Negative pads crop. Rows (runs along the last axis)
// are split over the pool's threads; each output element is written exactly once.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"

namespace xg::kernels {

/// out (of shape `os`) = x (of shape `is`, same rank >= 1) moved by before[d] along each axis
/// d: out[o] = x[o - before] where that lies inside x, else `value`.
template <class T>
void pad_constant(const T* x, const std::vector<std::size_t>& is,
                  const std::vector<std::ptrdiff_t>& before, const std::vector<std::size_t>& os,
                  T value, T* out) {
  const std::size_t rank = os.size();
  const std::size_t len = os[rank - 1];
  const std::size_t in_len = is[rank - 1];
  std::size_t rows = 1;
  for (std::size_t d = 0; d + 1 < rank; ++d) rows *= os[d];
  if (rows == 0 || len == 0) return;
  // The run of the last axis that comes from x: output [lo, hi) from input [lo - b, hi - b).
  const auto b = before[rank - 1];
  const auto sl = static_cast<std::ptrdiff_t>(len);
  const std::ptrdiff_t lo = std::clamp<std::ptrdiff_t>(b, 0, sl);
  const std::ptrdiff_t hi =
      std::clamp<std::ptrdiff_t>(b + static_cast<std::ptrdiff_t>(in_len), lo, sl);
  parallel_for(
      rows,
      [&](std::size_t begin, std::size_t end) {
        // The output coordinates of row `begin` along the leading axes, then counted up.
        std::vector<std::size_t> at(rank > 1 ? rank - 1 : 0);
        for (std::size_t d = at.size(), r = begin; d-- > 0;) {
          at[d] = r % os[d];
          r /= os[d];
        }
        for (std::size_t r = begin; r < end; ++r) {
          T* o = out + r * len;
          std::ptrdiff_t src = 0;  // the input row's offset, in elements
          bool inside = true;
          for (std::size_t d = 0; d < at.size() && inside; ++d) {
            const std::ptrdiff_t i = static_cast<std::ptrdiff_t>(at[d]) - before[d];
            inside = i >= 0 && i < static_cast<std::ptrdiff_t>(is[d]);
            src = src * static_cast<std::ptrdiff_t>(is[d]) + i;
          }
          if (!inside || lo == hi) {
            std::fill(o, o + len, value);
          } else {
            const T* row = x + src * static_cast<std::ptrdiff_t>(in_len);
            std::fill(o, o + lo, value);
            std::copy(row + (lo - b), row + (hi - b), o + lo);
            std::fill(o + hi, o + len, value);
          }
          for (std::size_t d = at.size(); d-- > 0;) {
            if (++at[d] < os[d]) break;
            at[d] = 0;
          }
        }
      },
      rows_per_task(len));
}

}  // namespace xg::kernels
