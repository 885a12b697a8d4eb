// The one check that a shape can describe an array, used by every factory, reader and operation
// that makes a shape of its own (a broadcast, a matrix product, a reshape target, a file's
// header) before anything is allocated.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>

#include "xgrad/errors.hpp"

namespace xg::detail {

[[noreturn]] void throw_shape_too_large(const char* op, const std::string& shape,
                                        std::size_t element_size);

/// The number of elements of an array of `shape` whose elements take `element_size` bytes, once
/// it is known that such an array can exist: the product of the non-zero dimensions, times the
/// element size, fits in a std::ptrdiff_t. That product is the array's extent in bytes and bounds
/// the strides xtensor computes as signed numbers, so a zero dimension does not excuse the
/// others: the strides of (0, 2^40, 2^40) overflow as well (NumPy rejects it too). Otherwise
/// throws ShapeError naming `op` and the shape; negative dimensions are rejected the same way.
/// The rare cases of checked_element_count, out of the hot path: empty shapes and errors.
template <class S>
[[gnu::noinline]] std::size_t checked_element_count_slow(const char* op, const S& shape,
                                                         std::size_t element_size) {
  constexpr auto kLimit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  std::size_t elements = 1;
  std::size_t extent = element_size;
  bool overflow = false;
  for (const auto d : shape) {
    if constexpr (std::is_signed_v<std::decay_t<decltype(d)>>) overflow |= d < 0;
    elements *= static_cast<std::size_t>(d);
    if (d != 0) overflow |= __builtin_mul_overflow(extent, static_cast<std::size_t>(d), &extent);
  }
  if (overflow || extent > kLimit) throw_shape_too_large(op, shape_str(shape), element_size);
  return elements;
}

template <class S>
[[gnu::always_inline]] inline std::size_t checked_element_count(const char* op, const S& shape,
                                                                std::size_t element_size) {
  constexpr auto kLimit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  // The common case in one pass: no zero, no overflow, no negative dimension. A zero makes the
  // product 0 whatever follows, so empty shapes take the slow path, which skips the zeros.
  std::size_t elements = 1;
  bool overflow = false;
  for (const auto d : shape) {
    overflow |= __builtin_mul_overflow(elements, static_cast<std::size_t>(d), &elements);
  }
  if (!overflow && elements != 0 && elements <= kLimit / element_size) [[likely]] {
    return elements;
  }
  return checked_element_count_slow(op, shape, element_size);
}

}  // namespace xg::detail
