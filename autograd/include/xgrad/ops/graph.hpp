// Message passing on graphs: sparse-dense products over a SparseCsr and reductions over the
// segments of edges that share a destination (torch_scatter's / PyTorch Geometric's
// building blocks, written with PyTorch's own index_add_ / scatter_reduce semantics).
//
// Edge e of a SparseCsr is (src[e] -> dst[e]), the entry A[dst, src]. Edge tensors (weights,
// scores, messages) have the edges along axis 0 in the order they were given. Every gradient is
// a recorded operation, so gradients of any order work.
#pragma once

#include <cstddef>
#include <vector>

#include "xgrad/sparse.hpp"
#include "xgrad/tensor.hpp"

namespace xg {

/// A x for x of shape (cols, F): out (rows, F), out[i] = the sum over edges e = (j -> i) of
/// weight[e] x[j] with adj's own weights (1 without them). ShapeError unless x is (cols, F).
/// Gradient: spmm(adjᵀ, g) (adj.transpose(), built with adj).
template <class T>
Tensor<T> spmm(const SparseCsr& adj, const Tensor<T>& x);
/// The same with the edge weights a tensor of shape (E) = (adj.nnz()) in input order, which may
/// require grad: out[i] = sum over e = (j -> i) of w[e] x[j]. adj must carry no weights of its
/// own (ShapeError: which would apply is ambiguous). Gradients: dx = spmm(adjᵀ, g, w),
/// dw[e] = dot(g[i], x[j]) = sddmm(adj, g, x).
template <class T>
Tensor<T> spmm(const SparseCsr& adj, const Tensor<T>& x, const Tensor<T>& edge_weights);
/// Sampled dense-dense product: out[e] = dot(a[i], b[j]) for each edge e = (j -> i), of shape
/// (E); a (rows, F), b (cols, F) (ShapeError otherwise); adj's own weights are not used.
/// spmm's edge-weight gradient. Gradients:
/// da = spmm(adj, b, g), db = spmm(adjᵀ, a, g).
template <class T>
Tensor<T> sddmm(const SparseCsr& adj, const Tensor<T>& a, const Tensor<T>& b);

// Segment reductions. `src` has shape (E, ...) and row e belongs to segment ids[e]; the result
// has shape (num_segments, ...). ids.size() must be E (ShapeError) and every id < num_segments
// (IndexError naming the op, the position and the id). The SparseCsr forms take the segments
// from a graph: edge e belongs to the segment of its destination, E = graph.nnz() and
// num_segments = graph.rows(). An empty segment (a node without incoming edges) gives 0, as
// torch's scatter_reduce(..., include_self=False) into zeros.

/// out[s] = the sum of src[e] over segment s (torch's index_add_). Gradient:
/// index_select(g, 0, ids).
template <class T>
Tensor<T> segment_sum(const Tensor<T>& src, const std::vector<std::size_t>& ids,
                      std::size_t num_segments);
template <class T>
Tensor<T> segment_sum(const Tensor<T>& src, const SparseCsr& graph);
/// out[s] = the mean of src[e] over segment s (scatter_reduce "mean"); 0 for an empty one.
/// segment_sum times the constant 1 / count.
template <class T>
Tensor<T> segment_mean(const Tensor<T>& src, const std::vector<std::size_t>& ids,
                       std::size_t num_segments);
template <class T>
Tensor<T> segment_mean(const Tensor<T>& src, const SparseCsr& graph);
/// out[s] = the elementwise maximum of src[e] over segment s (scatter_reduce "amax"); 0 for an
/// empty segment; NaN wins. Gradient as torch 1.13's: g[s] split evenly among the rows that
/// equal the maximum (ties share it), 0 for the others.
template <class T>
Tensor<T> segment_max(const Tensor<T>& src, const std::vector<std::size_t>& ids,
                      std::size_t num_segments);
template <class T>
Tensor<T> segment_max(const Tensor<T>& src, const SparseCsr& graph);
/// Softmax of scores (E) or (E, H, ...) over each segment, per trailing element (a head):
/// out[e] = exp(a[e] - m) / the sum of exp(a[e'] - m) over e's segment, m the segment's maximum
/// (numerically stable). Same shape as the scores: an empty segment has no rows, so it produces
/// nothing (its aggregate by segment_sum is 0). Gradient:
/// out * (g - index_select(segment_sum(g * out), 0, ids)).
template <class T>
Tensor<T> segment_softmax(const Tensor<T>& scores, const std::vector<std::size_t>& ids,
                          std::size_t num_segments);
template <class T>
Tensor<T> segment_softmax(const Tensor<T>& scores, const SparseCsr& graph);

}  // namespace xg
