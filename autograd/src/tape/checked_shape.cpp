// Errors of the shape and allocation checks (checked_shape.hpp, value_cache.hpp).
#include "xgrad/detail/checked_shape.hpp"

#include <limits>
#include <string>

#include "tape/value_cache.hpp"

namespace xg::detail {

void throw_shape_too_large(const char* op, const std::string& shape, std::size_t element_size) {
  throw ShapeError(std::string(op) + ": shape " + shape + " is too large: with elements of " +
                   std::to_string(element_size) + " bytes its non-zero dimensions span more than " +
                   std::to_string(std::numeric_limits<std::ptrdiff_t>::max()) +
                   " bytes (an element count or a stride would overflow)");
}

void throw_allocation_failed(const char* op, const std::string& shape, std::size_t bytes) {
  throw AllocationError(std::string(op) + ": cannot allocate " + std::to_string(bytes) +
                        " bytes for a result of shape " + shape + " (out of memory)");
}

}  // namespace xg::detail
