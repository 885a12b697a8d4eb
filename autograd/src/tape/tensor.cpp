// Tensor handle methods and the node's iterative destructor.
#include "xgrad/tensor.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "ops/util.hpp"
#include "tape/value_cache.hpp"
#include "xgrad/detail/checked_shape.hpp"
#include "xgrad/detail/node_pool.hpp"
#include "xgrad/engine.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"

namespace xg {

namespace {
/// Live-node counts without a locked instruction per node. Each thread counts in its own slot,
/// which only that thread writes (a relaxed load and store: plain moves); live_node_count()
/// sums the slots, plus what exited threads left behind. A node that dies on another thread
/// than the one that made it just moves one unit from one slot to another.
template <class T>
class LiveNodes {
 public:
  static void add(long delta) {
    std::atomic<long>& v = slot().value;
    v.store(v.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  static long total() {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    long sum = r.retired;
    for (const Slot* s : r.slots) sum += s->value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct Slot;
  struct Registry {
    std::mutex mutex;
    std::vector<const Slot*> slots;
    long retired = 0;
  };
  // Never destroyed: threads may still exit (and retire their slot) during static destruction.
  static Registry& registry() {
    static Registry* r = new Registry;
    return *r;
  }
  struct Slot {
    std::atomic<long> value{0};
    Slot() {
      Registry& r = registry();
      std::lock_guard<std::mutex> lock(r.mutex);
      r.slots.push_back(this);
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      Registry& r = registry();
      std::lock_guard<std::mutex> lock(r.mutex);
      r.retired += value.load(std::memory_order_relaxed);
      r.slots.erase(std::find(r.slots.begin(), r.slots.end(), this));
    }
  };
  static Slot& slot() {
    thread_local Slot s;
    return s;
  }
};

/// ShapeError "<op>: '<name>' has shape (..), <what> (..)" unless `shape` is the node's own.
template <class T, class S>
void require_own_shape(const char* op, const detail::Node<T>& n, const S& shape, const char* what) {
  const auto& own = n.value.shape();
  if (std::equal(own.begin(), own.end(), shape.begin(), shape.end())) return;
  const std::string who = n.name.empty() ? "the tensor" : "'" + n.name + "'";
  throw ShapeError(std::string(op) + ": " + who + " has shape " + shape_str(own) + ", " + what +
                   " " + shape_str(shape));
}

template <class T>
const detail::Node<T>& checked(const std::shared_ptr<detail::Node<T>>& node, const char* what) {
  if (!node) throw GraphError(std::string(what) + ": the tensor is undefined");
  return *node;
}
}  // namespace

namespace detail {
void throw_undefined_tensor(const char* what) {
  throw GraphError(std::string(what) + ": the tensor is undefined");
}
}  // namespace detail

template <class T>
long live_node_count() {
  return LiveNodes<T>::total();
}

namespace detail {

template <class T>
Node<T>::Node(array_type&& v, bool rg) : requires_grad(rg), value(std::move(v)) {
  LiveNodes<T>::add(1);
}

template <class T>
Node<T>::~Node() {
  LiveNodes<T>::add(-1);
  detail::recycle_buffer(value);
  // Release the graph below this node with an explicit stack: a node whose last owner is this
  // one is moved onto the heap stack and emptied there, so destruction never recurses.
  std::vector<std::shared_ptr<Node<T>>> stack;
  auto harvest = [&stack](Node<T>& n) {
    auto take = [&stack](Tensor<T>& t) {
      const auto& node = NodeAccess<T>::node(t);
      if (node && node.use_count() == 1) stack.push_back(node);
      t = Tensor<T>();
    };
    for (auto& in : n.inputs) take(in);
    n.inputs.clear();
    take(n.grad);
    take(n.pending_grad);
  };
  harvest(*this);
  while (!stack.empty()) {
    std::shared_ptr<Node<T>> n = std::move(stack.back());
    stack.pop_back();
    harvest(*n);
    n->release_saved();
  }  // n dies here with nothing left below it
}

template <class T>
void Node<T>::apply_backward(BackwardContext<T>&) {
  throw GraphError("backward: a leaf has no backward rule");
}

}  // namespace detail

namespace {
template <class T>
xt::xarray<T> filled(const char* op, const Shape& shape, T value) {
  xt::xarray<T> a = detail::uninitialized_array<T>(op, detail::to_array_shape(shape));
  a.fill(value);
  return a;
}
}  // namespace

template <class T>
Tensor<T>::Tensor(array_type&& value, bool requires_grad)
    : node_(std::allocate_shared<detail::Node<T>>(
          detail::NodeAllocator<detail::Node<T>, detail::NodeFamily::leaf>(), std::move(value),
          requires_grad)) {}

template <class T>
Tensor<T>::Tensor(const array_type& value, bool requires_grad)
    : Tensor(array_type(value), requires_grad) {}

template <class T>
Tensor<T> Tensor<T>::scalar(T value, bool requires_grad) {
  return Tensor(array_type(value), requires_grad);
}

template <class T>
Tensor<T> Tensor<T>::zeros(const Shape& shape, bool requires_grad) {
  return Tensor(filled("Tensor::zeros", shape, T(0)), requires_grad);
}

template <class T>
Tensor<T> Tensor<T>::ones(const Shape& shape, bool requires_grad) {
  return Tensor(filled("Tensor::ones", shape, T(1)), requires_grad);
}

template <class T>
Tensor<T> Tensor<T>::full(const Shape& shape, T value, bool requires_grad) {
  return Tensor(filled("Tensor::full", shape, value), requires_grad);
}

template <class T>
Tensor<T> Tensor<T>::from(const Shape& shape, const std::vector<T>& values, bool requires_grad) {
  const std::size_t n = detail::checked_element_count("Tensor::from", shape, sizeof(T));
  if (n != values.size()) {
    throw ShapeError("Tensor::from: shape " + shape_str(shape) + " holds " + std::to_string(n) +
                     " values, got " + std::to_string(values.size()));
  }
  array_type a = detail::uninitialized_array<T>("Tensor::from", detail::to_array_shape(shape));
  std::copy(values.begin(), values.end(), a.begin());
  return Tensor(std::move(a), requires_grad);
}

template <class T>
Tensor<T> Tensor<T>::from(const Shape& shape, std::initializer_list<T> values, bool requires_grad) {
  return from(shape, std::vector<T>(values), requires_grad);
}

template <class T>
void Tensor<T>::set_value(array_type value) {
  require_own_shape("set_value", checked(node_, "set_value"), value.shape(), "the new value");
  mutable_value() = std::move(value);
}

template <class T>
Shape Tensor<T>::shape() const {
  return detail::to_shape(value().shape());
}

template <class T>
std::size_t Tensor<T>::dim() const {
  return value().dimension();
}

template <class T>
std::size_t Tensor<T>::size() const {
  return value().size();
}

template <class T>
T Tensor<T>::item() const {
  const auto& v = value();
  if (v.size() != 1) {
    throw ShapeError("item: the tensor has shape " + shape_str(v.shape()) +
                     "; only one-element tensors convert to a number");
  }
  return *v.begin();
}

template <class T>
Tensor<T>& Tensor<T>::requires_grad_(bool requires_grad) {
  const auto& n = checked(node_, "requires_grad_");
  if (!n.is_leaf()) {
    throw GraphError(std::string("requires_grad_: the tensor is the result of '") + n.op +
                     "'; only leaves can change requires_grad (use detach() first)");
  }
  node_->requires_grad = requires_grad;
  return *this;
}

template <class T>
const char* Tensor<T>::op_name() const {
  const auto& n = checked(node_, "op_name");
  return n.is_leaf() ? "leaf" : n.op;
}

template <class T>
const std::string& Tensor<T>::name() const {
  return checked(node_, "name").name;
}

template <class T>
Tensor<T>& Tensor<T>::set_name(std::string name) {
  checked(node_, "set_name");
  node_->name = std::move(name);
  return *this;
}

template <class T>
void Tensor<T>::set_grad(Tensor grad) {
  const auto& n = checked(node_, "set_grad");
  if (grad.defined()) require_own_shape("set_grad", n, grad.value().shape(), "the gradient");
  node_->grad = std::move(grad);
}

template <class T>
void Tensor<T>::zero_grad() {
  checked(node_, "zero_grad");
  node_->grad = Tensor();
}

template <class T>
Tensor<T>& Tensor<T>::retain_grad() {
  checked(node_, "retain_grad");
  if (!node_->requires_grad) {
    throw GraphError("retain_grad: the tensor does not require grad");
  }
  if (!node_->is_leaf()) node_->retains_grad = true;
  return *this;
}

template <class T>
void Tensor<T>::backward(BackwardOptions options) const {
  detail::backward_roots<T>(std::span<const Tensor>(this, 1), {}, options);
}

template <class T>
void Tensor<T>::backward(const Tensor& seed, BackwardOptions options) const {
  detail::backward_roots<T>(std::span<const Tensor>(this, 1), std::span<const Tensor>(&seed, 1),
                            options);
}

template <class T>
Tensor<T> Tensor<T>::detach() const {
  const auto& n = checked(node_, "detach");
  return Tensor(array_type(n.value));
}

#define XG_INSTANTIATE(T)         \
  template class detail::Node<T>; \
  template class Tensor<T>;       \
  template long live_node_count<T>();
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
