// Counts the heap blocks this program holds, through a replaced global operator new / delete
// (heap_counter.cpp), and reads malloc's bytes in use. Linked only into memory_flat_tests: the
// replacement applies to the whole program.
#pragma once

#include <cstddef>

namespace heap {

/// Blocks from operator new (every form) not yet given back to operator delete.
long live_blocks();
/// Calls of operator new (every form) since the program started.
long allocations();
/// Bytes malloc has handed out and not got back (mallinfo2: arenas + mmapped chunks). Covers
/// allocations that bypass operator new too.
std::size_t malloc_bytes();

}  // namespace heap
