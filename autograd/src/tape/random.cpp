// The default generator (see random.hpp).
#include "xgrad/random.hpp"

#include <sstream>

#include "xgrad/errors.hpp"

namespace xg {

namespace {
thread_local Generator generator(0);
}

Generator& default_generator() {
  return generator;
}

void manual_seed(std::uint64_t seed) {
  generator.seed(seed);
}

std::string get_rng_state() {
  std::ostringstream out;
  out << generator;
  return out.str();
}

void set_rng_state(const std::string& state) {
  std::istringstream in(state);
  Generator restored;
  in >> restored;
  // A complete state is exactly 313 numbers: anything missing or left over is corrupt.
  std::string rest;
  if (in.fail() || (in >> rest)) {
    throw Error("set_rng_state: not a generator state (" + std::to_string(state.size()) +
                " characters; expected the text of get_rng_state())");
  }
  generator = restored;
}

}  // namespace xg
