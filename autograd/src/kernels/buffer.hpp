// The one buffer factory: every operation and kernel makes the array of a result here, never with
// xt::xarray's own constructors, so that the engine can hand small buffers back to the next
// step's operations (tape/value_cache.cpp) and every shape is checked before anything is
// allocated.
#pragma once

#include <cstddef>
#include <string>

#include <xtensor/xarray.hpp>

namespace xg::detail {

[[noreturn]] void throw_allocation_failed(const char* op, const std::string& shape,
                                          std::size_t bytes);

/// An uninitialised row-major array of `shape` for the result of operation `op` (the same as
/// xt::xarray<T>::from_shape(shape)). The shape is checked first (ShapeError when it cannot
/// exist); an allocation that fails throws AllocationError naming `op`, the shape and the bytes.
template <class T>
xt::xarray<T> uninitialized_array(const char* op, const typename xt::xarray<T>::shape_type& shape);

/// A 0-d array holding v, for the result of operation `op`.
template <class T>
xt::xarray<T> scalar_array(const char* op, T v) {
  xt::xarray<T> out = uninitialized_array<T>(op, {});
  out.data()[0] = v;
  return out;
}

}  // namespace xg::detail
