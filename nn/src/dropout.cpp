// Inverted dropout (see dropout.hpp).
#include "xgrad/nn/dropout.hpp"

#include <cmath>
#include <cstdint>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/dropout.hpp"
#include "xgrad/ops/elementwise.hpp"

namespace xg::nn {

template <class T>
Dropout<T>::Dropout(double p, Generator* generator) : p_(p), generator_(generator) {
  if (!(p >= 0.0 && p < 1.0)) {
    throw DomainError("Dropout: p must satisfy 0 <= p < 1, got " + detail::num_str(p));
  }
}

template <class T>
Tensor<T> Dropout<T>::forward(const Tensor<T>& x) {
  if (!x.defined()) throw GraphError("Dropout: the input is undefined");
  if (!this->is_training() || p_ == 0.0) return x;
  // Keep each element with probability 1 - p and scale it by 1 / (1 - p), so the expected
  // output equals the input; the mask is a constant, so gradients flow through kept elements
  // only (scaled the same way).
  // One raw 64-bit draw per element, dropped when below p * 2^64: exact to 2^-64 and cheaper
  // than a uniform double per element.
  Generator& gen = generator_ ? *generator_ : default_generator();
  static_assert(Generator::min() == 0 && Generator::max() == ~std::uint64_t(0));
  const auto cut = static_cast<std::uint64_t>(p_ * 18446744073709551616.0);  // p * 2^64 < 2^64
  const T scale = static_cast<T>(1.0 / (1.0 - p_));
  xt::xarray<T> mask = xt::xarray<T>::from_shape(x.value().shape());
  for (auto& m : mask) m = gen() >= cut ? scale : T(0);
  return mul(x, Tensor<T>(std::move(mask)));
}

template <class T>
std::string Dropout<T>::extra_repr() const {
  return "p=" + detail::num_str(p_);
}

template <class T>
Dropout2d<T>::Dropout2d(double p, Generator* generator) : p_(p), generator_(generator) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw DomainError("Dropout2d: p must satisfy 0 <= p <= 1, got " + detail::num_str(p));
  }
}

template <class T>
Tensor<T> Dropout2d<T>::forward(const Tensor<T>& x) {
  if (!x.defined()) throw GraphError("Dropout2d: the input is undefined");
  return dropout2d(x, p_, this->is_training(), generator_);
}

template <class T>
std::string Dropout2d<T>::extra_repr() const {
  return "p=" + detail::num_str(p_);
}

#define XG_INSTANTIATE(T)    \
  template class Dropout<T>; \
  template class Dropout2d<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
