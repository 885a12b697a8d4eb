// xg::NodeView<T>: a read-only look at one node of the tape, for tools that walk or watch the
// graph (observers, the backward trace, Graphviz export, anomaly mode) and for tests.
//
//   auto y = xg::linear(x, w, b);
//   xg::NodeView<float> node(y);
//   node.op_name();              // "linear"
//   node.inputs().size();        // 3: x, w, b
//   xg::NodeView<float>(node.inputs()[1]).name();
//
// The node itself, with the engine's per-pass scratch, is private to the engine. A view does not
// own the node: it is valid while some tensor holds it (the tensor it was made from, or, inside
// an observer's callback, the engine).
#pragma once

#include <cstddef>
#include <string>

#include "xgrad/tensor.hpp"

namespace xg {

template <class T>
class NodeView {
 public:
  using array_type = xt::xarray<T>;

  /// The node behind `tensor`; GraphError when the tensor is undefined.
  explicit NodeView(const Tensor<T>& tensor) : node_(detail::NodeAccess<T>::get(tensor)) {
    if (node_ == nullptr) detail::throw_undefined_tensor("NodeView");
  }

  /// Name of the operation that produced the node; "leaf" for leaves (as Tensor::op_name).
  const char* op_name() const { return node_->is_leaf() ? "leaf" : node_->op; }
  bool is_leaf() const { return node_->is_leaf(); }
  bool requires_grad() const { return node_->requires_grad; }
  /// True for a non-leaf whose gradient backward stores (Tensor::retain_grad).
  bool retains_grad() const { return node_->retains_grad; }
  /// True once a backward pass without retain_graph has released the node's inputs and saved
  /// state: inputs() is then empty and the node cannot be differentiated again.
  bool released() const { return node_->released; }
  const std::string& name() const { return node_->name; }
  const array_type& value() const { return node_->value; }
  /// Accumulated gradient (undefined until a backward pass stores one).
  const Tensor<T>& grad() const { return node_->grad; }
  /// The tensors the operation was computed from, in argument order; empty for leaves.
  InputSpan<T> inputs() const { return node_->inputs.view(); }
  /// Equal to Tensor::identity() of every handle of this node: keys for maps of nodes.
  const void* identity() const { return node_; }

 private:
  friend struct detail::NodeAccess<T>;
  explicit NodeView(const detail::Node<T>& node) : node_(&node) {}

  const detail::Node<T>* node_;
};

}  // namespace xg
