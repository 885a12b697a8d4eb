// Flatten (see flatten.hpp).
#include "xgrad/nn/flatten.hpp"

#include <string>

#include "xgrad/detail/instantiate.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::nn {

template <class T>
Tensor<T> Flatten<T>::forward(const Tensor<T>& x) {
  return flatten(x, start_, end_);
}

template <class T>
std::string Flatten<T>::extra_repr() const {
  return "start_dim=" + std::to_string(start_) + ", end_dim=" + std::to_string(end_);
}

#define XG_INSTANTIATE(T) template class Flatten<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
