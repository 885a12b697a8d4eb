// The random generator behind initialisers, dropout and RReLU: one seeded engine so runs are
// reproducible (manual_seed), or your own engine passed explicitly.
#pragma once

#include <cstdint>
#include <random>

namespace xg::nn {

using Generator = std::mt19937_64;

/// The default generator (thread-local; seeded with 0 until manual_seed is called).
Generator& default_generator();
/// Reseeds the default generator of the calling thread.
void manual_seed(std::uint64_t seed);

}  // namespace xg::nn
