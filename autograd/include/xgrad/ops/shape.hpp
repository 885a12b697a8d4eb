// Shape operations: views of the same values in another arrangement, selection and joining.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>

#include "xgrad/tensor.hpp"

namespace xg {

/// Same values, new shape; one entry may be -1 (inferred).
template <class T>
Tensor<T> reshape(const Tensor<T>& a, const std::vector<std::ptrdiff_t>& shape);
/// torch.flatten: collapses axes start_axis..end_axis (both included, either may be negative)
/// into one: flatten(x of (N, 28, 28), 1) is (N, 784), flatten(x of (N, C, H, W), 2) is
/// (N, C, H W). A 0-d tensor becomes (1); start == end returns `a` itself. ShapeError for an
/// axis out of range or start after end.
template <class T>
Tensor<T> flatten(const Tensor<T>& a, std::ptrdiff_t start_axis = 0, std::ptrdiff_t end_axis = -1);
/// Removes a size-1 axis (ShapeError if its size is not 1).
template <class T>
Tensor<T> squeeze(const Tensor<T>& a, std::ptrdiff_t axis);
/// Inserts a size-1 axis at `axis` (0..dim).
template <class T>
Tensor<T> unsqueeze(const Tensor<T>& a, std::ptrdiff_t axis);
/// Swaps the last two axes into a new row-major array (a 0-d or 1-D tensor is returned as is).
template <class T>
Tensor<T> transpose(const Tensor<T>& a);
/// Reorders axes: result axis i is input axis `axes[i]` (a new row-major array). ShapeError
/// unless `axes` is a permutation of 0..dim-1; the identity returns `a` itself.
template <class T>
Tensor<T> permute(const Tensor<T>& a, const std::vector<std::size_t>& axes);
/// Elements [start, start + length) along `axis` (ShapeError if out of bounds); the full range
/// returns `a` itself.
template <class T>
Tensor<T> narrow(const Tensor<T>& a, std::ptrdiff_t axis, std::size_t start, std::size_t length);
/// torch.nn.functional.pad in "constant" mode: `pads` holds (before, after) pairs for the last
/// axis, then the one before it, and so on (an even count, at most two per axis), and every new
/// element is `value`. Negative pads crop, as in PyTorch. ShapeError for an odd count, more pads
/// than axes, or a crop bigger than its axis. Gradient: g with the pads undone (pad_backward,
/// whose own gradient is pad with 0); all zero pads return `a` itself.
template <class T>
Tensor<T> pad(const Tensor<T>& a, const std::vector<std::ptrdiff_t>& pads,
              std::type_identity_t<T> value = 0);
/// Rows [begin, end) along axis 0: a mini-batch. ShapeError unless begin <= end <= rows.
template <class T>
Tensor<T> slice_rows(const Tensor<T>& a, std::size_t begin, std::size_t end);
/// Rows `indices` along axis 0 (repeats allowed; their gradients add up). IndexError for an
/// index >= rows.
template <class T>
Tensor<T> index_select(const Tensor<T>& a, const std::vector<std::size_t>& indices);
/// For a (N, C) tensor, element [i, labels[i]] of each row: shape (N). N labels, each < C
/// (IndexError otherwise).
template <class T>
Tensor<T> gather(const Tensor<T>& a, const std::vector<std::size_t>& labels);
/// PyTorch's gather along any axis: out[i][j][k] = a[index[i][j][k]][j][k] for axis 0 (likewise
/// for the others), of index's shape. `index` has a's rank and, except along `axis`, sizes no
/// bigger than a's (ShapeError); its values are < a's size along `axis` (IndexError).
template <class T>
Tensor<T> gather(const Tensor<T>& a, std::ptrdiff_t axis, const xt::xarray<std::size_t>& index);
/// PyTorch's scatter_add: a copy of `self` with src[i][j][k] added at [index[i][j][k]][j][k]
/// for axis 0 (likewise for the others); repeated indices add up. `index` and `src` have self's
/// rank, index no bigger than src along any axis and than self except along `axis` (ShapeError);
/// index values < self's size along `axis` (IndexError). Gradients: g to self, gather(g) to src.
template <class T>
Tensor<T> scatter_add(const Tensor<T>& self, std::ptrdiff_t axis,
                      const xt::xarray<std::size_t>& index, const Tensor<T>& src);
/// Slices `indices` along `axis` (repeats allowed; their gradients add up). IndexError for an
/// index >= the size along `axis`.
template <class T>
Tensor<T> index_select(const Tensor<T>& a, std::ptrdiff_t axis,
                       const std::vector<std::size_t>& indices);
/// PyTorch's index_add: a copy of `self` with slice p of `source` along `axis` added to slice
/// indices[p]; repeats add up. `source` has self's shape except indices.size() along `axis`
/// (ShapeError); indices < self's size along `axis` (IndexError). Gradients: g to self,
/// index_select(g, axis, indices) to source.
template <class T>
Tensor<T> index_add(const Tensor<T>& self, std::ptrdiff_t axis,
                    const std::vector<std::size_t>& indices, const Tensor<T>& source);
/// Joins tensors along an existing axis: equal ranks, equal sizes except along `axis`
/// (ShapeError naming the part otherwise). A single part is returned as is.
template <class T>
Tensor<T> concat(const std::vector<Tensor<T>>& parts, std::ptrdiff_t axis = 0);
/// Joins equal-shaped tensors along a new axis (`axis` in [0, dim]): concat of unsqueezed parts.
template <class T>
Tensor<T> stack(const std::vector<Tensor<T>>& parts, std::ptrdiff_t axis = 0);
/// Repeats size-1 (and missing leading) axes to reach `shape`.
template <class T>
Tensor<T> broadcast_to(const Tensor<T>& a, const Shape& shape);
/// Sums over broadcast axes to reach `shape`: the adjoint of broadcast_to. The engine applies it
/// to every gradient whose shape differs from its input's.
template <class T>
Tensor<T> sum_to(const Tensor<T>& a, const Shape& shape);
/// sum_to(a * b, shape) for a and b of one shape, without the product written out: the gradient
/// of a broadcast factor (a bias-like scale, a per-row divisor) in one pass.
template <class T>
Tensor<T> mul_sum_to(const Tensor<T>& a, const Tensor<T>& b, const Shape& shape);

}  // namespace xg
