// The reverse-mode engine: one iterative pass over the tape with dependency counts.
//
// 1. Discovery: an explicit-stack DFS from the roots counts, for every node that requires grad,
//    how many recorded edges consume it (pending_deps).
// 2. Execution: a node is ready when all its consumers have sent their gradient contribution;
//    those have then been summed into pending_grad, and its backward rule runs exactly once.
//    A gradient whose shape is a broadcast of its input's is summed back here, in one place, so
//    no operation deals with broadcasting in backward.
// No recursion anywhere: a chain of a million operations needs no stack.
//
// Threads: passes on several threads may share leaves (a model's parameters), as in PyTorch.
// A leaf's pending count and gradient live in each pass's own table, and the accumulation into
// its .grad is locked. A recorded operation is claimed by one pass at a time (an atomic mark
// from discovery until it has run); a pass that finds one claimed by another throws GraphError.
#include "xgrad/engine.hpp"

#include <atomic>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include <xtensor/xexception.hpp>

#include "kernels/elementwise.hpp"
#include "ops/util.hpp"
#include "tape/value_cache.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/node_view.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/shape.hpp"
#include "xgrad/tools/observer.hpp"

namespace xg {

namespace detail {
/// The engine's per-pass scratch in a node, private to everyone else.
template <class T>
struct EngineAccess {
  static std::uint64_t& visit_mark(Node<T>& n) { return n.visit_mark; }
  static std::uint32_t& pending_deps(Node<T>& n) { return n.pending_deps; }
  static Tensor<T>& pending_grad(Node<T>& n) { return n.pending_grad; }
};
}  // namespace detail

namespace {

/// a == b for two shapes, inline: the engine compares a gradient's shape with its tensor's at
/// every node, where a call to memcmp would cost more than the comparison.
template <class A, class B>
[[gnu::always_inline]] inline bool shapes_equal(const A& a, const B& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

/// sum += g in place, for arrays of one shape (checked by the callers).
template <class T>
void accumulate(xt::xarray<T>& sum, const xt::xarray<T>& g) {
  kernels::zip(sum.data(), g.data(), sum.data(), sum.size(), [](T a, T b) { return a + b; });
}

using detail::InputList;
using detail::Node;

template <class T>
using Scratch = detail::EngineAccess<T>;

template <class T>
Node<T>* node_of(const Tensor<T>& t) {
  return detail::NodeAccess<T>::get(t);
}

template <class T>
NodeView<T> view_of(const Node<T>& n) {
  return detail::NodeAccess<T>::view(n);
}

/// Marks are unique across threads: a mark in a node names the one pass that owns it.
std::atomic<std::uint64_t> next_pass_mark{1};

/// A vector borrowed for one pass from this thread's spares, so that small backward passes
/// (a training step of a small model) do not allocate their work lists again every time. A pass
/// started inside a pass borrows its own; very large lists are not kept.
template <class V, std::size_t kMaxKept = 4096>
class ScratchVector {
 public:
  ScratchVector() {
    auto& spare = spares();
    if (!spare.empty()) {
      v_ = std::move(spare.back());
      spare.pop_back();
    }
  }
  ScratchVector(const ScratchVector&) = delete;
  ScratchVector& operator=(const ScratchVector&) = delete;
  ~ScratchVector() {
    v_.clear();
    auto& spare = spares();
    if (v_.capacity() <= kMaxKept && spare.size() < kMaxSpares) spare.push_back(std::move(v_));
  }
  std::vector<V>& operator*() { return v_; }
  std::vector<V>* operator->() { return &v_; }

 private:
  static constexpr std::size_t kMaxSpares = 4;
  static std::vector<std::vector<V>>& spares() {
    thread_local std::vector<std::vector<V>> s;
    return s;
  }
  std::vector<V> v_;
};

/// Locks for accumulating into leaves' .grad, shared by all passes: a leaf hashes to one of a
/// few spin locks (an uncontended lock is one atomic exchange; a node carries no mutex).
class LeafGradLock {
 public:
  explicit LeafGradLock(const void* leaf) : flag_(stripe(leaf)) {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  LeafGradLock(const LeafGradLock&) = delete;
  LeafGradLock& operator=(const LeafGradLock&) = delete;
  ~LeafGradLock() { flag_.store(false, std::memory_order_release); }

 private:
  struct alignas(64) Stripe {
    std::atomic<bool> held{false};
  };
  static std::atomic<bool>& stripe(const void* leaf) {
    static Stripe stripes[64];
    const auto h = reinterpret_cast<std::uintptr_t>(leaf) * std::uint64_t{0x9E3779B97F4A7C15};
    return stripes[h >> 58].held;
  }
  std::atomic<bool>& flag_;
};

/// A node's visit_mark, which passes on several threads may read and write: always accessed
/// atomically. A non-leaf's holds the mark of the pass that owns it, or 0; a leaf's is a hint.
template <class T>
std::atomic_ref<std::uint64_t> mark_of(Node<T>& n) {
  return std::atomic_ref<std::uint64_t>(Scratch<T>::visit_mark(n));
}

template <class T>
std::string describe(const Node<T>& n) {
  std::string s = n.is_leaf() ? std::string("a leaf") : std::string("the result of '") + n.op + "'";
  if (!n.name.empty()) s += " named '" + n.name + "'";
  return s + " of shape " + shape_str(n.value.shape());
}

template <class T>
class Pass {
 public:
  Pass(bool create_graph, bool retain_graph, bool accumulate_into_leaves)
      : mode_(create_graph),
        create_graph_(create_graph),
        retain_graph_(retain_graph || create_graph),
        accumulate_(accumulate_into_leaves),
        mark_(next_pass_mark.fetch_add(1, std::memory_order_relaxed)) {}

  Pass(const Pass&) = delete;
  Pass& operator=(const Pass&) = delete;

  /// Gradients reaching `wanted` are captured here instead of going into leaves' .grad.
  void capture(const std::vector<Tensor<T>>& wanted) {
    for (std::size_t i = 0; i < wanted.size(); ++i) wanted_.emplace(node_of(wanted[i]), i);
    captured_.assign(wanted.size(), Tensor<T>());
  }
  std::vector<Tensor<T>>& captured() { return captured_; }

  void run(std::span<const Tensor<T>> roots, const InputList<T>& seeds) {
    struct InBackward {  // restored on exit, also when a rule throws
      bool previous = std::exchange(detail::in_backward, true);
      ~InBackward() { detail::in_backward = previous; }
    } in_backward;
    // Tensors rather than node pointers: a rule's `output` is the queued handle itself.
    ScratchVector<Tensor<T>> ready_list;
    std::vector<Tensor<T>>& ready = *ready_list;
    Tensor<T> current;  // outside the try: still holds its graph when a rule throws
    try {
      for (const auto& r : roots) discover(node_of(r));
      for (std::size_t i = 0; i < roots.size(); ++i) contribute(*node_of(roots[i]), seeds[i]);
      for (const auto& r : roots) {
        std::uint32_t& deps = pending_deps(*node_of(r));
        if (deps == 0) {
          deps = kQueued;  // queue each root once, even if it is listed twice
          ready.push_back(r);
        }
      }
      while (!ready.empty()) {
        current = std::move(ready.back());
        ready.pop_back();
        execute(current, ready);
      }
    } catch (...) {
      abandon(roots, ready, current);
      throw;
    }
  }

 private:
  /// A root with no consumer in the pass is queued once; no edge counts it down from this.
  static constexpr std::uint32_t kQueued = 0xFFFFFFFFu;

  /// A leaf's state in this pass: how many consumers have still to send their contribution,
  /// and the sum of those that did.
  struct LeafState {
    Node<T>* node;
    std::uint32_t pending_deps = 0;
    Tensor<T> pending_grad;
  };

  /// This pass's entry for `leaf`, made on first use. The leaf's visit_mark remembers the index
  /// its last pass gave it: a training loop's passes give it the same one, so the check below
  /// usually hits; another pass (another thread's, a nested one) may have overwritten it, and
  /// then the table is searched.
  LeafState& leaf_state(Node<T>& leaf) {
    std::vector<LeafState>& table = *leaves_;
    const std::uint64_t hint = mark_of(leaf).load(std::memory_order_relaxed);
    if (hint < table.size() && table[hint].node == &leaf) return table[hint];
    return find_leaf(leaf);
  }

  [[gnu::noinline]] LeafState& find_leaf(Node<T>& leaf) {
    auto& table = *leaves_;
    std::size_t i = table.size();
    if (table.size() <= kScannedLeaves) {
      for (std::size_t j = 0; j < table.size(); ++j) {
        if (table[j].node == &leaf) {
          i = j;
          break;
        }
      }
    } else {
      i = indexed_leaf(&leaf);
    }
    if (i == table.size()) {
      table.push_back(LeafState{&leaf, 0, Tensor<T>()});
      if (table.size() > kScannedLeaves) index_last_leaf();
    }
    mark_of(leaf).store(i, std::memory_order_relaxed);
    return table[i];
  }

  /// Past kScannedLeaves (a deep model's parameters) the table also has an open-addressing
  /// index, whose slots are reused from pass to pass: no leaf costs an allocation. A slot holds
  /// 0 when empty, i + 1 for table[i].
  static std::size_t slot_of(const Node<T>* leaf, std::size_t mask) {
    const auto h = reinterpret_cast<std::uintptr_t>(leaf) * std::uint64_t{0x9E3779B97F4A7C15};
    return (h >> 32) & mask;
  }

  std::size_t indexed_leaf(const Node<T>* leaf) {
    const auto& table = *leaves_;
    const auto& slots = *leaf_slots_;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t h = slot_of(leaf, mask); slots[h] != 0; h = (h + 1) & mask) {
      if (table[slots[h] - 1].node == leaf) return slots[h] - 1;
    }
    return table.size();
  }

  /// Enters the table's newest leaf; rebuilds the index when it would be more than half full,
  /// at four times the table's size or the size the slots had in an earlier pass (a power of
  /// two), so that a training loop's passes rebuild it once each.
  void index_last_leaf() {
    const auto& table = *leaves_;
    auto& slots = *leaf_slots_;
    auto put = [&slots](const Node<T>* leaf, std::size_t i) {
      const std::size_t mask = slots.size() - 1;
      std::size_t h = slot_of(leaf, mask);
      while (slots[h] != 0) h = (h + 1) & mask;
      slots[h] = static_cast<std::uint32_t>(i + 1);
    };
    if (2 * table.size() <= slots.size()) {
      put(table.back().node, table.size() - 1);
      return;
    }
    std::size_t size = 64;
    while (size < 4 * table.size() || 2 * size <= slots.capacity()) size *= 2;
    slots.assign(size, 0);
    for (std::size_t j = 0; j < table.size(); ++j) put(table[j].node, j);
  }

  std::uint32_t& pending_deps(Node<T>& n) {
    return n.is_leaf() ? leaf_state(n).pending_deps : Scratch<T>::pending_deps(n);
  }

  /// Takes a recorded operation for this pass; false if it already was. One held by another
  /// pass that has not finished (another thread's, or one this pass runs inside) cannot be
  /// shared: its scratch holds that pass's counts.
  bool claim(Node<T>& n) {
    std::uint64_t seen = mark_of(n).load(std::memory_order_relaxed);
    if (seen == mark_) return false;
    if (seen != 0 || !mark_of(n).compare_exchange_strong(seen, mark_, std::memory_order_acquire)) {
      throw GraphError("backward: " + describe(n) +
                       " is being differentiated by another backward pass that has not "
                       "finished (on another thread, or one this pass runs inside); passes "
                       "may share leaves but not recorded operations: build each thread's "
                       "graph from the shared leaves itself");
    }
    Scratch<T>::pending_deps(n) = 0;
    Scratch<T>::pending_grad(n) = Tensor<T>();
    return true;
  }

  /// Discovery is a pointer chase with little work per node: on a tape too long for the caches
  /// it waits a memory latency at every node, which the hardware does not prefetch. But the
  /// node pool hands out blocks in creation order, so along a chain consecutive nodes usually
  /// lie a constant stride apart. When two steps in a row had the same stride, fetch the node
  /// kAhead strides further on (a prefetch of a wrong address costs nothing and never faults).
  /// docs/performance.md has the measurement.
  class StridePrefetcher {
   public:
    void visit(const Node<T>* n) {
      // Integer arithmetic: the addresses belong to different objects.
      const auto here = reinterpret_cast<std::uintptr_t>(n);
      const std::uintptr_t stride = here - previous_;
      if (previous_ != 0 && stride == stride_) {
        const std::uintptr_t ahead = here + kAhead * stride;
        __builtin_prefetch(reinterpret_cast<const void*>(ahead));
        __builtin_prefetch(reinterpret_cast<const void*>(ahead + 64));  // fields span two lines
      }
      stride_ = stride;
      previous_ = here;
    }

   private:
    static constexpr std::uintptr_t kAhead = 8;
    std::uintptr_t previous_ = 0;
    std::uintptr_t stride_ = 0;
  };

  void discover(Node<T>* root) {
    if (root->is_leaf()) {
      leaf_state(*root);
      return;
    }
    if (!claim(*root)) return;
    // Plain pointers: the roots keep every node reachable from them alive during discovery.
    ScratchVector<Node<T>*> stack_list;
    std::vector<Node<T>*>& stack = *stack_list;
    stack.push_back(root);
    StridePrefetcher prefetcher;
    while (!stack.empty()) {
      Node<T>* n = stack.back();
      stack.pop_back();
      prefetcher.visit(n);
      if (n->released) {
        throw GraphError("backward: " + describe(*n) +
                         " was released by an earlier backward pass; pass "
                         "retain_graph = true to the first backward to walk the tape twice");
      }
      for (const auto& in : n->inputs) {
        // The child's fields span two cache lines; ask for both at once, so that a tape too
        // long for the caches pays one memory latency per node here instead of two in a row.
        Node<T>* child = node_of(in);
        if (child != nullptr) {
          __builtin_prefetch(&child->inputs);
          __builtin_prefetch(&Scratch<T>::pending_grad(*child), 1);
        }
        if (!in.requires_grad()) continue;
        if (child->is_leaf()) {
          ++leaf_state(*child).pending_deps;
          continue;
        }
        if (claim(*child)) stack.push_back(child);
        ++Scratch<T>::pending_deps(*child);
      }
    }
  }

  /// Adds one gradient contribution to the sum a node is waiting for.
  void contribute(Node<T>& n, Tensor<T> g) {
    add_into(n.is_leaf() ? leaf_state(n).pending_grad : Scratch<T>::pending_grad(n), std::move(g));
  }

  [[gnu::always_inline]] void add_into(Tensor<T>& sum, Tensor<T>&& g) {
    if (!sum.defined()) {
      sum = std::move(g);  // the first contribution, by far the most common
    } else {
      add_another(sum, std::move(g));
    }
  }

  /// A second or later contribution: added in place where the sum is exclusively ours.
  [[gnu::noinline]] void add_another(Tensor<T>& sum, Tensor<T> g) {
    if (!shapes_equal(sum.value().shape(), g.value().shape())) {
      sum = add(sum, g);  // a gradient still in broadcast form (GradShape) meets another
    } else if (!create_graph_ && detail::NodeAccess<T>::node(sum).use_count() == 1) {
      accumulate(sum.mutable_value(), g.value());  // exclusively ours: no alias can see it
    } else {
      sum = add(sum, g);
    }
  }

  /// Accumulates into n.grad; the caller holds the leaf's lock, or owns the non-leaf.
  void store_grad(Node<T>& n, const Tensor<T>& g) {
    if (n.grad.defined() && n.grad.value().shape() != g.value().shape()) {
      // .grad is a handle like any tensor: its value may have been replaced in place.
      throw ShapeError("backward: cannot accumulate into the gradient of " + describe(n) +
                       ": its .grad has shape " + shape_str(n.grad.value().shape()) +
                       " and the new gradient shape " + shape_str(g.value().shape()) +
                       " (was .grad's value given another shape through mutable_value()?)");
    }
    if (create_graph_) {
      n.grad = n.grad.defined() ? add(n.grad, g) : g;
    } else if (!n.grad.defined() && g.is_leaf() &&
               detail::NodeAccess<T>::node(g).use_count() == 1) {
      n.grad = g;  // a fresh gradient nobody else holds: adopt it instead of copying
    } else if (n.grad.defined() && n.grad.is_leaf()) {
      accumulate(n.grad.mutable_value(), g.value());
    } else {
      n.grad = n.grad.defined() ? Tensor<T>(xt::xarray<T>(n.grad.value() + g.value()))
                                : Tensor<T>(xt::xarray<T>(g.value()));
    }
  }

  /// g at the full shape `want`, where it is still in broadcast form (GradShape::broadcast).
  static Tensor<T> expanded(Tensor<T> g, const detail::array_shape& want) {
    if (!g.defined() || shapes_equal(g.value().shape(), want)) return g;
    return broadcast_to(g, detail::to_shape(want));
  }

  void execute_leaf(const Tensor<T>& leaf, Node<T>& n) {
    Tensor<T> g = expanded(std::exchange(leaf_state(n).pending_grad, Tensor<T>()), n.value.shape());
    if (!g.defined()) return;
    if (n.hooks && !n.hooks->grad.empty()) g = run_grad_hooks(n, std::move(g));
    if (!wanted_.empty()) {
      auto it = wanted_.find(&n);
      if (it != wanted_.end()) captured_[it->second] = g;
    }
    if (detail::observer_count != 0) notify([&](auto* o) { o->on_gradient(view_of(n), g); });
    if (accumulate_) {
      {
        LeafGradLock lock(&n);
        store_grad(n, g);
      }
      if (n.hooks && !n.hooks->post_accumulate.empty()) run_post_accumulate_hooks(leaf, n);
    }
  }

  /// The gradient after n's hooks, in registration order (a copy of the list: a hook may remove
  /// itself or add another).
  Tensor<T> run_grad_hooks(Node<T>& n, Tensor<T> g) {
    const auto hooks = n.hooks->grad;
    for (const auto& h : hooks) {
      Tensor<T> r = h.fn(g);
      if (!r.defined()) continue;
      if (!shapes_equal(r.value().shape(), n.value.shape())) {
        throw ShapeError("backward: a hook of " + describe(n) + " returned a gradient of shape " +
                         shape_str(r.value().shape()) + "; it must keep the tensor's shape");
      }
      g = std::move(r);
    }
    return g;
  }

  static void run_post_accumulate_hooks(const Tensor<T>& leaf, Node<T>& n) {
    const auto hooks = n.hooks->post_accumulate;
    for (const auto& h : hooks) h.fn(leaf);
  }

  /// Throws GraphError when a value n's rule reads (Saves) was written in place after n was
  /// recorded: its version is no longer the one the rule saw.
  void check_saved(const Node<T>& n) const {
    if (n.saves_output && n.version != 0) throw_modified(n, "its output", n, 0);
    const auto& inputs = n.inputs;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!(n.saved_inputs & (std::uint32_t{1} << (i < 31 ? i : 31)))) continue;
      const Node<T>* in = node_of(inputs[i]);
      if (in != nullptr && in->version != inputs.version(i)) {
        throw_modified(n, "its input " + std::to_string(i), *in, inputs.version(i));
      }
    }
  }

  [[noreturn]] static void throw_modified(const Node<T>& n, const std::string& which,
                                          const Node<T>& saved, std::uint32_t saved_version) {
    throw GraphError("backward of '" + std::string(n.op) + "': " + which + ", " + describe(saved) +
                     ", was modified in place after '" + n.op + "' saved it (version " +
                     std::to_string(saved_version) + " when saved, now " +
                     std::to_string(saved.version) +
                     "); its gradient would be wrong. Write it after backward, or clone it "
                     "before writing (detach() copies)");
  }

  void execute(const Tensor<T>& out, std::vector<Tensor<T>>& ready) {
    Node<T>* n = node_of(out);
    if (n->is_leaf()) {
      execute_leaf(out, *n);
      return;
    }
    Tensor<T>& pending = Scratch<T>::pending_grad(*n);
    Tensor<T> g = std::move(pending);
    pending = Tensor<T>();
    const bool observed = detail::observer_count != 0;
    const bool hooked = n->hooks && !n->hooks->grad.empty();
    if ((!n->takes_broadcast_grad || observed || n->retains_grad || hooked || !wanted_.empty()) &&
        g.defined() && !shapes_equal(g.value().shape(), n->value.shape())) {
      g = expanded(std::move(g), n->value.shape());
    }
    if (hooked && g.defined()) g = run_grad_hooks(*n, std::move(g));
    if (!wanted_.empty() && g.defined()) {
      auto it = wanted_.find(n);
      if (it != wanted_.end()) captured_[it->second] = g;
    }
    if (observed && g.defined() && n->retains_grad) {
      notify([&](auto* o) { o->on_gradient(view_of(*n), g); });
    }
    if (n->retains_grad && accumulate_ && g.defined()) store_grad(*n, g);

    auto& inputs = n->inputs;
    auto& input_grads = *input_grads_;
    input_grads.resize(inputs.size());  // all empty: every entry is moved out below
    if (g.defined()) {
      check_saved(*n);
      BackwardContext<T> ctx{out, g, inputs.view(), input_grads};
      if (observed) notify([&](auto* o) { o->on_backward_begin(view_of(*n), g); });
      apply_rule(*n, ctx);
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        auto& gi = input_grads[i];
        if (!inputs[i].requires_grad()) gi = Tensor<T>();
        if (!gi.defined()) continue;
        const auto& want = inputs[i].value().shape();
        if (!shapes_equal(gi.value().shape(), want)) gi = reduce_to_input(*n, i, gi, want);
        if (observed) gi = expanded(std::move(gi), want);
      }
      if (observed) notify([&](auto* o) { o->on_backward_end(view_of(*n), g, input_grads); });
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Tensor<T>& in = inputs[i];
      if (!in.requires_grad()) continue;
      Node<T>& c = *node_of(in);
      if (c.is_leaf()) {
        LeafState& s = leaf_state(c);
        if (input_grads[i].defined()) add_into(s.pending_grad, std::move(input_grads[i]));
        // A leaf's gradient is complete now: accumulate it (and run its hooks) at once rather
        // than when the stack gets to it, so that leaves finish in the order they become ready.
        if (--s.pending_deps == 0) execute_leaf(in, c);
      } else {
        if (input_grads[i].defined()) {
          add_into(Scratch<T>::pending_grad(c), std::move(input_grads[i]));
        }
        if (--Scratch<T>::pending_deps(c) == 0) ready.push_back(in);
      }
    }
    if (!retain_graph_) {
      n->release_saved();
      n->released = true;
      inputs.clear();
    }
    mark_of(*n).store(0, std::memory_order_release);  // done: another pass may take it
  }

  /// Runs n's rule. Its inputs' values are writable (mutable_value), so they may no longer fit
  /// the gradient: a shape error inside the rule, xg's or xtensor's broadcasting error, becomes
  /// a ShapeError that names the operation and the shapes.
  void apply_rule(Node<T>& n, BackwardContext<T>& ctx) {
    try {
      n.apply_backward(ctx);
    } catch (const xt::broadcast_error& e) {
      throw_rule_shape_error(n, ctx, e.what());
    } catch (const ShapeError& e) {
      throw_rule_shape_error(n, ctx, e.what());
    } catch (const std::bad_alloc&) {  // a temporary of the rule (results throw AllocationError)
      throw AllocationError("backward of '" + std::string(n.op) + "' (gradient of shape " +
                            shape_str(ctx.grad.value().shape()) +
                            "): out of memory for a temporary of its rule");
    }
  }

  [[noreturn]] static void throw_rule_shape_error(const Node<T>& n, const BackwardContext<T>& ctx,
                                                  const char* what) {
    std::string shapes;
    for (const auto& in : n.inputs) {
      shapes += (shapes.empty() ? "" : ", ") + shape_str(in.value().shape());
    }
    throw ShapeError("backward of '" + std::string(n.op) + "' (inputs of shapes " + shapes +
                     ", gradient of shape " + shape_str(ctx.grad.value().shape()) + "): " + what +
                     " (was an input's value given another shape after '" + n.op +
                     "' was recorded?)");
  }

  /// A pass that throws gives back every node it still holds, with no gradient left in them
  /// (with create_graph such a gradient refers back to its node: a cycle that would leak the
  /// graph). Each one is reachable from the roots, the ready list or the node that was running,
  /// through nodes it holds, whose inputs are all still there. A node is read before it is
  /// given back, and kept alive by a handle: once given back, another pass may take it.
  void abandon(std::span<const Tensor<T>> roots, const std::vector<Tensor<T>>& ready,
               const Tensor<T>& current) noexcept {
    std::vector<Tensor<T>> stack;
    auto hold = [&](const Tensor<T>& t) {
      Node<T>* n = node_of(t);
      if (n == nullptr || n->is_leaf() || mark_of(*n).load(std::memory_order_relaxed) != mark_) {
        return;
      }
      try {
        stack.push_back(t);
      } catch (...) {  // out of memory: this node and those below keep their mark
      }
    };
    for (const auto& r : roots) hold(r);
    for (const auto& r : ready) hold(r);
    hold(current);
    while (!stack.empty()) {
      Tensor<T> t = std::move(stack.back());
      stack.pop_back();
      Node<T>& n = *node_of(t);
      if (mark_of(n).load(std::memory_order_relaxed) != mark_) continue;  // listed twice
      for (const auto& in : n.inputs) hold(in);
      Scratch<T>::pending_grad(n) = Tensor<T>();
      mark_of(n).store(0, std::memory_order_release);
    }
  }

  /// A rule's gradient for input i whose shape is not the input's: summed over the axes along
  /// which the forward operation broadcast the input. The gradient of a rule that takes the
  /// broadcast form (GradShape) stands for an array of the output's shape: along an axis where
  /// it has size 1 the sum is that many copies of one value. An axis of size 1 where the input
  /// is bigger is left as it is: the gradient stays in broadcast form.
  Tensor<T> reduce_to_input(const Node<T>& n, std::size_t i, const Tensor<T>& g,
                            const detail::array_shape& want) const {
    const auto& from = g.value().shape();
    auto fail = [&] {
      throw ShapeError("backward: the rule of '" + std::string(n.op) +
                       "' produced a gradient of shape " + shape_str(from) + " for its input " +
                       std::to_string(i) + " of shape " + shape_str(want) +
                       " (not a broadcast of it: a wrong rule, or an input's value was given "
                       "another shape after the operation was recorded)");
    };
    detail::array_shape stands_for = from;
    if (n.takes_broadcast_grad) {
      try {
        stands_for = detail::broadcast_shape("backward", from, n.value.shape());
      } catch (const ShapeError&) {
        fail();
      }
    }
    const std::size_t rank = stands_for.size();
    const std::size_t pad = rank - from.size();  // from's missing leading axes (size 1)
    detail::array_shape target(from);            // from, with the axes it is summed over at 1
    std::size_t copies = 1;                      // and the copies its size-1 axes stand for
    for (std::size_t k = 0; k < rank; ++k) {
      const std::size_t has = k < pad ? 1 : from[k - pad];
      const bool in_want = k + want.size() >= rank;
      const std::size_t w = in_want ? want[k + want.size() - rank] : 1;
      if (w == stands_for[k] || stands_for[k] == 1) continue;  // equal, or in broadcast form
      if (w != 1) fail();
      if (has == 1) {
        copies *= stands_for[k];
      } else {
        target[k - pad] = 1;
      }
    }
    // Leading axes beyond the input's rank are summed away (they are 1 in target by now).
    if (target.size() > want.size()) {
      target.erase(target.begin(),
                   target.begin() + static_cast<std::ptrdiff_t>(target.size() - want.size()));
    }
    Tensor<T> r = g;
    if (target != from) {
      r = create_graph_ ? sum_to(g, detail::to_shape(target))
                        : Tensor<T>(detail::sum_to_value(g.value(), target));
    }
    if (copies != 1) r = mul(r, static_cast<T>(copies));
    return r;
  }

  template <class Event>
  static void notify(Event&& event) {
    const auto list = detail::observers<T>();  // a copy: observers may change the list
    for (auto* o : list) event(o);
  }

  static constexpr std::size_t kScannedLeaves = 16;

  GradModeGuard mode_;
  bool create_graph_;
  bool retain_graph_;
  bool accumulate_;
  std::uint64_t mark_;
  ScratchVector<Tensor<T>> input_grads_;                           // reused by every node
  ScratchVector<LeafState> leaves_;                                // this pass's leaves
  ScratchVector<std::uint32_t, std::size_t{1} << 18> leaf_slots_;  // past kScannedLeaves
  std::unordered_map<const Node<T>*, std::size_t> wanted_;
  std::vector<Tensor<T>> captured_;
};

/// Seeds for the roots: the given ones (shape-checked) or 1 for one-element roots.
template <class T>
InputList<T> make_seeds(const char* op, std::span<const Tensor<T>> roots,
                        std::span<const Tensor<T>> seeds) {
  if (!seeds.empty() && seeds.size() != roots.size()) {
    throw GraphError(std::string(op) + ": " + std::to_string(roots.size()) + " outputs but " +
                     std::to_string(seeds.size()) + " seed gradients");
  }
  std::vector<Tensor<T>> out;  // only for more than two roots: InputList keeps two inline
  if (roots.size() > 2) out.reserve(roots.size());
  Tensor<T> first[2];
  for (std::size_t i = 0; i < roots.size(); ++i) {
    auto keep = [&](Tensor<T> seed) {
      if (roots.size() > 2) {
        out.push_back(std::move(seed));
      } else {
        first[i] = std::move(seed);
      }
    };
    const auto& r = roots[i];
    if (!r.defined()) throw GraphError(std::string(op) + ": output is an undefined tensor");
    if (!r.requires_grad()) {
      throw GraphError(std::string(op) + ": " + describe(*node_of(r)) +
                       " does not require grad; call requires_grad_() on the leaves you want "
                       "gradients for before computing it");
    }
    if (seeds.empty() || !seeds[i].defined()) {
      if (r.size() != 1) {
        throw GraphError(std::string(op) + ": the output has shape " + shape_str(r.shape()) +
                         "; without a seed gradient only one-element outputs can start "
                         "backward (pass a seed of shape " +
                         shape_str(r.shape()) + ")");
      }
      auto one = detail::uninitialized_array<T>("backward", r.value().shape());
      one.fill(T(1));
      keep(Tensor<T>(std::move(one)));
    } else {
      if (seeds[i].shape() != r.shape()) {
        throw ShapeError(std::string(op) + ": seed gradient of shape " +
                         shape_str(seeds[i].shape()) + " for an output of shape " +
                         shape_str(r.shape()));
      }
      keep(seeds[i]);
    }
  }
  switch (roots.size()) {
    case 0:
      return {};
    case 1:
      return {first[0]};
    case 2:
      return {first[0], first[1]};
    default:
      return InputList<T>(out);
  }
}

}  // namespace

namespace detail {
template <class T>
void backward_roots(std::span<const Tensor<T>> roots, std::span<const Tensor<T>> seeds,
                    BackwardOptions options) {
  const auto s = make_seeds<T>("backward", roots, seeds);
  Pass<T> pass(options.create_graph, options.retain_graph, /*accumulate_into_leaves=*/true);
  pass.run(roots, s);
}
}  // namespace detail

template <class T>
void backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& seeds,
              BackwardOptions options) {
  detail::backward_roots<T>(roots, seeds, options);
}

template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs,
                            const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs, GradOptions options) {
  const auto s = make_seeds<T>("grad", outputs, grad_outputs);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) {
      throw GraphError("grad: input " + std::to_string(i) + " does not require grad");
    }
  }
  Pass<T> pass(options.create_graph, options.retain_graph, /*accumulate_into_leaves=*/false);
  pass.capture(inputs);
  pass.run(outputs, s);
  auto result = std::move(pass.captured());
  for (std::size_t i = 0; i < result.size(); ++i) {
    if (result[i].defined()) continue;
    if (!options.allow_unused) {
      throw GraphError("grad: input " + std::to_string(i) + " (" + describe(*node_of(inputs[i])) +
                       ") was not used to compute the outputs; pass allow_unused = true");
    }
  }
  return result;
}

#define XG_INSTANTIATE(T)                                                                         \
  template void detail::backward_roots<T>(std::span<const Tensor<T>>, std::span<const Tensor<T>>, \
                                          BackwardOptions);                                       \
  template void backward<T>(const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&,         \
                            BackwardOptions);                                                     \
  template std::vector<Tensor<T>> grad<T>(const std::vector<Tensor<T>>&,                          \
                                          const std::vector<Tensor<T>>&,                          \
                                          const std::vector<Tensor<T>>&, GradOptions);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
