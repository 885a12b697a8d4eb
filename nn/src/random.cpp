// The default generator (see random.hpp).
#include "xgrad/nn/random.hpp"

namespace xg::nn {

namespace {
thread_local Generator generator(0);
}

Generator& default_generator() {
  return generator;
}

void manual_seed(std::uint64_t seed) {
  generator.seed(seed);
}

}  // namespace xg::nn
