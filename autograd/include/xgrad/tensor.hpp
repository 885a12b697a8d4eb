// xg::Tensor<T>: a cheap handle (one shared pointer) to a node of the tape.
//
// A node holds the value (an xt::xarray<T>), the accumulated gradient, requires_grad, and, for
// the result of an operation, the inputs it was computed from and its backward rule. Operations
// record as they run (define-by-run); backward() walks the recorded nodes in reverse.
//
// T is float or double; the engine is compiled for both (explicit instantiation), so user code
// only includes these headers and links xgrad::autograd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "xgrad/detail/node_pool.hpp"

namespace xg {

template <class T>
class Node;

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
  /// Wraps an existing node (used by operations and the engine).
  explicit Tensor(std::shared_ptr<Node<T>> node) : node_(std::move(node)) {}

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
  /// Writable value, for in-place updates outside the tape (optimizers, initialisers). Changing
  /// a value that a recorded operation has saved makes its backward wrong; do it under
  /// NoGradGuard on leaves only.
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

  /// The node itself: for the engine, custom operations and tests.
  const std::shared_ptr<Node<T>>& node() const { return node_; }

 private:
  std::shared_ptr<Node<T>> node_;
};

/// The inputs of a recorded operation. Almost every operation has one or two, so up to two are
/// kept inside the node itself (no allocation per operation, one pointer less to follow when
/// backward walks the tape); more (x W + b has three) go to one array from the node pool, which
/// a training step after the first gets back without allocating. Reads like a std::vector.
template <class T>
class InputList {
 public:
  InputList() = default;
  InputList(std::initializer_list<Tensor<T>> list) { assign(list.begin(), list.size()); }
  /// Implicit, so a std::vector of tensors can be passed wherever a list is expected.
  InputList(const std::vector<Tensor<T>>& list) { assign(list.data(), list.size()); }
  InputList(const InputList& other) { assign(other.begin(), other.size()); }
  InputList(InputList&& other) noexcept { take(other); }
  InputList& operator=(const InputList& other) {
    if (this != &other) *this = InputList(other);
    return *this;
  }
  InputList& operator=(InputList&& other) noexcept {
    if (this != &other) {
      clear();
      take(other);
    }
    return *this;
  }
  ~InputList() { clear(); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Tensor<T>* data() { return heap_ ? heap_ : inline_; }
  const Tensor<T>* data() const { return heap_ ? heap_ : inline_; }
  Tensor<T>& operator[](std::size_t i) { return data()[i]; }
  const Tensor<T>& operator[](std::size_t i) const { return data()[i]; }
  Tensor<T>* begin() { return data(); }
  Tensor<T>* end() { return data() + size_; }
  const Tensor<T>* begin() const { return data(); }
  const Tensor<T>* end() const { return data() + size_; }
  std::vector<Tensor<T>> to_vector() const { return std::vector<Tensor<T>>(begin(), end()); }
  void clear() noexcept {
    if (heap_) {
      for (std::size_t i = 0; i < size_; ++i) heap_[i].~Tensor<T>();
      detail::node_deallocate(heap_, size_ * sizeof(Tensor<T>), detail::NodeFamily::op);
      heap_ = nullptr;
    } else {
      // Inline slots past size_ are always empty.
      for (std::size_t i = 0; i < size_; ++i) inline_[i] = Tensor<T>();
    }
    size_ = 0;
  }

 private:
  static constexpr std::size_t kInline = 2;

  void assign(const Tensor<T>* from, std::size_t n) {
    if (n <= kInline) {
      for (std::size_t i = 0; i < n; ++i) inline_[i] = from[i];
    } else {
      void* raw = detail::node_allocate(n * sizeof(Tensor<T>), detail::NodeFamily::op);
      heap_ = static_cast<Tensor<T>*>(raw);
      for (std::size_t i = 0; i < n; ++i) new (heap_ + i) Tensor<T>(from[i]);  // cannot throw
    }
    size_ = n;
  }
  void take(InputList& other) noexcept {
    if (other.heap_) {
      heap_ = std::exchange(other.heap_, nullptr);
    } else {
      for (std::size_t i = 0; i < other.size_; ++i) inline_[i] = std::move(other.inline_[i]);
    }
    size_ = std::exchange(other.size_, 0);
  }

  Tensor<T> inline_[kInline];
  Tensor<T>* heap_ = nullptr;
  std::size_t size_ = 0;
};

/// Everything a backward rule sees. `output` is the node being differentiated (so rules may use
/// the forward result, e.g. sigmoid' = s(1-s), without the node owning itself); `grad` is
/// dLoss/dOutput. The rule writes dLoss/dInput[i] into input_grads[i] for each input that
/// needs it; a gradient whose shape is a broadcast of the input's is reduced by the engine.
template <class T>
struct BackwardContext {
  const Tensor<T>& output;
  const Tensor<T>& grad;
  const InputList<T>& inputs;
  std::vector<Tensor<T>>& input_grads;
  /// True when the backward pass is itself being recorded (create_graph).
  bool create_graph;

  bool needs(std::size_t i) const { return inputs[i].requires_grad(); }
};

template <class T>
class Node {
 public:
  using array_type = xt::xarray<T>;

  Node(array_type&& v, bool rg);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  /// Iterative: releasing a chain of a million nodes does not recurse.
  virtual ~Node();

  /// Runs this node's backward rule; leaves have none.
  virtual void apply_backward(BackwardContext<T>& ctx);
  /// Drops what the backward rule saved (called when the tape is released).
  virtual void release_saved() {}

  bool is_leaf() const { return op == nullptr; }

  // The fields the engine reads for every node come first: a backward walk over a tape too
  // long for the caches then touches one or two cache lines per node.
  InputList<T> inputs;
  /// Operation name, nullptr for leaves (a string literal owned by the operation).
  const char* op = nullptr;
  // Engine scratch (see engine.cpp): one pass's at a time; of a leaf only visit_mark, a hint.
  std::uint64_t visit_mark = 0;
  std::uint32_t pending_deps = 0;
  bool requires_grad = false;
  bool retains_grad = false;
  /// Set when backward has released this node's saved state and inputs.
  bool released = false;
  Tensor<T> pending_grad;

  Tensor<T> grad;
  array_type value;
  std::string name;
};

/// A recorded operation whose backward rule is the callable F (usually a lambda capturing plain
/// data such as masks or axes, never tensors: inputs come from the context, the output is the
/// node itself). One allocation per operation, no std::function.
template <class T, class F>
class FnNode final : public Node<T> {
 public:
  FnNode(typename Node<T>::array_type&& v, F&& fn)
      : Node<T>(std::move(v), true), fn_(std::move(fn)) {}
  void apply_backward(BackwardContext<T>& ctx) override { (*fn_)(ctx); }
  void release_saved() override { fn_.reset(); }

 private:
  std::optional<F> fn_;
};

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

/// Wraps a freshly computed value as an operation result. When grad mode is on and some input
/// requires grad, the node records `op`, the inputs and the backward rule; otherwise it is a
/// plain leaf and the rule is dropped. This is how every built-in operation records, and the
/// way to add custom ones.
template <class T, class F>
Tensor<T> record(const char* op, xt::xarray<T>&& value, InputList<T> inputs, F&& backward_rule);

}  // namespace xg

#include "xgrad/detail/record_impl.hpp"
