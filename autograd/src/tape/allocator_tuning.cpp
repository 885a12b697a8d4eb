// xg::tune_allocator (see xgrad/memory.hpp).
#include <malloc.h>

#include "xgrad/memory.hpp"

namespace xg {

void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

}  // namespace xg
