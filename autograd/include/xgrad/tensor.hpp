// xg::Tensor<T>: a cheap handle (one shared pointer) to a node of the tape.
//
// A node holds the value (an xt::xarray<T>), the accumulated gradient, requires_grad, and, for
// the result of an operation, the inputs it was computed from and its backward rule. Operations
// record as they run (define-by-run); backward() walks the recorded nodes in reverse. The node is
// the engine's own (xgrad/detail/node.hpp); xg::NodeView (xgrad/node_view.hpp) reads it, and
// xg::record with xg::BackwardContext below is the one way to add an operation.
//
// T is float or double; the engine is compiled for both (explicit instantiation), so user code
// only includes these headers and links xgrad::autograd.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

namespace xg {

namespace detail {
template <class T>
class Node;
template <class T>
struct NodeAccess;
}  // namespace detail

using Shape = std::vector<std::size_t>;

/// What backward() does besides computing gradients.
struct BackwardOptions {
  /// Keep the tape after backward so it can be walked again. Default: release it.
  bool retain_graph = false;
  /// Record the backward pass itself, so gradients can be differentiated again.
  /// Implies retain_graph.
  bool create_graph = false;
};

template <class T>
class Tensor {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "xg::Tensor<T> is instantiated for float and double");

 public:
  using value_type = T;
  using array_type = xt::xarray<T>;

  /// An undefined tensor (no node). Most operations reject it.
  Tensor() = default;
  /// A leaf holding `value`.
  explicit Tensor(array_type&& value, bool requires_grad = false);
  explicit Tensor(const array_type& value, bool requires_grad = false);
  // Factories. `from` copies values given in row-major order into the shape.
  static Tensor scalar(T value, bool requires_grad = false);
  static Tensor zeros(const Shape& shape, bool requires_grad = false);
  static Tensor ones(const Shape& shape, bool requires_grad = false);
  static Tensor full(const Shape& shape, T value, bool requires_grad = false);
  static Tensor from(const Shape& shape, std::initializer_list<T> values,
                     bool requires_grad = false);
  static Tensor from(const Shape& shape, const std::vector<T>& values, bool requires_grad = false);

  bool defined() const { return node_ != nullptr; }
  const array_type& value() const;
  /// Writable value, for in-place updates of the elements outside the tape (optimizers,
  /// initialisers). Changing a value that a recorded operation has saved makes its backward
  /// wrong; do it under NoGradGuard on leaves only. To replace the whole value use set_value,
  /// which keeps the shape: an array of another shape assigned here is not checked until an
  /// operation or backward meets it.
  array_type& mutable_value();
  /// Replaces the value by one of the same shape, outside the tape (loading weights, resetting a
  /// parameter). A different shape is a ShapeError naming the tensor and both shapes: a
  /// parameter never changes shape behind its layer's back.
  void set_value(array_type value);
  Shape shape() const;
  std::size_t dim() const;
  std::size_t size() const;
  /// The single value of a one-element tensor; throws ShapeError otherwise.
  T item() const;

  bool requires_grad() const;
  /// Marks a leaf as a parameter whose gradient backward() accumulates.
  Tensor& requires_grad_(bool requires_grad = true);
  bool is_leaf() const;
  /// Name of the operation that produced this tensor; "leaf" for leaves.
  const char* op_name() const;
  const std::string& name() const;
  Tensor& set_name(std::string name);

  /// Accumulated gradient (undefined until a backward pass reaches this tensor).
  const Tensor& grad() const;
  bool has_grad() const { return grad().defined(); }
  /// Replaces the accumulated gradient, as PyTorch's `p.grad = g` does (an undefined `grad`
  /// forgets it, like zero_grad). A gradient of another shape than the tensor's is a ShapeError
  /// naming the tensor and both shapes.
  void set_grad(Tensor grad);
  /// Forgets the accumulated gradient (also breaks the leaf <-> gradient cycle that
  /// backward(create_graph) leaves behind).
  void zero_grad();
  /// Asks backward() to store the gradient of this non-leaf too.
  Tensor& retain_grad();

  /// Reverse-mode pass from this one-element tensor (seed 1).
  void backward(BackwardOptions options = {}) const;
  /// Reverse-mode pass with an explicit seed gradient of this tensor's shape.
  void backward(const Tensor& seed, BackwardOptions options = {}) const;

  /// Same value, cut from the tape (a new leaf that shares nothing with the graph).
  Tensor detach() const;

  /// Identity of the tensor: equal for two handles of one tensor, different for two tensors
  /// (even with equal values). For sets of tensors, such as the parameters of a model.
  const void* identity() const { return node_.get(); }

 private:
  // The node is the engine's: the library reaches it through detail::NodeAccess, users through
  // NodeView.
  friend struct detail::NodeAccess<T>;
  explicit Tensor(std::shared_ptr<detail::Node<T>> node) : node_(std::move(node)) {}

  std::shared_ptr<detail::Node<T>> node_;
};

/// A read-only view of a list of tensors: the inputs of an operation as its backward rule and
/// observers see them (`c.inputs[i]`). It does not own the tensors; it is valid while the list
/// it was made from is.
template <class T>
class InputSpan {
 public:
  InputSpan() = default;
  InputSpan(const std::vector<Tensor<T>>& list) : data_(list.data()), size_(list.size()) {}
  InputSpan(const Tensor<T>* data, std::size_t size) : data_(data), size_(size) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Tensor<T>& operator[](std::size_t i) const { return data_[i]; }
  const Tensor<T>* begin() const { return data_; }
  const Tensor<T>* end() const { return data_ + size_; }

 private:
  const Tensor<T>* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Everything a backward rule sees. `output` is the node being differentiated (so rules may use
/// the forward result, e.g. sigmoid' = s(1-s), without the node owning itself); `grad` is
/// dLoss/dOutput. The rule writes dLoss/dInput[i] into input_grads[i] for each input that
/// needs it; a gradient whose shape is a broadcast of the input's is reduced by the engine.
/// A rule is the same whether or not the pass is recorded (create_graph): grad mode decides.
template <class T>
struct BackwardContext {
  const Tensor<T>& output;
  const Tensor<T>& grad;
  InputSpan<T> inputs;
  std::vector<Tensor<T>>& input_grads;

  bool needs(std::size_t i) const { return inputs[i].requires_grad(); }
};

}  // namespace xg

#include "xgrad/detail/node.hpp"

namespace xg {

namespace detail {
/// Throws GraphError "<what>: the tensor is undefined"; out of line, so that the accessors below
/// can be inline: every operation and the engine call them for each node.
[[noreturn]] void throw_undefined_tensor(const char* what);
}  // namespace detail

template <class T>
inline const typename Tensor<T>::array_type& Tensor<T>::value() const {
  if (!node_) detail::throw_undefined_tensor("value");
  return node_->value;
}
template <class T>
inline typename Tensor<T>::array_type& Tensor<T>::mutable_value() {
  if (!node_) detail::throw_undefined_tensor("mutable_value");
  return node_->value;
}
template <class T>
inline bool Tensor<T>::requires_grad() const {
  return node_ && node_->requires_grad;
}
template <class T>
inline bool Tensor<T>::is_leaf() const {
  if (!node_) detail::throw_undefined_tensor("is_leaf");
  return node_->is_leaf();
}
template <class T>
inline const Tensor<T>& Tensor<T>::grad() const {
  if (!node_) detail::throw_undefined_tensor("grad");
  return node_->grad;
}

/// Number of tape nodes alive (all threads) for element type T: lets tests prove that graphs
/// are freed and that nothing forms a reference cycle.
template <class T>
long live_node_count();

/// The gradient a backward rule is handed. `full`: of the output's shape, always. `broadcast`:
/// possibly of a smaller shape that broadcasts to the output's (the gradient of a sum is one
/// value for all of its input's elements), for rules written with broadcasting operations only,
/// which then read it with a stride of 0 instead of a materialised copy. The engine expands such
/// a gradient for every other rule, for a leaf's .grad, for xg::grad's results and for
/// observers.
///
/// A rule may also return, for an input, a gradient of a shape that broadcasts to the input's
/// (it then stands for its broadcast), or of a bigger shape that the input's broadcasts to (it
/// is summed down, as the broadcasting of the forward operation asks).
enum class GradShape { full, broadcast };

/// Wraps a freshly computed value as an operation result. When grad mode is on and some input
/// requires grad, the node records `op`, the inputs and the backward rule; otherwise it is a
/// plain leaf and the rule is dropped. This is how every built-in operation records, and the
/// way to add custom ones. `inputs` is a braced list `{a, b}` or a std::vector of tensors.
template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, InputSpan<T> inputs, F&& backward_rule,
                 GradShape grad_shape = GradShape::full);
template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, std::initializer_list<Tensor<T>> inputs,
                 F&& backward_rule, GradShape grad_shape = GradShape::full) {
  return record<T>(op, std::move(value), InputSpan<T>(inputs.begin(), inputs.size()),
                   std::forward<F>(backward_rule), grad_shape);
}

}  // namespace xg

#include "xgrad/detail/record_impl.hpp"
