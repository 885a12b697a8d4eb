// GCNConv (see graph.hpp).
#include <string>

#include "format.hpp"
#include "graph_check.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/nn/graph.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/graph.hpp"

namespace xg::nn {

namespace {
std::string layer_str(std::size_t in, std::size_t out) {
  return "GCNConv(in=" + std::to_string(in) + ", out=" + std::to_string(out) + ")";
}
}  // namespace

template <class T>
GCNConv<T>::GCNConv(std::size_t in_features, std::size_t out_features, GCNConvOptions options)
    : in_(in_features), out_(out_features), options_(options) {
  if (in_ == 0 || out_ == 0) {
    throw DomainError(layer_str(in_, out_) + ": in and out must be positive");
  }
  if (options_.bias) this->register_parameter("bias", Tensor<T>::zeros({out_}));  // PyG: zeros
  lin_ = this->register_module("lin", Linear<T>(in_, out_,
                                                {.bias = false,
                                                 .weight_init = Init::glorot_uniform,
                                                 .generator = options_.generator}));
}

template <class T>
const SparseCsr& GCNConv<T>::normalized(const SparseCsr& graph) {
  if (!has_cache_ || cached_for_.identity() != graph.identity()) {
    cached_norm_ = gcn_norm(graph, options_.add_self_loops);
    cached_for_ = graph;
    has_cache_ = true;
  }
  return cached_norm_;
}

template <class T>
Tensor<T> GCNConv<T>::forward(const Tensor<T>& x, const SparseCsr& graph) {
  detail::check_node_features(layer_str(in_, out_), x, graph, in_);
  Tensor<T> y = spmm(normalized(graph), lin_->forward(x));
  return options_.bias ? add(y, this->own_parameter(0)) : y;
}

template <class T>
Tensor<T> GCNConv<T>::forward(const Tensor<T>& x) {
  if (!has_graph_) {
    throw GraphError(layer_str(in_, out_) +
                     ": no graph; call forward(x, graph), or set_graph(graph) first");
  }
  return forward(x, graph_);
}

template <class T>
std::string GCNConv<T>::extra_repr() const {
  return "in=" + std::to_string(in_) + ", out=" + std::to_string(out_) +
         ", bias=" + detail::bool_str(options_.bias) +
         ", add_self_loops=" + detail::bool_str(options_.add_self_loops);
}

#define XG_INSTANTIATE(T) template class GCNConv<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)
#undef XG_INSTANTIATE

}  // namespace xg::nn
