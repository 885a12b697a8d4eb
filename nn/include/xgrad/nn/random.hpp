// The random generator of initialisers, dropout and RReLU, under the names nn code uses; it is
// defined with the tensors (xgrad/random.hpp).
#pragma once

#include "xgrad/random.hpp"

namespace xg::nn {

using xg::default_generator;
using xg::Generator;
using xg::get_rng_state;
using xg::manual_seed;
using xg::set_rng_state;

}  // namespace xg::nn
