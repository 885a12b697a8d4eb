// Selection, reordering and joining: transpose, permute, narrow, slice_rows, index_select,
// gather, concat, stack.
//
// Forward passes copy whole contiguous runs (rows of a row-major xarray) through the loops of
// kernels/copy.hpp; no xtensor views are built per element. Every backward rule is itself a
// recorded operation (narrow <-> pad, index_select <-> index_add, gather <-> scatter), so second
// derivatives work.
#include <algorithm>
#include <numeric>
#include <string>

#include "kernels/buffer.hpp"
#include "kernels/copy.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::array_shape;
using detail::require_defined;
using detail::span_count;

template <class T>
xt::xarray<T> uninitialized(const char* op, const array_shape& s) {
  return detail::uninitialized_array<T>(op, s);
}

template <class T>
xt::xarray<T> zeros_of(const char* op, const array_shape& s) {
  xt::xarray<T> out = detail::uninitialized_array<T>(op, s);
  std::fill(out.data(), out.data() + out.size(), T(0));
  return out;
}

// ---------------------------------------------------------------------------------------------
// permute / transpose

/// Copy of `in` with result axis i = input axis axes[i], in row-major order.
template <class T>
xt::xarray<T> permuted(const xt::xarray<T>& in, const std::vector<std::size_t>& axes) {
  const auto& s = in.shape();
  array_shape out_shape(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out_shape[i] = s[axes[i]];
  xt::xarray<T> out = uninitialized<T>("permute", out_shape);
  kernels::permute(in.data(), s, axes, out_shape, out.data());
  return out;
}

bool is_identity(const std::vector<std::size_t>& axes) {
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] != i) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// narrow and its adjoint (pad into zeros)

template <class T>
Tensor<T> narrow_impl(const char* op, const Tensor<T>& a, std::size_t axis, std::size_t start,
                      std::size_t length);

/// The gradient of narrow: `g` placed at [start, start + g.shape[axis]) along `axis` of zeros
/// whose size along `axis` is `full`. Recorded; its backward is narrow again.
XG_RULE_TEXT(narrow_backward, "out = a padded with zeros; da = the slice of g where a was placed");
template <class T>
Tensor<T> pad_impl(const Tensor<T>& g, std::size_t axis, std::size_t start, std::size_t full) {
  const auto& s = g.value().shape();
  const std::size_t length = s[axis];
  const std::size_t outer = span_count(s, 0, axis);
  const std::size_t inner = span_count(s, axis + 1, s.size());
  array_shape out_shape(s);
  out_shape[axis] = full;
  xt::xarray<T> out = zeros_of<T>("pad", out_shape);
  kernels::copy_blocks(g.value().data(), length * inner, out.data() + start * inner, full * inner,
                       length * inner, outer);
  return record<T>(
      "narrow_backward", std::move(out), {g},
      [axis, start, length](BackwardContext<T>& c) {
        c.input_grads[0] = narrow_impl("narrow", c.grad, axis, start, length);
      },
      Saves::nothing());
}

/// narrow with validated arguments; `op` names the public operation in the tape.
template <class T>
Tensor<T> narrow_impl(const char* op, const Tensor<T>& a, std::size_t axis, std::size_t start,
                      std::size_t length) {
  const auto& in = a.value();
  const auto& s = in.shape();
  const std::size_t full = s[axis];
  if (start == 0 && length == full) return a;
  const std::size_t outer = span_count(s, 0, axis);
  const std::size_t inner = span_count(s, axis + 1, s.size());
  array_shape out_shape(s);
  out_shape[axis] = length;
  xt::xarray<T> out = uninitialized<T>(op, out_shape);
  kernels::copy_blocks(in.data() + start * inner, full * inner, out.data(), length * inner,
                       length * inner, outer);
  return record<T>(
      op, std::move(out), {a},
      [axis, start, full](BackwardContext<T>& c) {
        c.input_grads[0] = pad_impl(c.grad, axis, start, full);
      },
      Saves::nothing());
}

// ---------------------------------------------------------------------------------------------
// index_select and its adjoint (index_add into zeros)

template <class T>
Tensor<T> index_select_impl(const Tensor<T>& a, const std::vector<std::size_t>& indices);

/// Rows of `g` added into zeros of (rows, ...) at `indices` (repeats accumulate). Recorded; its
/// backward is index_select.
XG_RULE_TEXT(index_select_backward, "out = rows of a added at indices; da = index_select(g)");
template <class T>
Tensor<T> index_add_impl(const Tensor<T>& g, const std::vector<std::size_t>& indices,
                         std::size_t rows) {
  const auto& s = g.value().shape();
  const std::size_t inner = span_count(s, 1, s.size());
  array_shape out_shape(s);
  out_shape[0] = rows;
  xt::xarray<T> out = zeros_of<T>("index_add", out_shape);
  kernels::add_rows_at(g.value().data(), indices, inner, out.data());
  return record<T>(
      "index_select_backward", std::move(out), {g},
      [indices](BackwardContext<T>& c) { c.input_grads[0] = index_select_impl(c.grad, indices); },
      Saves::nothing());
}

/// index_select with validated indices.
XG_RULE_TEXT(index_select,
             "out = rows of a at the indices; da = g's rows added at those indices (repeats "
             "add up)");
template <class T>
Tensor<T> index_select_impl(const Tensor<T>& a, const std::vector<std::size_t>& indices) {
  const auto& in = a.value();
  const auto& s = in.shape();
  const std::size_t rows = s[0];
  const std::size_t inner = span_count(s, 1, s.size());
  array_shape out_shape(s);
  out_shape[0] = indices.size();
  xt::xarray<T> out = uninitialized<T>("index_select", out_shape);
  kernels::gather_rows(in.data(), indices, inner, out.data());
  return record<T>(
      "index_select", std::move(out), {a},
      [indices, rows](BackwardContext<T>& c) {
        c.input_grads[0] = index_add_impl(c.grad, indices, rows);
      },
      Saves::nothing());
}

// ---------------------------------------------------------------------------------------------
// gather and its adjoint (scatter into zeros)

template <class T>
Tensor<T> gather_impl(const Tensor<T>& a, const std::vector<std::size_t>& labels);

/// (N) values placed at [i, labels[i]] of (N, classes) zeros. Recorded; backward is gather.
XG_RULE_TEXT(gather_backward, "out = a scattered to (i, label_i); da = gather(g)");
template <class T>
Tensor<T> scatter_impl(const Tensor<T>& g, const std::vector<std::size_t>& labels,
                       std::size_t classes) {
  const std::size_t n = labels.size();
  xt::xarray<T> out = zeros_of<T>("scatter", array_shape{n, classes});
  kernels::scatter_labels(g.value().data(), labels, classes, out.data());
  return record<T>(
      "gather_backward", std::move(out), {g},
      [labels](BackwardContext<T>& c) { c.input_grads[0] = gather_impl(c.grad, labels); },
      Saves::nothing());
}

/// gather with validated labels.
XG_RULE_TEXT(gather, "out[i] = a[i, label_i]; da = g[i] at (i, label_i), 0 elsewhere");
template <class T>
Tensor<T> gather_impl(const Tensor<T>& a, const std::vector<std::size_t>& labels) {
  const auto& in = a.value();
  const std::size_t n = labels.size();
  const std::size_t classes = in.shape()[1];
  xt::xarray<T> out = uninitialized<T>("gather", array_shape{n});
  kernels::gather_labels(in.data(), labels, classes, out.data());
  return record<T>(
      "gather", std::move(out), {a},
      [labels, classes](BackwardContext<T>& c) {
        c.input_grads[0] = scatter_impl(c.grad, labels, classes);
      },
      Saves::nothing());
}

}  // namespace

XG_RULE_TEXT(transpose, "out = a^T; da = g^T");
template <class T>
Tensor<T> transpose(const Tensor<T>& a) {
  require_defined("transpose", a);
  const std::size_t r = a.value().dimension();
  if (r < 2) return a;
  std::vector<std::size_t> axes(r);
  std::iota(axes.begin(), axes.end(), std::size_t(0));
  std::swap(axes[r - 1], axes[r - 2]);
  return record<T>(
      "transpose", permuted(a.value(), axes), {a},
      [](BackwardContext<T>& c) { c.input_grads[0] = transpose(c.grad); }, Saves::nothing());
}

XG_RULE_TEXT(permute, "out = a with axes reordered; da = g with the inverse order");
template <class T>
Tensor<T> permute(const Tensor<T>& a, const std::vector<std::size_t>& axes) {
  require_defined("permute", a);
  const auto& s = a.value().shape();
  const std::size_t r = s.size();
  bool ok = axes.size() == r;
  std::vector<std::size_t> inverse(r, r);
  for (std::size_t i = 0; ok && i < axes.size(); ++i) {
    ok = axes[i] < r && inverse[axes[i]] == r;
    if (ok) inverse[axes[i]] = i;
  }
  if (!ok) {
    throw ShapeError("permute: axes " + shape_str(axes) + " are not a permutation of the " +
                     std::to_string(r) + " axes of a tensor of shape " + shape_str(s));
  }
  if (is_identity(axes)) return a;
  return record<T>(
      "permute", permuted(a.value(), axes), {a},
      [inverse](BackwardContext<T>& c) { c.input_grads[0] = permute(c.grad, inverse); },
      Saves::nothing());
}

XG_RULE_TEXT(narrow, "out = a slice of a along an axis; da = g placed at the slice, 0 elsewhere");
template <class T>
Tensor<T> narrow(const Tensor<T>& a, std::ptrdiff_t axis, std::size_t start, std::size_t length) {
  require_defined("narrow", a);
  const auto& s = a.value().shape();
  if (s.empty()) throw ShapeError("narrow: cannot narrow a 0-d tensor (shape ())");
  const std::size_t ax = detail::normalize_axis("narrow", axis, s.size(), s);
  if (start > s[ax] || length > s[ax] - start) {
    throw ShapeError("narrow: start " + std::to_string(start) + " + length " +
                     std::to_string(length) + " is out of bounds for axis " + std::to_string(axis) +
                     " of size " + std::to_string(s[ax]) + " (shape " + shape_str(s) + ")");
  }
  return narrow_impl("narrow", a, ax, start, length);
}

XG_RULE_TEXT(slice_rows, "out = rows [begin, end) of a; da = g placed at those rows, 0 elsewhere");
template <class T>
Tensor<T> slice_rows(const Tensor<T>& a, std::size_t begin, std::size_t end) {
  require_defined("slice_rows", a);
  const auto& s = a.value().shape();
  if (s.empty()) throw ShapeError("slice_rows: a 0-d tensor (shape ()) has no rows");
  if (begin > end || end > s[0]) {
    throw ShapeError("slice_rows: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") are not a valid range of the " + std::to_string(s[0]) +
                     " rows of a tensor of shape " + shape_str(s));
  }
  return narrow_impl("slice_rows", a, 0, begin, end - begin);
}

template <class T>
Tensor<T> index_select(const Tensor<T>& a, const std::vector<std::size_t>& indices) {
  require_defined("index_select", a);
  const auto& s = a.value().shape();
  if (s.empty()) throw ShapeError("index_select: a 0-d tensor (shape ()) has no rows to select");
  for (std::size_t p = 0; p < indices.size(); ++p) {
    if (indices[p] >= s[0]) {
      throw IndexError("index_select: index " + std::to_string(indices[p]) + " at position " +
                       std::to_string(p) + " is out of range for " + std::to_string(s[0]) +
                       " rows (shape " + shape_str(s) + ")");
    }
  }
  return index_select_impl(a, indices);
}

template <class T>
Tensor<T> gather(const Tensor<T>& a, const std::vector<std::size_t>& labels) {
  require_defined("gather", a);
  const auto& s = a.value().shape();
  if (s.size() != 2) {
    throw ShapeError("gather: expects a 2-D (N, C) tensor, got shape " + shape_str(s));
  }
  if (labels.size() != s[0]) {
    throw ShapeError("gather: " + std::to_string(labels.size()) + " labels for " +
                     std::to_string(s[0]) + " rows (shape " + shape_str(s) + ")");
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= s[1]) {
      throw IndexError("gather: label " + std::to_string(labels[i]) + " at position " +
                       std::to_string(i) + " is out of range for " + std::to_string(s[1]) +
                       " classes (shape " + shape_str(s) + ")");
    }
  }
  return gather_impl(a, labels);
}

XG_RULE_TEXT(concat,
             "out = inputs joined along an axis; da_i = the slice of g that came from input i");
template <class T>
Tensor<T> concat(const std::vector<Tensor<T>>& parts, std::ptrdiff_t axis) {
  if (parts.empty()) throw ShapeError("concat: needs at least one tensor, got an empty list");
  for (const auto& p : parts) require_defined("concat", p);
  const auto& s0 = parts[0].value().shape();
  if (s0.empty()) throw ShapeError("concat: cannot concatenate 0-d tensors (part 0 has shape ())");
  const std::size_t ax = detail::normalize_axis("concat", axis, s0.size(), s0);
  std::size_t total = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& si = parts[i].value().shape();
    bool ok = si.size() == s0.size();
    for (std::size_t d = 0; ok && d < si.size(); ++d) ok = d == ax || si[d] == s0[d];
    if (!ok) {
      throw ShapeError("concat: part " + std::to_string(i) + " has shape " + shape_str(si) +
                       ", which does not match part 0's shape " + shape_str(s0) +
                       " except along axis " + std::to_string(axis));
    }
    if (__builtin_add_overflow(total, si[ax], &total)) {
      throw ShapeError("concat: the parts' sizes along axis " + std::to_string(axis) +
                       " add up to more than a size can hold (part " + std::to_string(i) +
                       " has shape " + shape_str(si) + ")");
    }
  }
  if (parts.size() == 1) return parts[0];

  const std::size_t outer = span_count(s0, 0, ax);
  const std::size_t inner = span_count(s0, ax + 1, s0.size());
  array_shape out_shape(s0);
  out_shape[ax] = total;
  xt::xarray<T> out = uninitialized<T>("concat", out_shape);
  std::vector<std::size_t> offsets(parts.size()), sizes(parts.size());
  std::size_t off = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t len = parts[i].value().shape()[ax];
    offsets[i] = off;
    sizes[i] = len;
    const std::size_t start = off;
    off += len;
    if (len * inner * outer == 0) continue;  // nothing to copy (and an empty part's data is null)
    kernels::copy_blocks(parts[i].value().data(), len * inner, out.data() + start * inner,
                         total * inner, len * inner, outer);
  }
  return record<T>(
      "concat", std::move(out), std::vector<Tensor<T>>(parts),
      [ax, offsets, sizes](BackwardContext<T>& c) {
        for (std::size_t i = 0; i < offsets.size(); ++i) {
          if (c.needs(i)) {
            c.input_grads[i] = narrow_impl("narrow", c.grad, ax, offsets[i], sizes[i]);
          }
        }
      },
      Saves::nothing());
}

template <class T>
Tensor<T> stack(const std::vector<Tensor<T>>& parts, std::ptrdiff_t axis) {
  if (parts.empty()) throw ShapeError("stack: needs at least one tensor, got an empty list");
  for (const auto& p : parts) require_defined("stack", p);
  const auto& s0 = parts[0].value().shape();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto& si = parts[i].value().shape();
    if (si != s0) {
      throw ShapeError("stack: part " + std::to_string(i) + " has shape " + shape_str(si) +
                       " but part 0 has shape " + shape_str(s0) + "; all parts must be equal");
    }
  }
  const std::size_t ax = detail::normalize_axis("stack", axis, s0.size() + 1, s0);
  std::vector<Tensor<T>> expanded;
  expanded.reserve(parts.size());
  for (const auto& p : parts) expanded.push_back(unsqueeze(p, static_cast<std::ptrdiff_t>(ax)));
  return concat(expanded, static_cast<std::ptrdiff_t>(ax));
}

#define XG_INSTANTIATE(T)                                                                \
  template Tensor<T> transpose(const Tensor<T>&);                                        \
  template Tensor<T> permute(const Tensor<T>&, const std::vector<std::size_t>&);         \
  template Tensor<T> narrow(const Tensor<T>&, std::ptrdiff_t, std::size_t, std::size_t); \
  template Tensor<T> slice_rows(const Tensor<T>&, std::size_t, std::size_t);             \
  template Tensor<T> index_select(const Tensor<T>&, const std::vector<std::size_t>&);    \
  template Tensor<T> gather(const Tensor<T>&, const std::vector<std::size_t>&);          \
  template Tensor<T> concat(const std::vector<Tensor<T>>&, std::ptrdiff_t);              \
  template Tensor<T> stack(const std::vector<Tensor<T>>&, std::ptrdiff_t);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
