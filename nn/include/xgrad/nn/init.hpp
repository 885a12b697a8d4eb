// Weight initialisers. fan_in / fan_out of a (in, out) weight are in and out; of a convolution's
// (out, in / groups, kH, kW) weight, in / groups kH kW and out kH kW.
#pragma once

#include <cstddef>

#include "xgrad/nn/random.hpp"
#include "xgrad/tensor.hpp"

namespace xg::nn {

enum class Init {
  glorot_uniform,  ///< U(-a, a), a = sqrt(6 / (fan_in + fan_out)) — Keras' and our default
  glorot_normal,   ///< N(0, 2 / (fan_in + fan_out))
  he_uniform,      ///< U(-a, a), a = sqrt(6 / fan_in) (Kaiming, for ReLU)
  he_normal,       ///< N(0, 2 / fan_in)
  /// U(-a, a), a = 1 / sqrt(fan_in): PyTorch's default for the weight of a Linear or Conv layer
  /// (kaiming_uniform_ with a = sqrt(5)) and for its bias.
  torch_uniform,
  zeros,
  constant,  ///< every element = `value`
};

/// Fills `t` in place (no tape) according to `init`.
template <class T>
void initialize(Tensor<T>& t, Init init, std::size_t fan_in, std::size_t fan_out,
                Generator& gen = default_generator(), double value = 0.0);

}  // namespace xg::nn
