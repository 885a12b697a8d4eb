// NumPy broadcasting of two operands to one result shape, reduced to loops: the result is seen
// as `rows` contiguous runs of `inner` elements, and each operand supplies, per run, either a
// contiguous run of its own or one value repeated along it. Axes of size 1 in the result are
// dropped and neighbouring axes that both operands traverse alike are merged, so the inner run
// is as long as the layouts allow.
#pragma once

#include <cstddef>
#include <utility>

#include <xtensor/xarray.hpp>

namespace xg::kernels {

struct BroadcastPlan {
  using Shape = xt::xarray<double>::shape_type;

  std::size_t rows = 1, inner = 1;
  bool a_run = false, b_run = false;     ///< the operand advances along the inner run
  Shape dims{}, a_stride{}, b_stride{};  ///< the outer axes (merged), outermost first

  BroadcastPlan(const Shape& sa, const Shape& sb, const Shape& out) {
    const std::size_t rank = out.size();
    Shape sizes, as, bs;  // the result's axes of size > 1 and each operand's strides there
    auto strides_of = [rank](const Shape& s) {
      Shape st(rank, 0);
      std::size_t step = 1;
      for (std::size_t k = 0; k < s.size(); ++k) {
        const std::size_t d = s.size() - 1 - k;
        st[rank - 1 - k] = s[d] == 1 ? 0 : step;
        step *= s[d];
      }
      return st;
    };
    const Shape sta = strides_of(sa), stb = strides_of(sb);
    for (std::size_t d = 0; d < rank; ++d) {
      if (out[d] == 1) continue;
      if (!sizes.empty() && sta[d] * out[d] == as.back() && stb[d] * out[d] == bs.back()) {
        // The previous axis continues this one for both operands: merge them.
        sizes.back() *= out[d];
        as.back() = sta[d];
        bs.back() = stb[d];
        continue;
      }
      sizes.push_back(out[d]);
      as.push_back(sta[d]);
      bs.push_back(stb[d]);
    }
    if (sizes.empty()) return;  // one element
    inner = sizes.back();
    a_run = as.back() != 0;
    b_run = bs.back() != 0;
    dims.assign(sizes.begin(), sizes.end() - 1);
    a_stride.assign(as.begin(), as.end() - 1);
    b_stride.assign(bs.begin(), bs.end() - 1);
    for (std::size_t d : dims) rows *= d;
  }

  /// The offsets in a and in b where run `row` starts.
  std::pair<std::size_t, std::size_t> offsets(std::size_t row) const {
    std::size_t ia = 0, ib = 0;
    for (std::size_t k = dims.size(); k-- > 0;) {
      const std::size_t i = row % dims[k];
      row /= dims[k];
      ia += i * a_stride[k];
      ib += i * b_stride[k];
    }
    return {ia, ib};
  }
};

}  // namespace xg::kernels
