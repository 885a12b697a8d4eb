// GATConv (see graph.hpp): attention scores from two per-head vectors, a softmax over each
// destination's incoming edges, and the weighted sum of the sources' features.
#include <string>

#include "format.hpp"
#include "graph_check.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/nn/graph.hpp"
#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/graph.hpp"
#include "xgrad/ops/reduction.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::nn {

namespace {
std::string layer_str(std::size_t in, std::size_t out, std::size_t heads) {
  return "GATConv(in=" + std::to_string(in) + ", out=" + std::to_string(out) +
         ", heads=" + std::to_string(heads) + ")";
}
}  // namespace

template <class T>
GATConv<T>::GATConv(std::size_t in_features, std::size_t out_features, std::size_t heads,
                    GATConvOptions options)
    : in_(in_features), out_(out_features), heads_(heads), options_(options) {
  const std::string layer = layer_str(in_, out_, heads_);
  if (in_ == 0 || out_ == 0 || heads_ == 0) {
    throw DomainError(layer + ": in, out and heads must be positive");
  }
  if (!(options_.dropout >= 0.0 && options_.dropout < 1.0)) {
    throw DomainError(layer + ": attention dropout " + std::to_string(options_.dropout) +
                      " is outside [0, 1)");
  }
  Generator& gen = options_.generator ? *options_.generator : default_generator();
  for (const char* name : {"att_src", "att_dst"}) {
    Tensor<T> a = Tensor<T>::zeros({1, heads_, out_});
    initialize(a, Init::glorot_uniform, heads_, out_, gen);  // PyG's glorot: size(-2) + size(-1)
    this->register_parameter(name, std::move(a));            // own_parameter(0), (1)
  }
  if (options_.bias) {
    this->register_parameter("bias", Tensor<T>::zeros({options_.concat ? heads_ * out_ : out_}));
  }
  lin_ = this->register_module("lin", Linear<T>(in_, heads_ * out_,
                                                {.bias = false,
                                                 .weight_init = Init::glorot_uniform,
                                                 .generator = options_.generator}));
  if (options_.dropout > 0) {
    dropout_ = this->register_module("dropout", Dropout<T>(options_.dropout, options_.generator));
  }
}

template <class T>
const SparseCsr& GATConv<T>::looped(const SparseCsr& graph) {
  if (!has_cache_ || cached_for_.identity() != graph.identity()) {
    cached_loops_ = options_.add_self_loops ? with_self_loops(graph) : graph;
    cached_for_ = graph;
    has_cache_ = true;
  }
  return cached_loops_;
}

template <class T>
Tensor<T> GATConv<T>::forward(const Tensor<T>& x, const SparseCsr& graph) {
  const std::string layer = layer_str(in_, out_, heads_);
  detail::check_node_features(layer, x, graph, in_);
  if (graph.has_weights()) {
    throw ShapeError(layer + ": the graph carries edge weights, which GAT's attention would " +
                     "ignore; pass the unweighted graph");
  }
  const SparseCsr& g = looped(graph);
  const auto n = static_cast<std::ptrdiff_t>(graph.rows());
  const auto h = static_cast<std::ptrdiff_t>(heads_), c = static_cast<std::ptrdiff_t>(out_);
  const Tensor<T> z = reshape(lin_->forward(x), {n, h, c});  // (N, H, C)
  const Tensor<T> s_src = sum(mul(z, att_src()), 2);         // (N, H)
  const Tensor<T> s_dst = sum(mul(z, att_dst()), 2);
  const Tensor<T> e = leaky_relu(add(xg::index_select(s_src, 0, g.edge_sources()),
                                     xg::index_select(s_dst, 0, g.edge_destinations())),
                                 static_cast<T>(options_.negative_slope));  // (E, H)
  attention_ = segment_softmax(e, g);
  const Tensor<T> alpha = dropout_ ? dropout_->forward(attention_) : attention_;
  const Tensor<T> messages =
      mul(xg::index_select(z, 0, g.edge_sources()), unsqueeze(alpha, -1));  // (E, H, C)
  const Tensor<T> out = segment_sum(messages, g);                           // (N, H, C)
  const Tensor<T> y = options_.concat ? reshape(out, {n, h * c}) : mean(out, 1);
  return options_.bias ? add(y, bias()) : y;
}

template <class T>
Tensor<T> GATConv<T>::forward(const Tensor<T>& x) {
  if (!has_graph_) {
    throw GraphError(layer_str(in_, out_, heads_) +
                     ": no graph; call forward(x, graph), or set_graph(graph) first");
  }
  return forward(x, graph_);
}

template <class T>
std::string GATConv<T>::extra_repr() const {
  return "in=" + std::to_string(in_) + ", out=" + std::to_string(out_) +
         ", heads=" + std::to_string(heads_) + ", concat=" + detail::bool_str(options_.concat) +
         ", negative_slope=" + detail::num_str(options_.negative_slope) +
         ", dropout=" + detail::num_str(options_.dropout) +
         ", bias=" + detail::bool_str(options_.bias);
}

#define XG_INSTANTIATE(T) template class GATConv<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)
#undef XG_INSTANTIATE

}  // namespace xg::nn
