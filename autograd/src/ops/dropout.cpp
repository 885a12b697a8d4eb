// dropout2d: a Bernoulli(1 - p) mask per channel, scaled by 1 / (1 - p), multiplied in.
#include "xgrad/ops/dropout.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "kernels/buffer.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/elementwise.hpp"

namespace xg {

template <class T>
Tensor<T> dropout2d(const Tensor<T>& x, double p, bool training, Generator* generator) {
  detail::require_defined("dropout2d", x);
  if (!(p >= 0.0 && p <= 1.0)) {
    throw DomainError("dropout2d: p must satisfy 0 <= p <= 1, got " + detail::num_str(p));
  }
  const auto& s = x.value().shape();
  if (s.size() != 4) {
    throw ShapeError("dropout2d: input of shape " + shape_str(s) + " must be 4-D (N, C, H, W)");
  }
  if (!training || p == 0.0 || x.size() == 0) return x;
  xt::xarray<T> mask = detail::uninitialized_array<T>("dropout2d", {s[0], s[1], 1, 1});
  if (p == 1.0) {
    std::fill(mask.data(), mask.data() + mask.size(), T(0));
  } else {
    // One raw 64-bit draw per channel, dropped when below p 2^64, as nn::Dropout draws.
    Generator& gen = generator ? *generator : default_generator();
    static_assert(Generator::min() == 0 && Generator::max() == ~std::uint64_t(0));
    const auto cut = static_cast<std::uint64_t>(p * 18446744073709551616.0);  // p 2^64 < 2^64
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    for (std::size_t i = 0; i < mask.size(); ++i) mask.data()[i] = gen() >= cut ? scale : T(0);
  }
  return mul(x, Tensor<T>(std::move(mask)));
}

#define XG_INSTANTIATE(T) template Tensor<T> dropout2d(const Tensor<T>&, double, bool, Generator*);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
