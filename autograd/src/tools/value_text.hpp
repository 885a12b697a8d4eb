// Short text for tensor values, shared by the DOT export and the backward trace (not installed).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>

#include <xtensor/xarray.hpp>

namespace xg::detail {

/// One number with `precision` significant digits (%g style: 0.25, 1.5e-07, -3).
inline std::string number_text(double v, int precision) {
  if (v == 0) v = 0;  // print -0 (e.g. g * 0 under a ReLU mask) as 0
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

/// "[a, b, c]" for the first `max_values` values in row-major order, "..." when cut.
template <class T>
std::string values_text(const xt::xarray<T>& a, std::size_t max_values, int precision) {
  std::string s = "[";
  std::size_t i = 0;
  for (auto it = a.begin(); it != a.end(); ++it, ++i) {
    if (i == max_values) {
      s += ", ...";
      break;
    }
    if (i > 0) s += ", ";
    s += number_text(static_cast<double>(*it), precision);
  }
  return s + "]";
}

}  // namespace xg::detail
