// Intra-op parallelism: one process-wide pool of worker threads (thread_pool.cpp) that kernels
// split their loops over. The calling thread always takes part, so a loop never waits for a
// sleeping worker to start: tasks are claimed one by one, and whoever is free takes the next.
//
// Results never depend on the thread count. Elementwise loops write disjoint ranges, and
// reductions add up fixed chunks (kReductionChunk elements, whatever the thread count) into
// partials that are then combined in chunk order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace xg::kernels {

/// Loops over fewer elements than this run on the calling thread: below it, waking a worker
/// costs more than the half of the loop it would take over.
inline constexpr std::size_t kParallelMinElements = std::size_t{1} << 15;

/// The chunk of a parallel reduction (a partial sum each), fixed so that the rounding of a sum
/// is the same for any number of threads.
inline constexpr std::size_t kReductionChunk = std::size_t{1} << 14;

/// Threads the pool's loops may use, the caller included (xg::set_num_threads sets it).
int pool_threads();

/// Runs task(ctx, i) for every i in [0, tasks) on the pool's threads and the caller, and returns
/// when all have finished. Runs them all on the caller when tasks < 2, the pool has one thread,
/// or the pool is already running a loop (another thread's, or an enclosing one).
void run_tasks(std::size_t tasks, void (*task)(void* ctx, std::size_t i), void* ctx);

/// body(begin, end) over [0, n) in at most pool_threads() contiguous ranges of at least
/// `min_per_task` elements (one range, on the caller, for small n). For loops whose results do
/// not depend on the split, such as elementwise ones.
template <class Body>
void parallel_for(std::size_t n, Body&& body, std::size_t min_per_task = kParallelMinElements) {
  // Small loops decide without asking the pool (the common case of small models).
  const std::size_t min_task = std::max<std::size_t>(min_per_task, 1);
  const std::size_t parts =
      n < 2 * min_task ? 1 : std::min(static_cast<std::size_t>(pool_threads()), n / min_task);
  if (parts < 2) {
    if (n != 0) body(std::size_t{0}, n);
    return;
  }
  struct Split {
    std::remove_reference_t<Body>* body;
    std::size_t n, parts;
  } split{&body, n, parts};
  run_tasks(
      parts,
      [](void* ctx, std::size_t i) {
        auto* s = static_cast<Split*>(ctx);
        // Boundaries of long ranges rounded to 16 elements, so no two tasks write one cache
        // line; short ranges (a few long rows) are split exactly.
        auto edge = [s](std::size_t k) {
          const std::size_t step = s->n / s->parts;
          if (k == s->parts) return s->n;
          return step >= 256 ? (step * k) & ~std::size_t{15} : step * k;
        };
        (*s->body)(edge(i), edge(i + 1));
      },
      &split);
}

/// body(chunk, begin, end) for the fixed chunks [c * chunk, min(n, (c + 1) * chunk)) of [0, n),
/// spread over the pool when there are enough of them. Returns the number of chunks. For
/// reductions that keep a partial per chunk.
template <class Body>
std::size_t for_each_chunk(std::size_t n, std::size_t chunk, Body&& body) {
  const std::size_t chunks = n == 0 ? 0 : (n + chunk - 1) / chunk;
  auto run = [&](std::size_t c) { body(c, c * chunk, std::min(n, (c + 1) * chunk)); };
  if (chunks < 2 || n < kParallelMinElements || pool_threads() < 2) {
    for (std::size_t c = 0; c < chunks; ++c) run(c);
    return chunks;
  }
  run_tasks(
      chunks, [](void* ctx, std::size_t c) { (*static_cast<decltype(run)*>(ctx))(c); }, &run);
  return chunks;
}

}  // namespace xg::kernels
