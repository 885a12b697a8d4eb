// Helpers shared by the optimizers' .cpp files (not installed).
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

namespace xg::optim::detail {

/// The shortest decimal form of `v` that reads back exactly: "0.01", "-1e-06", "nan".
std::string number_str(double v);

/// Where a hyper-parameter must lie.
enum class Range {
  non_negative,  ///< [0, inf)
  positive,      ///< (0, inf)
  unit_closed,   ///< [0, 1]
  unit_open,     ///< [0, 1)
};

/// The one check of every optimizer's and scheduler's hyper-parameters (lr included, also when
/// a scheduler sets it or a state dictionary loads it): DomainError "<who>: <option> must be
/// <range>, finite as <T>, got <value>" unless `value` is in range both as given and as the element
/// type T holds it (1e300 is a finite double but an infinite float; 0.999999999 is a float 1).
template <class T>
void check_option(const char* who, const char* option, double value,
                  Range range = Range::non_negative);

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
