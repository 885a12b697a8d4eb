// f of each value of an array, as a constant operand of a backward rule (a mask, or a derivative
// that is flat where it is used).
#pragma once

#include <xtensor/xarray.hpp>

#include "kernels/elementwise.hpp"
#include "ops/util.hpp"

namespace xg::detail {

template <class T, class F>
Tensor<T> constant_map(const xt::xarray<T>& a, F f) {
  return constant<T>(kernels::map_values("derivative", a, f));
}

}  // namespace xg::detail
