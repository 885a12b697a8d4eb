// The tape's node, private to the engine: record() (a header template) must construct FnNode, so
// the definitions are visible, but no public API names them. Users read nodes through
// xg::NodeView (xgrad/node_view.hpp). Included by tensor.hpp once Tensor is complete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "xgrad/detail/node_pool.hpp"

namespace xg {
template <class T>
class NodeView;
}  // namespace xg

namespace xg::detail {

/// The inputs a recorded operation keeps, each with the version its value had when the operation
/// was recorded (see Node::version). Almost every operation has one or two, so up to two are
/// kept inside the node itself (no allocation per operation, one pointer less to follow when
/// backward walks the tape); more (x W + b has three) go to one array from the node pool, which
/// a training step after the first gets back without allocating.
template <class T>
class InputList {
 public:
  InputList() = default;
  InputList(std::initializer_list<Tensor<T>> list) { assign(list.begin(), list.size()); }
  explicit InputList(InputSpan<T> list) { assign(list.begin(), list.size()); }
  InputList(const std::vector<Tensor<T>>& list) { assign(list.data(), list.size()); }
  InputList(const InputList& other) {
    assign(other.begin(), other.size());
    for (std::size_t i = 0; i < size_; ++i) versions()[i] = other.version(i);
  }
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

  /// Replaces an empty list's contents by copies of `list`.
  void assign_to_empty(InputSpan<T> list) { assign(list.begin(), list.size()); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Tensor<T>* data() { return heap_ ? heap_ : inline_; }
  const Tensor<T>* data() const { return heap_ ? heap_ : inline_; }
  /// The version input i's value had when the list was filled (0 for an undefined tensor).
  std::uint32_t version(std::size_t i) const { return versions()[i]; }
  Tensor<T>& operator[](std::size_t i) { return data()[i]; }
  const Tensor<T>& operator[](std::size_t i) const { return data()[i]; }
  Tensor<T>* begin() { return data(); }
  Tensor<T>* end() { return data() + size_; }
  const Tensor<T>* begin() const { return data(); }
  const Tensor<T>* end() const { return data() + size_; }
  InputSpan<T> view() const { return InputSpan<T>(data(), size_); }
  std::vector<Tensor<T>> to_vector() const { return std::vector<Tensor<T>>(begin(), end()); }
  void clear() noexcept {
    if (heap_) {
      for (std::size_t i = 0; i < size_; ++i) heap_[i].~Tensor<T>();
      node_deallocate(heap_, heap_bytes(size_), NodeFamily::op);
      heap_ = nullptr;
    } else {
      // Inline slots past size_ are always empty.
      for (std::size_t i = 0; i < size_; ++i) inline_[i] = Tensor<T>();
    }
    size_ = 0;
  }

 private:
  static constexpr std::size_t kInline = 2;

  // A heap list is one block: the tensors, then their versions.
  static std::size_t heap_bytes(std::size_t n) { return n * (sizeof(Tensor<T>) + 4); }
  std::uint32_t* versions() {
    return heap_ ? reinterpret_cast<std::uint32_t*>(heap_ + size_) : inline_versions_;
  }
  const std::uint32_t* versions() const {
    return heap_ ? reinterpret_cast<const std::uint32_t*>(heap_ + size_) : inline_versions_;
  }

  void assign(const Tensor<T>* from, std::size_t n) {
    if (n <= kInline) {
      for (std::size_t i = 0; i < n; ++i) inline_[i] = from[i];
    } else {
      void* raw = node_allocate(heap_bytes(n), NodeFamily::op);
      heap_ = static_cast<Tensor<T>*>(raw);
      for (std::size_t i = 0; i < n; ++i) new (heap_ + i) Tensor<T>(from[i]);  // cannot throw
    }
    size_ = n;
    std::uint32_t* v = versions();
    for (std::size_t i = 0; i < n; ++i) v[i] = version_of(from[i]);
  }
  void take(InputList& other) noexcept {
    if (other.heap_) {
      heap_ = std::exchange(other.heap_, nullptr);
    } else {
      for (std::size_t i = 0; i < other.size_; ++i) {
        inline_[i] = std::move(other.inline_[i]);
        inline_versions_[i] = other.inline_versions_[i];
      }
    }
    size_ = std::exchange(other.size_, 0);
  }
  static std::uint32_t version_of(const Tensor<T>& t);

  Tensor<T> inline_[kInline];
  std::uint32_t inline_versions_[kInline] = {0, 0};
  Tensor<T>* heap_ = nullptr;
  std::size_t size_ = 0;
};

/// The engine's access to a node's per-pass scratch (defined in engine.cpp).
template <class T>
struct EngineAccess;
template <class T>
struct TensorHooks;  // xgrad/detail/hooks.hpp
template <class T>
struct NodeAccess;

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

 private:
  friend struct EngineAccess<T>;
  // Engine scratch (see engine.cpp): one pass's at a time; of a leaf only visit_mark, a hint.
  std::uint64_t visit_mark = 0;
  std::uint32_t pending_deps = 0;

 public:
  bool requires_grad = false;
  bool retains_grad = false;
  /// Set when backward has released this node's saved state and inputs.
  bool released = false;
  /// The rule reads a gradient of any shape that broadcasts to the output's (GradShape).
  bool takes_broadcast_grad = false;
  /// The rule reads the output's value (Saves::output).
  bool saves_output = true;
  /// Counts writes to the value in place (mutable_value, set_value, the in-place operations):
  /// a rule that saved this value checks it is still the version it saw (PyTorch's version
  /// counter).
  std::uint32_t version = 0;
  /// Bit i: the rule reads input i's value; bit 31 stands for inputs 31 and later (Saves).
  std::uint32_t saved_inputs = ~std::uint32_t{0};

 private:
  Tensor<T> pending_grad;

 public:
  Tensor<T> grad;
  array_type value;
  std::string name;
  /// Gradient and post-accumulate hooks (Tensor::register_hook), null when there are none.
  std::shared_ptr<TensorHooks<T>> hooks;
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

/// The library's way from a tensor handle to its node and back (the engine, record, the tools
/// and white-box tests); Tensor keeps both private to everyone else.
template <class T>
struct NodeAccess {
  static const std::shared_ptr<Node<T>>& node(const Tensor<T>& t) { return t.node_; }
  static Node<T>* get(const Tensor<T>& t) { return t.node_.get(); }
  static Tensor<T> wrap(std::shared_ptr<Node<T>> n) { return Tensor<T>(std::move(n)); }
  /// The view observers get of a node the engine holds (needs xgrad/node_view.hpp).
  static NodeView<T> view(const Node<T>& n) { return NodeView<T>(n); }
};

template <class T>
std::uint32_t InputList<T>::version_of(const Tensor<T>& t) {
  const Node<T>* n = NodeAccess<T>::get(t);
  return n ? n->version : 0;
}

}  // namespace xg::detail
