// Exceptions thrown by xgrad. Every message names the operation and the shapes, values or
// graph state at fault, so a failing model script tells its author what to fix.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace xg {

/// Base class of every error xgrad throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Shapes that do not fit the operation (no silent broadcasting).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// Misuse of the tape: backward through a released graph, from a tensor that does not
/// require grad, on a non-scalar without a seed, ...
class GraphError : public Error {
 public:
  using Error::Error;
};

/// An integer index or label outside the valid range.
class IndexError : public Error {
 public:
  using Error::Error;
};

/// A value outside the operation's domain (log of a non-positive number, ...).
class DomainError : public Error {
 public:
  using Error::Error;
};

/// Memory for a result could not be allocated (the message names the operation, the shape and
/// the bytes asked for).
class AllocationError : public Error {
 public:
  using Error::Error;
};

/// "(2, 3)" for a shape; "()" for a scalar.
template <class S>
std::string shape_str(const S& shape) {
  std::string s = "(";
  bool first = true;
  for (auto d : shape) {
    if (!first) s += ", ";
    s += std::to_string(d);
    first = false;
  }
  return s + ")";
}

}  // namespace xg
