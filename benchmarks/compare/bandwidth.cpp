// The memcpy reference of the memory-bound cases: what one core's plain copy of the same number
// of bytes achieves, measured in the same child process as the library it is compared with.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "compare.hpp"

namespace compare {

double memcpy_seconds(double bytes, const Budget& budget) {
  const auto half = static_cast<std::size_t>(bytes / 2);
  if (half == 0) return NAN;
  std::vector<char> src(half, 1), dst(half, 0);  // both written once: mapped in, not timed
  const StepTimes t = time_steps(
      [&] {
        std::memcpy(dst.data(), src.data(), half);
        return static_cast<double>(dst[half / 2]);
      },
      budget);
  return median(t.seconds);
}

KernelTiming& KernelList::add(const char* name, double forward_bytes, double backward_bytes) {
  if (count == kMax) throw std::length_error("KernelList: more than kMax kernels");
  KernelTiming& k = kernels[count++];
  std::snprintf(k.name, sizeof k.name, "%s", name);
  k.forward_bytes = forward_bytes;
  k.backward_bytes = backward_bytes;
  return k;
}

}  // namespace compare
