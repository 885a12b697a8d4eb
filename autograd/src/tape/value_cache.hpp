// Per-thread reuse of the small buffers that tape values live in.
//
// A long chain of small operations allocates one value buffer per operation, and backward frees
// them all again in reverse order. glibc's per-thread cache hands such chunks back in batches of
// eight in reverse order, so after the first step the values of consecutive operations lie
// scattered, and once a tape outgrows the CPU caches every backward pass misses on each of them.
// Operations therefore take the
// buffers of small results here, and dying nodes give them back, last in first out like the
// node blocks (node_pool.cpp): a step gets back its buffers in the order the previous step
// freed them, and a training loop allocates no value memory after its first step.
//
// The cache never holds more buffers of an element count than this thread's operations have
// taken and not given back: buffers made elsewhere (by xtensor expressions, by the user) only
// replace those, so the cache cannot grow step after step.
#pragma once

#include <cstddef>
#include <string>

#include <xtensor/xarray.hpp>

#include "kernels/buffer.hpp"

namespace xg::detail {

/// Results with at most this many elements use the cache.
inline constexpr std::size_t kCachedValueElements = 64;

/// Moves a's buffer into the cache when it is small and owed (a is about to be destroyed and
/// is left without storage). Never throws: otherwise a frees its buffer as usual.
template <class T>
void recycle_buffer(xt::xarray<T>& a) noexcept;

/// Frees the buffers this thread keeps (memory.hpp's release_cached_memory calls this).
void release_cached_values() noexcept;

}  // namespace xg::detail
