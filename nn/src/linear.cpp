// Linear layer (see linear.hpp).
#include "xgrad/nn/linear.hpp"

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/linalg.hpp"

namespace xg::nn {

namespace {
std::string layer_str(std::size_t in, std::size_t out) {
  return "Linear(in=" + std::to_string(in) + ", out=" + std::to_string(out) + ")";
}
}  // namespace

template <class T>
Linear<T>::Linear(std::size_t in_features, std::size_t out_features, LinearOptions options)
    : in_(in_features), out_(out_features), has_bias_(options.bias) {
  if (in_ == 0 || out_ == 0) {
    throw DomainError(layer_str(in_, out_) + ": in and out must be positive");
  }
  Generator& gen = options.generator ? *options.generator : default_generator();
  Tensor<T> w = Tensor<T>::zeros({in_, out_});
  initialize(w, options.weight_init, in_, out_, gen, options.weight_value);
  this->register_parameter("weight", std::move(w));  // own_parameter(0)
  if (has_bias_) {
    Tensor<T> b = Tensor<T>::zeros({out_});
    initialize(b, options.bias_init, in_, out_, gen, options.bias_value);
    this->register_parameter("bias", std::move(b));  // own_parameter(1)
  }
}

template <class T>
Tensor<T> Linear<T>::forward(const Tensor<T>& x) {
  if (!x.defined()) throw GraphError(layer_str(in_, out_) + ": the input is undefined");
  const auto& s = x.value().shape();
  if (s.empty() || s.back() != in_) {
    throw ShapeError(layer_str(in_, out_) + ": input of shape " + shape_str(s) +
                     " does not end in " + std::to_string(in_) + " features; expected (batch, " +
                     std::to_string(in_) + ") or (" + std::to_string(in_) + ")");
  }
  const auto& params = this->own_parameters();
  return linear(x, params[0].second, has_bias_ ? params[1].second : no_bias_);
}

template <class T>
std::string Linear<T>::extra_repr() const {
  return "in=" + std::to_string(in_) + ", out=" + std::to_string(out_) +
         ", bias=" + detail::bool_str(has_bias_);
}

#define XG_INSTANTIATE(T) template class Linear<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
