// The graphs GCNConv and GATConv propagate over: GCN's symmetric normalisation and GAT's self
// loops (see graph.hpp).
#include <cmath>
#include <string>
#include <vector>

#include "xgrad/errors.hpp"
#include "xgrad/nn/graph.hpp"

namespace xg::nn {

namespace {
void require_square(const char* op, const SparseCsr& graph) {
  if (graph.rows() != graph.cols()) {
    throw ShapeError(std::string(op) + ": the graph is " + std::to_string(graph.rows()) + " x " +
                     std::to_string(graph.cols()) + "; a square adjacency (num_nodes x " +
                     "num_nodes) is needed");
  }
}
}  // namespace

SparseCsr gcn_norm(const SparseCsr& graph, bool add_self_loops) {
  require_square("gcn_norm", graph);
  const std::size_t n = graph.rows();
  std::vector<std::size_t> src = graph.edge_sources(), dst = graph.edge_destinations();
  std::vector<double> w =
      graph.has_weights() ? graph.weights() : std::vector<double>(src.size(), 1.0);
  if (add_self_loops) {
    for (std::size_t i = 0; i < n; ++i) {
      src.push_back(i);
      dst.push_back(i);
      w.push_back(1.0);
    }
  }
  std::vector<double> deg(n, 0.0);
  for (std::size_t e = 0; e < dst.size(); ++e) deg[dst[e]] += w[e];
  for (auto& d : deg) d = d > 0 ? 1.0 / std::sqrt(d) : 0.0;  // degree 0 gives 0, as in PyG
  for (std::size_t e = 0; e < w.size(); ++e) w[e] = deg[src[e]] * w[e] * deg[dst[e]];
  return SparseCsr(n, n, src, dst, w);
}

SparseCsr with_self_loops(const SparseCsr& graph) {
  require_square("with_self_loops", graph);
  const std::size_t n = graph.rows();
  std::vector<std::size_t> src, dst;
  src.reserve(graph.nnz() + n);
  dst.reserve(graph.nnz() + n);
  for (std::size_t e = 0; e < graph.nnz(); ++e) {
    if (graph.edge_sources()[e] == graph.edge_destinations()[e]) continue;
    src.push_back(graph.edge_sources()[e]);
    dst.push_back(graph.edge_destinations()[e]);
  }
  for (std::size_t i = 0; i < n; ++i) {
    src.push_back(i);
    dst.push_back(i);
  }
  return SparseCsr(n, n, src, dst);
}

}  // namespace xg::nn
