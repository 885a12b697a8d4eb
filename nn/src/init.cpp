// Weight initialisers (see init.hpp). Values are drawn in double from the given generator and
// rounded to T, so float and double tensors filled from equal seeds hold the same numbers up to
// rounding.
#include "xgrad/nn/init.hpp"

#include <cmath>
#include <string>

#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::nn {

namespace {

const char* init_name(Init init) {
  switch (init) {
    case Init::glorot_uniform:
      return "glorot_uniform";
    case Init::glorot_normal:
      return "glorot_normal";
    case Init::he_uniform:
      return "he_uniform";
    case Init::he_normal:
      return "he_normal";
    case Init::torch_uniform:
      return "torch_uniform";
    case Init::zeros:
      return "zeros";
    case Init::constant:
      return "constant";
  }
  return "unknown";
}

template <class T, class Dist>
void fill(xt::xarray<T>& v, Dist dist, Generator& gen) {
  for (auto& x : v) x = static_cast<T>(dist(gen));
}

}  // namespace

template <class T>
void initialize(Tensor<T>& t, Init init, std::size_t fan_in, std::size_t fan_out, Generator& gen,
                double value) {
  const std::string where = std::string("initialize(") + init_name(init) + ")";
  if (!t.defined()) throw GraphError(where + ": the tensor is undefined");
  if (!t.is_leaf()) {
    throw GraphError(where + ": the tensor is the result of '" + t.op_name() +
                     "'; only leaves (parameters) can be initialised in place");
  }
  auto& v = t.mutable_value();
  const double glorot = static_cast<double>(fan_in + fan_out);
  const double he = static_cast<double>(fan_in);
  auto need_positive = [&](double fan, const char* what) {
    if (fan <= 0) {
      throw DomainError(where + ": " + what + " must be positive, got fan_in=" +
                        std::to_string(fan_in) + ", fan_out=" + std::to_string(fan_out));
    }
  };
  switch (init) {
    case Init::glorot_uniform: {
      need_positive(glorot, "fan_in + fan_out");
      const double a = std::sqrt(6.0 / glorot);
      fill(v, std::uniform_real_distribution<double>(-a, a), gen);
      break;
    }
    case Init::glorot_normal:
      need_positive(glorot, "fan_in + fan_out");
      fill(v, std::normal_distribution<double>(0.0, std::sqrt(2.0 / glorot)), gen);
      break;
    case Init::he_uniform: {
      need_positive(he, "fan_in");
      const double a = std::sqrt(6.0 / he);
      fill(v, std::uniform_real_distribution<double>(-a, a), gen);
      break;
    }
    case Init::he_normal:
      need_positive(he, "fan_in");
      fill(v, std::normal_distribution<double>(0.0, std::sqrt(2.0 / he)), gen);
      break;
    case Init::torch_uniform: {
      need_positive(he, "fan_in");
      const double a = 1.0 / std::sqrt(he);
      fill(v, std::uniform_real_distribution<double>(-a, a), gen);
      break;
    }
    case Init::zeros:
      v.fill(T(0));
      break;
    case Init::constant:
      v.fill(static_cast<T>(value));
      break;
    default:
      throw DomainError(where + ": unknown initialiser " + std::to_string(static_cast<int>(init)));
  }
}

#define XG_INSTANTIATE(T) \
  template void initialize<T>(Tensor<T>&, Init, std::size_t, std::size_t, Generator&, double);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
