// Helpers shared by the optimizers' .cpp files (not installed).
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg::optim::detail {

/// The shortest decimal form of `v` that reads back exactly: "0.01", "-1e-06", "nan".
std::string number_str(double v);

/// DomainError "<optimizer>: <option> must be a finite non-negative number, got <value>".
void check_non_negative(const char* optimizer, const char* option, double value);

/// "parameter 3" or "parameter 3 ('weight')".
template <class T>
std::string describe(const Tensor<T>& p, std::size_t index);

/// ShapeError if a defined gradient's shape differs from its parameter's (checked for all
/// parameters before any is updated).
template <class T>
void check_gradients(const char* optimizer, const std::vector<Tensor<T>>& params);

/// `lr` as the element type sees it: updates and state dictionaries both use this value, so a
/// float state_dict restores the learning rate exactly.
template <class T>
double rounded(double lr) {
  return static_cast<double>(static_cast<T>(lr));
}

/// Calls f(std::bool_constant<flag>{}...) with each runtime flag turned into a compile-time
/// one, so that an update loop's option branches (`if constexpr`) vanish from the loop and it
/// vectorises. Usage: with_flags([&](auto a, auto b) { ... if constexpr (a) ... }, x, y);
template <class F>
void with_flags(F&& f) {
  f();
}
template <class F, class... Rest>
void with_flags(F&& f, bool flag, Rest... rest) {
  if (flag) {
    with_flags([&](auto... later) { f(std::true_type{}, later...); }, rest...);
  } else {
    with_flags([&](auto... later) { f(std::false_type{}, later...); }, rest...);
  }
}

}  // namespace xg::optim::detail
