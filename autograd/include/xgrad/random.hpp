// The random generator behind initialisers, dropout and RReLU: one seeded engine so runs are
// reproducible (manual_seed), or your own engine passed explicitly. It lives with the tensors
// rather than in nn so that xg::checkpoint can replay a segment's random numbers.
//
// Threads: the default generator is thread-local. Each thread starts from seed 0 and is
// reseeded by its own manual_seed, so threads never race on it; a thread's results depend only
// on its own seed and calls.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace xg {

using Generator = std::mt19937_64;

/// The default generator (thread-local; seeded with 0 until manual_seed is called).
Generator& default_generator();
/// Reseeds the default generator of the calling thread.
void manual_seed(std::uint64_t seed);

/// The full state of the calling thread's default generator as text (for checkpoints: restoring
/// it makes dropout masks after a resume the same as in an uninterrupted run).
std::string get_rng_state();
/// Restores a state from get_rng_state(). Throws xg::Error, leaving the generator unchanged,
/// if `state` is not a complete generator state.
void set_rng_state(const std::string& state);

}  // namespace xg
