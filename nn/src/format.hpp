// Small text helpers shared by the nn sources (not installed).
#pragma once

#include <cstddef>
#include <sstream>
#include <string>

namespace xg::nn::detail {

/// A number as printed by an ostream with default settings: 0.01, 0.333333, 20.
template <class V>
std::string num_str(V v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// 648010 -> "648,010" (Keras' summary style).
inline std::string grouped(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  const std::size_t len = digits.size();
  for (std::size_t i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

inline const char* bool_str(bool b) {
  return b ? "true" : "false";
}

}  // namespace xg::nn::detail
