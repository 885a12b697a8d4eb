// The process-wide pool behind kernels/parallel.hpp, and xg::set_num_threads.
//
// A loop is published as a generation number with its task function; tasks are claimed through
// one 64-bit ticket (generation << 32 | next task), so a worker that wakes late can never claim
// a task of a later loop. Workers spin briefly between loops (consecutive operations of a large
// step follow each other within microseconds), then sleep on a futex.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kernels/blas.hpp"
#include "kernels/parallel.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/threads.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define XG_CPU_RELAX() _mm_pause()
#else
#define XG_CPU_RELAX() std::this_thread::yield()
#endif

namespace xg::kernels {

namespace {

using Task = void (*)(void*, std::size_t);

class Pool {
 public:
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void resize(int n) {
    std::lock_guard<std::mutex> lock(busy_);  // never while a loop runs
    while (static_cast<int>(workers_.size()) < n - 1) {
      const int id = static_cast<int>(workers_.size());
      workers_.emplace_back([this, id] { work(id); });
      workers_.back().detach();  // the pool lives as long as the process
    }
    threads_.store(n, std::memory_order_relaxed);
  }

  void run(std::size_t tasks, Task task, void* ctx) {
    std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
    if (!lock.owns_lock() || tasks < 2 || threads() < 2) {
      for (std::size_t i = 0; i < tasks; ++i) task(ctx, i);
      return;
    }
    task_.store(task, std::memory_order_relaxed);
    ctx_.store(ctx, std::memory_order_relaxed);
    tasks_.store(tasks, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    const std::uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
    ticket_.store(std::uint64_t{gen} << 32, std::memory_order_release);
    generation_.store(gen, std::memory_order_release);
    generation_.notify_all();
    claim_all(gen);
    while (done_.load(std::memory_order_acquire) != tasks) XG_CPU_RELAX();
  }

 private:
  /// Runs tasks of loop `gen` until none is left to claim.
  void claim_all(std::uint32_t gen) {
    for (;;) {
      std::uint64_t t = ticket_.load(std::memory_order_acquire);
      if (static_cast<std::uint32_t>(t >> 32) != gen) return;
      const Task task = task_.load(std::memory_order_relaxed);
      void* ctx = ctx_.load(std::memory_order_relaxed);
      const std::size_t tasks = tasks_.load(std::memory_order_relaxed);
      const std::size_t i = static_cast<std::uint32_t>(t);
      if (i >= tasks) return;
      if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) continue;
      task(ctx, i);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  [[noreturn]] void work(int id) {
    std::uint32_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t gen = seen;
      const auto spin_until = std::chrono::steady_clock::now() + kSpin;
      for (int spin = 0; gen == seen; ++spin) {
        XG_CPU_RELAX();
        gen = generation_.load(std::memory_order_acquire);
        if (spin % 64 == 63 && std::chrono::steady_clock::now() > spin_until) break;
      }
      if (gen == seen) {
        generation_.wait(seen, std::memory_order_acquire);
        gen = generation_.load(std::memory_order_acquire);
        if (gen == seen) continue;
      }
      seen = gen;
      if (id + 1 < threads()) claim_all(gen);
    }
  }

  // How long a worker waits for the next loop before it sleeps (a pause instruction takes from
  // 10 to 150 cycles depending on the processor, so the spin is timed, not counted).
  static constexpr std::chrono::microseconds kSpin{50};

  std::mutex busy_;
  std::vector<std::thread> workers_;
  std::atomic<int> threads_{1};
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<std::uint64_t> ticket_{0};
  std::atomic<Task> task_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<std::size_t> tasks_{0};
  std::atomic<std::size_t> done_{0};
};

Pool& pool() {
  static Pool* p = [] {
    auto* made = new Pool;  // never destroyed: operations may run in static destructors
    const unsigned cores = std::thread::hardware_concurrency();
    made->resize(cores == 0 ? 1 : static_cast<int>(cores));
    return made;
  }();
  return *p;
}

}  // namespace

int pool_threads() {
  return pool().threads();
}

void run_tasks(std::size_t tasks, void (*task)(void* ctx, std::size_t i), void* ctx) {
  pool().run(tasks, task, ctx);
}

}  // namespace xg::kernels

namespace xg {

void set_num_threads(int n) {
  if (n < 1) {
    throw DomainError("set_num_threads: " + std::to_string(n) +
                      " threads requested; need at least 1");
  }
  blas::set_threads(n);
  kernels::pool().resize(n);
}

int num_threads() {
  return kernels::pool_threads();
}

}  // namespace xg
