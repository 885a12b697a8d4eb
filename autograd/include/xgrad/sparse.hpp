// xg::SparseCsr: a graph's adjacency as a compressed sparse row matrix, the structure that
// spmm and the segment operations (xgrad/ops/graph.hpp) run over. Edge (src, dst) is the entry
// A[dst, src]: row i lists the edges that end at node i, so A x gathers, at each destination, the
// features of its sources (PyTorch Geometric's source-to-target flow).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace xg {

namespace detail {
struct CsrData;
}  // namespace detail

class SparseCsr {
 public:
  /// An empty 0 x 0 matrix.
  SparseCsr();
  /// The (rows, cols) matrix with one entry per edge: edge e is A[dst[e], src[e]] = weights[e]
  /// (1 when `weights` is empty; a graph without weights). Edges may come in any order and
  /// repeat (repeats add up in every product); they are sorted into rows by a stable counting
  /// sort, so the edges of one row keep their input order. src and dst of unequal lengths, or
  /// weights neither empty nor of their length, are a ShapeError; a src >= cols or a dst >= rows
  /// an IndexError naming the edge and the node. The transpose is built at the same time.
  SparseCsr(std::size_t rows, std::size_t cols, const std::vector<std::size_t>& src,
            const std::vector<std::size_t>& dst, const std::vector<double>& weights = {});
  /// A square graph of `num_nodes` nodes.
  static SparseCsr from_edges(std::size_t num_nodes, const std::vector<std::size_t>& src,
                              const std::vector<std::size_t>& dst,
                              const std::vector<double>& weights = {});

  std::size_t rows() const;
  std::size_t cols() const;
  /// The number of edges (stored entries, repeats included).
  std::size_t nnz() const;
  /// rows() + 1 offsets: row i's entries are [row_offsets()[i], row_offsets()[i + 1]).
  const std::vector<std::size_t>& row_offsets() const;
  /// The column (source node) of each entry, in row order.
  const std::vector<std::size_t>& col_ids() const;
  /// The input position of each entry's edge, in row order: how an edge tensor given in input
  /// order (weights, attention scores) is read.
  const std::vector<std::size_t>& edge_ids() const;
  /// The edges as given: sources and destinations in input order.
  const std::vector<std::size_t>& edge_sources() const;
  const std::vector<std::size_t>& edge_destinations() const;
  /// Whether the matrix carries its own weights, and those weights in input order (empty when
  /// it does not).
  bool has_weights() const;
  const std::vector<double>& weights() const;
  /// Aᵀ, whose edge e is (dst[e], src[e]) with the same weight and input position: the matrix
  /// spmm's gradient runs over. Built with this one and shared (no copy, O(1)).
  SparseCsr transpose() const;
  /// The number of entries of each row (a destination's in-degree, repeats included).
  std::vector<std::size_t> row_counts() const;

  /// Identity of the structure: equal for copies of one matrix (and for nothing else), so a
  /// layer can cache what it derives from a graph (GCN's normalisation).
  const void* identity() const { return data_.get(); }

  /// The shared data, for the operations' kernels.
  const detail::CsrData& data() const { return *data_; }

 private:
  SparseCsr(std::shared_ptr<const detail::CsrData> data, std::shared_ptr<const detail::CsrData> t);

  std::shared_ptr<const detail::CsrData> data_;
  std::shared_ptr<const detail::CsrData> transposed_;
};

namespace detail {
/// The layout behind a SparseCsr (one per orientation).
struct CsrData {
  std::size_t rows = 0, cols = 0;
  std::vector<std::size_t> offsets{0};  // rows + 1
  std::vector<std::size_t> cols_of;     // per entry, row order
  std::vector<std::size_t> edge_of;     // per entry: the edge's input position
  std::vector<double> values;           // per entry, row order; empty without weights
  std::vector<std::size_t> src, dst;    // per edge, input order (src is the column)
  std::vector<double> weights;          // per edge, input order; empty without weights
};
}  // namespace detail

}  // namespace xg
