// Helpers shared by the operation implementations (not installed).
#pragma once

#include <algorithm>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "kernels/parallel.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/tensor.hpp"

namespace xg::detail {

using array_shape = xt::xarray<double>::shape_type;

inline Shape to_shape(const array_shape& s) {
  return Shape(s.begin(), s.end());
}
inline array_shape to_array_shape(const Shape& s) {
  return array_shape(s.begin(), s.end());
}

/// The number of elements spanned by axes [from, to) of `s`: the outer or inner count around an
/// axis of a row-major array.
inline std::size_t span_count(const array_shape& s, std::size_t from, std::size_t to) {
  std::size_t p = 1;
  for (std::size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

/// Throws GraphError unless t holds a node.
template <class T>
void require_defined(const char* op, const Tensor<T>& t) {
  if (!t.defined()) throw GraphError(std::string(op) + ": undefined tensor argument");
}

/// ShapeError for an empty tensor, which a reduction (max, min, argmax, ...) cannot reduce.
template <class T>
void require_nonempty(const char* op, const Tensor<T>& a) {
  require_defined(op, a);
  if (a.size() == 0) {
    throw ShapeError(std::string(op) + ": cannot reduce an empty tensor of shape " +
                     shape_str(a.value().shape()));
  }
}

/// Both defined and of one shape, else ShapeError "<op>: <what_a> of shape A and <what_b> of
/// shape B must have the same shape" (no broadcasting between a loss's inputs, a gradient and
/// the tensor it pairs with).
template <class T>
void require_same_shape(const char* op, const char* what_a, const Tensor<T>& a, const char* what_b,
                        const Tensor<T>& b) {
  require_defined(op, a);
  require_defined(op, b);
  if (a.value().shape() != b.value().shape()) {
    throw ShapeError(std::string(op) + ": " + what_a + " of shape " + shape_str(a.value().shape()) +
                     " and " + what_b + " of shape " + shape_str(b.value().shape()) +
                     " must have the same shape");
  }
}

/// Maps a possibly negative axis into [0, dim); ShapeError names the op and the shape.
inline std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t dim,
                                  const array_shape& shape) {
  const auto d = static_cast<std::ptrdiff_t>(dim);
  if (axis < -d || axis >= d) {
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) +
                     " is out of range for a tensor of shape " + shape_str(shape));
  }
  return static_cast<std::size_t>(axis < 0 ? axis + d : axis);
}

/// The NumPy broadcast of two shapes, or ShapeError naming the op and both shapes.
inline array_shape broadcast_shape(const char* op, const array_shape& a, const array_shape& b) {
  const std::size_t n = std::max(a.size(), b.size());
  array_shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                       " cannot be broadcast together");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// True when `small`, without its leading 1s, equals the trailing axes of `big`: broadcasting
/// `small` against `big` then just repeats it over `big`'s leading axes (a bias, a scalar).
inline bool repeats_over_leading_axes(const detail::array_shape& small,
                                      const detail::array_shape& big) {
  std::size_t skip = 0;
  while (skip < small.size() && small[skip] == 1) ++skip;
  const std::size_t rest = small.size() - skip;
  if (rest > big.size()) return false;
  return std::equal(small.begin() + static_cast<std::ptrdiff_t>(skip), small.end(),
                    big.end() - static_cast<std::ptrdiff_t>(rest));
}

/// "(1, 2)": the multi-index of row-major element `flat` in `shape`, for error messages.
/// The value of sum_to(a, target) (ops/broadcast.cpp): `a` summed over the axes along which
/// `target` was broadcast. The shapes must already be known to be compatible.
template <class T>
xt::xarray<T> sum_to_value(const xt::xarray<T>& a, const array_shape& target);

template <class S>
std::string index_str(std::size_t flat, const S& shape) {
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

/// A number as the shortest text a stream gives ("0.5", "-2"), for error messages.
template <class T>
std::string num_str(T v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// A constant (not requiring grad) wrapping a freshly computed array.
template <class T>
Tensor<T> constant(xt::xarray<T>&& v) {
  return Tensor<T>(std::move(v));
}

/// Position and value of the first element failing `ok`, for DomainError messages. `op` names
/// the operation, or its backward ("sqrt backward") when the check guards a derivative. NaN is
/// never a domain error: predicates are written so that NaN passes and propagates.
template <class T, class Pred>
void require_all(const char* op, const xt::xarray<T>& v, Pred ok, const std::string& what) {
  const T* x = v.data();
  const std::size_t n = v.size();
  // Blocks checked without a branch per element (so the loop vectorises), in parallel for large
  // arrays; only the first block that fails is searched for the element to name.
  constexpr std::size_t kBlock = 4096;
  auto block_fails = [x, ok](std::size_t begin, std::size_t end) {
    unsigned bad = 0;
    for (std::size_t i = begin; i < end; ++i) bad |= ok(x[i]) ? 0u : 1u;
    return bad != 0;
  };
  std::size_t first = n;
  if (n <= kBlock) {
    if (block_fails(0, n)) first = 0;
  } else {
    std::vector<unsigned char> fails((n + kBlock - 1) / kBlock);
    kernels::for_each_chunk(n, kBlock, [&](std::size_t c, std::size_t begin, std::size_t end) {
      fails[c] = block_fails(begin, end);
    });
    for (std::size_t c = 0; c < fails.size(); ++c) {
      if (fails[c] != 0) {
        first = c * kBlock;
        break;
      }
    }
  }
  for (std::size_t i = first; i < n; ++i) {
    if (!ok(x[i])) {
      throw DomainError(std::string(op) + ": element " + index_str(i, v.shape()) +
                        " of the input of shape " + shape_str(v.shape()) + " is " + num_str(x[i]) +
                        "; " + what);
    }
  }
}

}  // namespace xg::detail
