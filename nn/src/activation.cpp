// Activation layers (see activation.hpp). The stateless ones call the autograd functions; PReLU
// and RReLU are built from recorded operations, so their gradients (the slope's included) come
// from the tape.
#include "xgrad/nn/activation.hpp"

#include <cmath>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::nn {

using detail::num_str;

namespace {
template <class T>
void require_input(const char* layer, const Tensor<T>& x) {
  if (!x.defined()) throw GraphError(std::string(layer) + ": the input is undefined");
}
}  // namespace

// --- stateless -------------------------------------------------------------------------------

template <class T>
Tensor<T> Step<T>::forward(const Tensor<T>& x) {
  return step(x, threshold_);
}
template <class T>
std::string Step<T>::extra_repr() const {
  return "threshold=" + num_str(threshold_);
}

template <class T>
Tensor<T> HardTanh<T>::forward(const Tensor<T>& x) {
  return hardtanh(x, lo_, hi_);
}
template <class T>
std::string HardTanh<T>::extra_repr() const {
  return "min=" + num_str(lo_) + ", max=" + num_str(hi_);
}

template <class T>
Tensor<T> Sigmoid<T>::forward(const Tensor<T>& x) {
  return sigmoid(x);
}

template <class T>
Tensor<T> Tanh<T>::forward(const Tensor<T>& x) {
  return tanh(x);
}

template <class T>
Tensor<T> ReLU<T>::forward(const Tensor<T>& x) {
  return relu(x);
}

template <class T>
Tensor<T> LeakyReLU<T>::forward(const Tensor<T>& x) {
  return leaky_relu(x, slope_);
}
template <class T>
std::string LeakyReLU<T>::extra_repr() const {
  return "slope=" + num_str(slope_);
}

template <class T>
Tensor<T> ELU<T>::forward(const Tensor<T>& x) {
  return elu(x, alpha_);
}
template <class T>
std::string ELU<T>::extra_repr() const {
  return "alpha=" + num_str(alpha_);
}

template <class T>
Tensor<T> Softplus<T>::forward(const Tensor<T>& x) {
  return softplus(x, beta_, threshold_);
}
template <class T>
std::string Softplus<T>::extra_repr() const {
  return "beta=" + num_str(beta_) + ", threshold=" + num_str(threshold_);
}

template <class T>
Tensor<T> GELU<T>::forward(const Tensor<T>& x) {
  return gelu(x, approximate_);
}
template <class T>
std::string GELU<T>::extra_repr() const {
  return approximate_ == GeluApproximation::tanh ? "approximate=tanh" : "approximate=none";
}

template <class T>
Tensor<T> SiLU<T>::forward(const Tensor<T>& x) {
  return silu(x);
}

template <class T>
Tensor<T> Softmax<T>::forward(const Tensor<T>& x) {
  return softmax(x, axis_);
}
template <class T>
std::string Softmax<T>::extra_repr() const {
  return "axis=" + std::to_string(axis_);
}

template <class T>
Tensor<T> LogSoftmax<T>::forward(const Tensor<T>& x) {
  return log_softmax(x, axis_);
}
template <class T>
std::string LogSoftmax<T>::extra_repr() const {
  return "axis=" + std::to_string(axis_);
}

// --- PReLU -----------------------------------------------------------------------------------

template <class T>
PReLU<T>::PReLU(std::size_t num_parameters, std::type_identity_t<T> init) {
  if (num_parameters == 0) {
    throw DomainError("PReLU: num_parameters must be at least 1 (one shared slope), got 0");
  }
  this->register_parameter("slope", Tensor<T>::full({num_parameters}, init));
}

template <class T>
Tensor<T> PReLU<T>::forward(const Tensor<T>& x) {
  require_input("PReLU", x);
  const Tensor<T>& slope = this->own_parameters()[0].second;
  const std::size_t channels = slope.size();
  const Shape s = x.shape();
  Tensor<T> a = slope;
  if (channels > 1) {
    if (s.empty() || s.back() != channels) {
      throw ShapeError("PReLU(num_parameters=" + std::to_string(channels) + "): input of shape " +
                       shape_str(s) + " has " + (s.empty() ? "no axes" : std::to_string(s.back())) +
                       " channels on its last axis; expected " + std::to_string(channels));
    }
  } else if (s.empty()) {
    a = reshape(slope, {});  // a 0-d input keeps its shape
  }
  // x where x > 0, a x elsewhere: d/dx is 1 or a, d/da is x on the negative side (summed over
  // the broadcast axes by the engine).
  xt::xarray<bool> positive = x.value() > T(0);
  return xg::where(positive, x, mul(a, x));
}

template <class T>
std::string PReLU<T>::extra_repr() const {
  return "num_parameters=" + std::to_string(this->own_parameters()[0].second.size());
}

// --- RReLU -----------------------------------------------------------------------------------

template <class T>
RReLU<T>::RReLU(std::type_identity_t<T> lower, std::type_identity_t<T> upper, Generator* generator)
    : lower_(lower), upper_(upper), generator_(generator) {
  if (!(std::isfinite(lower) && std::isfinite(upper) && lower <= upper)) {
    throw DomainError("RReLU: need finite bounds with lower <= upper, got lower=" + num_str(lower) +
                      ", upper=" + num_str(upper));
  }
}

template <class T>
Tensor<T> RReLU<T>::forward(const Tensor<T>& x) {
  require_input("RReLU", x);
  if (!this->is_training()) return leaky_relu(x, (lower_ + upper_) / T(2));
  // One slope per element, drawn for every element (so the generator advances by x.size()
  // whatever the signs), used where x < 0: y = x * where(x >= 0, 1, slopes).
  Generator& gen = generator_ ? *generator_ : default_generator();
  std::uniform_real_distribution<double> dist(lower_, upper_);
  xt::xarray<T> factor = xt::xarray<T>::from_shape(x.value().shape());
  auto xi = x.value().begin();
  for (auto& f : factor) {
    const T slope = static_cast<T>(dist(gen));
    f = *xi >= T(0) ? T(1) : slope;
    ++xi;
  }
  return mul(x, Tensor<T>(std::move(factor)));
}

template <class T>
std::string RReLU<T>::extra_repr() const {
  return "lower=" + num_str(lower_) + ", upper=" + num_str(upper_);
}

#define XG_INSTANTIATE(T)      \
  template class Step<T>;      \
  template class HardTanh<T>;  \
  template class Sigmoid<T>;   \
  template class Tanh<T>;      \
  template class ReLU<T>;      \
  template class LeakyReLU<T>; \
  template class ELU<T>;       \
  template class PReLU<T>;     \
  template class RReLU<T>;     \
  template class Softplus<T>;  \
  template class GELU<T>;      \
  template class SiLU<T>;      \
  template class Softmax<T>;   \
  template class LogSoftmax<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
