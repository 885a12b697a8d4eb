// SparseCsr: an edge list counted into rows, and its transpose (see xgrad/sparse.hpp).
#include "xgrad/sparse.hpp"

#include <string>
#include <utility>

#include "xgrad/errors.hpp"

namespace xg {

namespace {

/// The CSR of the (rows, cols) matrix whose entry for edge e is at (row_of[e], col_of[e]), by a
/// stable counting sort (entries of a row keep their edges' input order).
std::shared_ptr<detail::CsrData> counted(std::size_t rows, std::size_t cols,
                                         const std::vector<std::size_t>& col_of,
                                         const std::vector<std::size_t>& row_of,
                                         const std::vector<double>& weights) {
  auto d = std::make_shared<detail::CsrData>();
  const std::size_t n = row_of.size();
  d->rows = rows;
  d->cols = cols;
  d->offsets.assign(rows + 1, 0);
  for (std::size_t e = 0; e < n; ++e) ++d->offsets[row_of[e] + 1];
  for (std::size_t i = 0; i < rows; ++i) d->offsets[i + 1] += d->offsets[i];
  std::vector<std::size_t> next(d->offsets.begin(), d->offsets.end() - 1);
  d->cols_of.resize(n);
  d->edge_of.resize(n);
  if (!weights.empty()) d->values.resize(n);
  for (std::size_t e = 0; e < n; ++e) {
    const std::size_t p = next[row_of[e]]++;
    d->cols_of[p] = col_of[e];
    d->edge_of[p] = e;
    if (!weights.empty()) d->values[p] = weights[e];
  }
  d->src = col_of;
  d->dst = row_of;
  d->weights = weights;
  return d;
}

}  // namespace

SparseCsr::SparseCsr() : SparseCsr(0, 0, {}, {}) {}

SparseCsr::SparseCsr(std::shared_ptr<const detail::CsrData> data,
                     std::shared_ptr<const detail::CsrData> t)
    : data_(std::move(data)), transposed_(std::move(t)) {}

SparseCsr::SparseCsr(std::size_t rows, std::size_t cols, const std::vector<std::size_t>& src,
                     const std::vector<std::size_t>& dst, const std::vector<double>& weights) {
  const std::string op = "SparseCsr(" + std::to_string(rows) + " x " + std::to_string(cols) + ")";
  if (src.size() != dst.size()) {
    throw ShapeError(op + ": " + std::to_string(src.size()) + " edge sources and " +
                     std::to_string(dst.size()) + " destinations; one of each per edge");
  }
  if (!weights.empty() && weights.size() != src.size()) {
    throw ShapeError(op + ": " + std::to_string(weights.size()) + " weights for " +
                     std::to_string(src.size()) + " edges; one per edge, or none");
  }
  for (std::size_t e = 0; e < src.size(); ++e) {
    if (src[e] >= cols || dst[e] >= rows) {
      const bool bad_src = src[e] >= cols;
      throw IndexError(op + ": edge " + std::to_string(e) + " (" + std::to_string(src[e]) + " -> " +
                       std::to_string(dst[e]) + ") names " +
                       (bad_src
                            ? "source node " + std::to_string(src[e]) + ", but there are " +
                                  std::to_string(cols) + " source nodes (columns)"
                            : "destination node " + std::to_string(dst[e]) + ", but there are " +
                                  std::to_string(rows) + " destination nodes (rows)"));
    }
  }
  data_ = counted(rows, cols, src, dst, weights);
  transposed_ = counted(cols, rows, dst, src, weights);
}

SparseCsr SparseCsr::from_edges(std::size_t num_nodes, const std::vector<std::size_t>& src,
                                const std::vector<std::size_t>& dst,
                                const std::vector<double>& weights) {
  return SparseCsr(num_nodes, num_nodes, src, dst, weights);
}

std::size_t SparseCsr::rows() const {
  return data_->rows;
}
std::size_t SparseCsr::cols() const {
  return data_->cols;
}
std::size_t SparseCsr::nnz() const {
  return data_->cols_of.size();
}
const std::vector<std::size_t>& SparseCsr::row_offsets() const {
  return data_->offsets;
}
const std::vector<std::size_t>& SparseCsr::col_ids() const {
  return data_->cols_of;
}
const std::vector<std::size_t>& SparseCsr::edge_ids() const {
  return data_->edge_of;
}
const std::vector<std::size_t>& SparseCsr::edge_sources() const {
  return data_->src;
}
const std::vector<std::size_t>& SparseCsr::edge_destinations() const {
  return data_->dst;
}
bool SparseCsr::has_weights() const {
  return !data_->weights.empty();
}
const std::vector<double>& SparseCsr::weights() const {
  return data_->weights;
}
SparseCsr SparseCsr::transpose() const {
  return SparseCsr(transposed_, data_);
}

std::vector<std::size_t> SparseCsr::row_counts() const {
  std::vector<std::size_t> c(rows());
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = data_->offsets[i + 1] - data_->offsets[i];
  return c;
}

}  // namespace xg
