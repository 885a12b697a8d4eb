// Graph convolution layers on a SparseCsr (xgrad/sparse.hpp): GCNConv (Kipf & Welling 2017) and
// GATConv (Veličković et al. 2018), as PyTorch Geometric's layers of the same names.
//
// Module::forward takes one tensor, so each layer's main entry is forward(x, graph), with x the
// (num_nodes, in) node features and graph the square adjacency whose edge (src -> dst) sends
// src's features to dst. forward(x) runs on a graph bound once with set_graph (a transductive
// task, where every step sees the same graph), so the layers also work inside Sequential.
//
// Weight layout: xgrad's (in, out) Linear weight, registered as the child "lin" (parameter
// "lin.weight"); PyTorch Geometric's lin.weight is (out, in): load it transposed. Every other
// parameter has PyG's name and shape.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "xgrad/nn/dropout.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/module.hpp"
#include "xgrad/nn/random.hpp"
#include "xgrad/sparse.hpp"

namespace xg::nn {

/// GCN's propagation matrix D^-1/2 (A + I) D^-1/2 as a weighted SparseCsr: one self loop of
/// weight 1 per node is added (A + I, as in the paper: an edge i -> i already in the graph then
/// counts twice, where PyG's add_remaining_self_loops would keep it alone), D is the weighted
/// in-degree of A + I (the row sums), and edge (j -> i) of weight w gets w / sqrt(d_i d_j). A
/// node of degree 0 (possible without self loops) gets 0. The graph's own weights are used
/// (1 without). ShapeError unless the graph is square.
SparseCsr gcn_norm(const SparseCsr& graph, bool add_self_loops = true);

/// The graph with every edge i -> i removed and one self loop added per node (PyG's
/// remove_self_loops then add_self_loops, which GATConv uses): the loops come after the other
/// edges, in node order. Weights are dropped. ShapeError unless the graph is square.
SparseCsr with_self_loops(const SparseCsr& graph);

struct GCNConvOptions {
  bool bias = true;
  bool add_self_loops = true;
  /// Generator for the initial weight; nullptr = default_generator().
  Generator* generator = nullptr;
};

/// H' = D^-1/2 (A + I) D^-1/2 H W + b (gcn_norm), computed as spmm(norm, H W) + b as PyG does.
/// W (in, out) is Glorot-uniform, U(-a, a) with a = sqrt(6 / (in + out)), and b zeros, as PyG's
/// GCNConv. The normalisation of the last graph seen is kept and reused while the same graph
/// (SparseCsr::identity) comes back, so it is computed once per graph.
template <class T = float>
class GCNConv : public Module<T> {
 public:
  GCNConv(std::size_t in_features, std::size_t out_features, GCNConvOptions options = {});
  /// x (num_nodes, in) -> (num_nodes, out). ShapeError naming the layer for another x or a
  /// graph that is not (num_nodes x num_nodes).
  Tensor<T> forward(const Tensor<T>& x, const SparseCsr& graph);
  /// forward(x, the graph given to set_graph); GraphError if none was given.
  Tensor<T> forward(const Tensor<T>& x) override;
  void set_graph(SparseCsr graph) { graph_ = std::move(graph), has_graph_ = true; }
  std::string type_name() const override { return "GCNConv"; }
  std::string extra_repr() const override;

  /// lin.weight, (in, out): PyG's lin.weight transposed.
  Tensor<T>& weight() { return lin_->weight(); }
  /// Undefined when bias = false.
  Tensor<T>& bias() { return options_.bias ? this->own_parameter(0) : no_bias_; }
  std::size_t in_features() const { return in_; }
  std::size_t out_features() const { return out_; }

 private:
  const SparseCsr& normalized(const SparseCsr& graph);

  std::size_t in_, out_;
  GCNConvOptions options_;
  std::shared_ptr<Linear<T>> lin_;
  Tensor<T> no_bias_;
  SparseCsr graph_, cached_for_, cached_norm_;
  bool has_graph_ = false, has_cache_ = false;
};

struct GATConvOptions {
  /// Concatenate the heads' outputs (out = heads * out_features) or average them (out_features).
  bool concat = true;
  double negative_slope = 0.2;
  /// Dropout on the attention coefficients while training (0: none).
  double dropout = 0.0;
  bool add_self_loops = true;
  bool bias = true;
  Generator* generator = nullptr;
};

/// Graph attention, per head h with C = out_features: z = x W viewed as (N, heads, C),
/// e_ij = LeakyReLU(<att_src[h], z_j> + <att_dst[h], z_i>, 0.2) for each edge j -> i (the graph
/// with_self_loops), alpha = segment_softmax(e) over each destination's incoming edges, and
/// out_i = sum_j alpha_ij z_j, the heads concatenated or averaged, plus the bias. Parameters as
/// PyG's: att_src and att_dst (1, heads, C), Glorot-uniform with a = sqrt(6 / (heads + C));
/// lin.weight (in, heads C) Glorot-uniform; bias (heads C, or C when averaging) zeros. The graph
/// with self loops is kept for the last graph seen, like GCNConv's normalisation. A graph
/// carrying weights is refused (ShapeError): GAT's attention replaces them.
template <class T = float>
class GATConv : public Module<T> {
 public:
  GATConv(std::size_t in_features, std::size_t out_features, std::size_t heads = 1,
          GATConvOptions options = {});
  /// x (num_nodes, in) -> (num_nodes, heads * out) or (num_nodes, out).
  Tensor<T> forward(const Tensor<T>& x, const SparseCsr& graph);
  Tensor<T> forward(const Tensor<T>& x) override;
  void set_graph(SparseCsr graph) { graph_ = std::move(graph), has_graph_ = true; }
  std::string type_name() const override { return "GATConv"; }
  std::string extra_repr() const override;

  Tensor<T>& weight() { return lin_->weight(); }
  Tensor<T>& att_src() { return this->own_parameter(0); }
  Tensor<T>& att_dst() { return this->own_parameter(1); }
  Tensor<T>& bias() { return options_.bias ? this->own_parameter(2) : no_bias_; }
  /// The attention coefficients of the last forward, (E + loops, heads), in the order of the
  /// graph with_self_loops; undefined before the first forward.
  const Tensor<T>& attention() const { return attention_; }

 private:
  const SparseCsr& looped(const SparseCsr& graph);

  std::size_t in_, out_, heads_;
  GATConvOptions options_;
  std::shared_ptr<Linear<T>> lin_;
  std::shared_ptr<Dropout<T>> dropout_;
  Tensor<T> no_bias_, attention_;
  SparseCsr graph_, cached_for_, cached_loops_;
  bool has_graph_ = false, has_cache_ = false;
};

}  // namespace xg::nn
