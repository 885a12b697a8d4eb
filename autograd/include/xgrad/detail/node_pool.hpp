// Allocation of tape nodes from thread-local free lists.
//
// Every operation allocates one node (with its shared-pointer control block) and backward frees
// them all at once; glibc's malloc handles such bursts of same-sized blocks through its slow
// path. Here freed node blocks are kept, per thread and per 32-byte size class, and reused by
// the next operations, so a training step after the first allocates no node memory at all.
// Each block is an ordinary operator new allocation, so a node may die on another thread than
// the one that created it: the block simply joins that thread's list.
#pragma once

#include <cstddef>
#include <new>

namespace xg::detail {

/// Leaves (parameters, inputs, the gradients backward makes) and recorded operations come from
/// separate lists: backward frees the operations in reverse order of creation while it makes
/// and frees gradient leaves, and keeping those apart lets the next forward pass get its
/// operations' blocks back in creation order, which a long tape walks best.
enum class NodeFamily : int { op = 0, leaf = 1 };

void* node_allocate(std::size_t bytes, NodeFamily family);
void node_deallocate(void* p, std::size_t bytes, NodeFamily family) noexcept;

/// The allocator std::allocate_shared uses for nodes.
template <class U, NodeFamily F = NodeFamily::op>
struct NodeAllocator {
  using value_type = U;
  template <class V>
  struct rebind {
    using other = NodeAllocator<V, F>;
  };
  NodeAllocator() = default;
  template <class V>
  NodeAllocator(const NodeAllocator<V, F>&) noexcept {}
  U* allocate(std::size_t n) { return static_cast<U*>(node_allocate(n * sizeof(U), F)); }
  void deallocate(U* p, std::size_t n) noexcept { node_deallocate(p, n * sizeof(U), F); }
  template <class V>
  bool operator==(const NodeAllocator<V, F>&) const noexcept {
    return true;
  }
};

}  // namespace xg::detail
