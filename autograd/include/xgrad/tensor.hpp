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
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "xgrad/hook_handle.hpp"

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
  /// initialisers). Each call counts as a write: it bumps version(), so that a recorded
  /// operation that saved this value refuses to run its backward rule (GraphError) instead of
  /// computing a wrong gradient. To replace the whole value use set_value, which keeps the
  /// shape: an array of another shape assigned here is not checked until an operation or
  /// backward meets it.
  array_type& mutable_value();
  /// Replaces the value by one of the same shape, outside the tape (loading weights, resetting a
  /// parameter). A different shape is a ShapeError naming the tensor and both shapes: a
  /// parameter never changes shape behind its layer's back. Bumps version().
  void set_value(array_type value);
  /// How many times the value was written in place (PyTorch's `_version`): mutable_value(),
  /// set_value() and the in-place operations below each add one.
  std::uint32_t version() const;

  // In-place operations (PyTorch's add_, mul_, ...). `other` must broadcast to this tensor's
  // shape, which never changes. Under NoGradGuard, or when neither side requires grad, the
  // value is written in place and version() grows. When the operation must be recorded (grad
  // mode on and this tensor or `other` requires grad), it is recorded as its out-of-place form
  // and this handle is rebound to the result: earlier uses of the old tensor keep the value
  // they saw, so their gradients stay right. A leaf that requires grad is refused (GraphError)
  // while grad mode is on, as in PyTorch: update parameters under NoGradGuard.
  Tensor& add_(const Tensor& other);
  Tensor& add_(T s);
  Tensor& sub_(const Tensor& other);
  Tensor& sub_(T s);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(T s);
  Tensor& div_(const Tensor& other);
  Tensor& div_(T s);
  Tensor& clamp_(T lo, T hi);
  Tensor& fill_(T s);
  Tensor& zero_();
  /// Copies `src` (broadcast to this tensor's shape) into this tensor.
  Tensor& copy_(const Tensor& src);
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

  /// Called with this tensor's gradient when a backward pass (backward() or xg::grad) has
  /// summed it, before it flows on: into the rule of the operation that made this tensor, a
  /// leaf's .grad, a retained gradient or xg::grad's result. The hook may return a replacement
  /// of the same shape (an undefined tensor keeps the gradient). Several hooks run in
  /// registration order, each on the previous one's result. With create_graph the gradient is
  /// part of the graph and what the hook returns is recorded. GraphError on a tensor that does
  /// not require grad. Registering while another thread runs backward on this tensor is a race.
  HookHandle register_hook(std::function<Tensor(const Tensor&)> hook);
  /// On a leaf that requires grad: called with the leaf once backward() has accumulated this
  /// pass's gradient into its .grad, exactly once per pass that reaches it (also for a leaf used
  /// several times), in the order leaves become ready. xg::grad accumulates nothing and calls
  /// none. GraphError on a non-leaf.
  HookHandle register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook);

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

#include "xgrad/detail/hooks.hpp"
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
  ++node_->version;
  return node_->value;
}
template <class T>
inline std::uint32_t Tensor<T>::version() const {
  if (!node_) detail::throw_undefined_tensor("version");
  return node_->version;
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

/// Which values an operation's backward rule reads: of which inputs (bit i for input i; bit 31
/// stands for inputs 31 and later) and whether of its output. Before the rule runs, the engine
/// checks that each of them still has the version it had when the operation was recorded, and
/// throws GraphError naming the operation and the tensor if one was written in place since.
/// Shapes may always be read: no in-place write changes one. The default is everything, which
/// is always safe; an operation whose rule reads less says so, so that in-place writes to the
/// values it does not read stay legal (as PyTorch's saved variables).
struct Saves {
  std::uint32_t inputs = ~std::uint32_t{0};
  bool output = true;

  static constexpr Saves everything() { return {}; }
  static constexpr Saves nothing() { return {0, false}; }
  static constexpr Saves result() { return {0, true}; }
  static constexpr Saves input(std::size_t i) {
    return {std::uint32_t{1} << (i < 31 ? i : 31), false};
  }
  constexpr Saves operator|(Saves other) const {
    return {inputs | other.inputs, output || other.output};
  }
};

/// Wraps a freshly computed value as an operation result. When grad mode is on and some input
/// requires grad, the node records `op`, the inputs and the backward rule; otherwise it is a
/// plain leaf and the rule is dropped. This is how every built-in operation records, and the
/// way to add custom ones. `inputs` is a braced list `{a, b}` or a std::vector of tensors.
template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, InputSpan<T> inputs, F&& backward_rule,
                 GradShape grad_shape = GradShape::full, Saves saves = Saves::everything());
template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, std::initializer_list<Tensor<T>> inputs,
                 F&& backward_rule, GradShape grad_shape = GradShape::full,
                 Saves saves = Saves::everything()) {
  return record<T>(op, std::move(value), InputSpan<T>(inputs.begin(), inputs.size()),
                   std::forward<F>(backward_rule), grad_shape, saves);
}
/// record() with the full gradient shape and a Saves.
template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, InputSpan<T> inputs, F&& backward_rule,
                 Saves saves) {
  return record<T>(op, std::move(value), inputs, std::forward<F>(backward_rule), GradShape::full,
                   saves);
}
template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, std::initializer_list<Tensor<T>> inputs,
                 F&& backward_rule, Saves saves) {
  return record<T>(op, std::move(value), InputSpan<T>(inputs.begin(), inputs.size()),
                   std::forward<F>(backward_rule), GradShape::full, saves);
}

}  // namespace xg

#include "xgrad/detail/record_impl.hpp"
