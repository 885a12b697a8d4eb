// Memory xgrad keeps for reuse, and how to give it back.
//
// Tape nodes come from per-thread free lists: the blocks a backward pass frees are reused by the
// next step's operations, so a training loop allocates no node memory after its first step. A
// thread keeps up to 1 GiB of such blocks (a chain of a million operations needs about 0.8 GiB).
// The buffers of small values (up to 64 elements) are kept the same way, up to 256 MiB per
// thread and never more than the thread's operations took.
// Peak memory is the same either way; after a one-off huge graph, hand the rest back here.
#pragma once

#include <cstddef>

namespace xg {

/// Frees the tape-node blocks and value buffers this thread keeps for reuse and returns glibc's
/// free heap memory to the system (malloc_trim). Other threads keep their own blocks until they
/// call it or exit.
void release_cached_memory();

/// Tunes glibc's malloc for training loops, for the whole process: a step frees its large
/// buffers at its end and allocates them again, with the same sizes, in the next step. By
/// default glibc serves such buffers with mmap (and trims the heap after freeing them), so each
/// step faults its memory in again page by page. This raises both thresholds (mmap above 256 MiB,
/// trim above 512 MiB), so freed memory stays in the process for reuse; peak memory is unchanged.
/// Call it once at the start of a program that trains; xgrad never changes malloc by itself.
void tune_allocator();

/// Bytes of tape-node blocks this thread keeps for reuse.
std::size_t cached_node_bytes();

/// Bytes of small value buffers this thread keeps for reuse (counted as glibc chunks).
std::size_t cached_value_bytes();

}  // namespace xg
