// The input check the graph layers share (not installed).
#pragma once

#include <string>

#include "xgrad/errors.hpp"
#include "xgrad/sparse.hpp"
#include "xgrad/tensor.hpp"

namespace xg::nn::detail {

/// GraphError for an undefined x; ShapeError naming the layer unless the graph is square and x
/// is (its node count, in).
template <class T>
void check_node_features(const std::string& layer, const Tensor<T>& x, const SparseCsr& graph,
                         std::size_t in) {
  if (!x.defined()) throw GraphError(layer + ": the input is undefined");
  const auto& s = x.value().shape();
  if (graph.rows() != graph.cols()) {
    throw ShapeError(layer + ": the graph is " + std::to_string(graph.rows()) + " x " +
                     std::to_string(graph.cols()) + "; a square adjacency is needed");
  }
  if (s.size() != 2 || s[0] != graph.rows() || s[1] != in) {
    throw ShapeError(layer + ": input of shape " + shape_str(s) + " must be (num_nodes, in) = (" +
                     std::to_string(graph.rows()) + ", " + std::to_string(in) +
                     ") for a graph of " + std::to_string(graph.rows()) + " nodes");
  }
}

}  // namespace xg::nn::detail
