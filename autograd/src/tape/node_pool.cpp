// Thread-local free lists of node blocks (see node_pool.hpp).
#include "xgrad/detail/node_pool.hpp"
#include "tape/value_cache.hpp"
#include "xgrad/memory.hpp"

#include <malloc.h>

#include <array>

namespace xg::detail {

namespace {

constexpr std::size_t kGranule = 32;
constexpr std::size_t kClasses = 32;  // blocks up to 1 KiB are pooled
constexpr std::size_t kMaxCachedBytes =
    std::size_t{1} << 30;  // see xgrad/memory.hpp  // per thread, so the cache stays bounded

struct FreeBlock {
  FreeBlock* next;
};

class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() { release(); }

  void release() noexcept {
    for (auto& family : heads_) {
      for (auto*& head : family) {
        while (head != nullptr) {
          FreeBlock* next = head->next;
          ::operator delete(head);
          head = next;
        }
      }
    }
    cached_bytes_ = 0;
  }
  std::size_t cached_bytes() const { return cached_bytes_; }

  void* allocate(std::size_t cls, NodeFamily family) {
    FreeBlock*& head = heads_[static_cast<int>(family)][cls];
    if (head == nullptr) return ::operator new((cls + 1) * kGranule);
    FreeBlock* b = head;
    head = b->next;
    cached_bytes_ -= (cls + 1) * kGranule;
    return b;
  }

  void deallocate(void* p, std::size_t cls, NodeFamily family) noexcept {
    const std::size_t bytes = (cls + 1) * kGranule;
    if (cached_bytes_ + bytes > kMaxCachedBytes) {
      ::operator delete(p);
      return;
    }
    auto* b = static_cast<FreeBlock*>(p);
    FreeBlock*& head = heads_[static_cast<int>(family)][cls];
    b->next = head;
    head = b;
    cached_bytes_ += bytes;
  }

 private:
  std::array<std::array<FreeBlock*, kClasses>, 2> heads_{};  // by NodeFamily
  std::size_t cached_bytes_ = 0;
};

Pool& pool() {
  thread_local Pool p;
  return p;
}

std::size_t size_class(std::size_t bytes) {
  return (bytes + kGranule - 1) / kGranule - 1;
}

}  // namespace

void* node_allocate(std::size_t bytes, NodeFamily family) {
  const std::size_t cls = size_class(bytes);
  if (bytes == 0 || cls >= kClasses) return ::operator new(bytes);
  return pool().allocate(cls, family);
}

void node_deallocate(void* p, std::size_t bytes, NodeFamily family) noexcept {
  const std::size_t cls = size_class(bytes);
  if (bytes == 0 || cls >= kClasses) {
    ::operator delete(p);
    return;
  }
  pool().deallocate(p, cls, family);
}

}  // namespace xg::detail

namespace xg {

void release_cached_memory() {
  detail::pool().release();
  detail::release_cached_values();
  malloc_trim(0);
}

std::size_t cached_node_bytes() {
  return detail::pool().cached_bytes();
}

}  // namespace xg
