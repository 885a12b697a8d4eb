// Embedding layer (see embedding.hpp).
#include "xgrad/nn/embedding.hpp"

#include <cmath>
#include <random>
#include <string>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/embedding.hpp"

namespace xg::nn {

namespace {
std::string layer_str(std::size_t num, std::size_t dim) {
  return "Embedding(" + std::to_string(num) + ", " + std::to_string(dim) + ")";
}

/// "(1, 2)": the multi-index of row-major element `flat` in `shape`.
template <class S>
std::string position_str(std::size_t flat, const S& shape) {
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}
}  // namespace

template <class T>
Embedding<T>::Embedding(std::size_t num_embeddings, std::size_t embedding_dim,
                        std::optional<std::ptrdiff_t> padding_idx, Generator* generator)
    : num_(num_embeddings), dim_(embedding_dim) {
  if (num_ == 0 || dim_ == 0) {
    throw DomainError(layer_str(num_, dim_) +
                      ": num_embeddings and embedding_dim must be positive");
  }
  if (padding_idx) {
    const auto n = static_cast<std::ptrdiff_t>(num_);
    if (*padding_idx < -n || *padding_idx >= n) {
      throw IndexError(layer_str(num_, dim_) + ": padding_idx " + std::to_string(*padding_idx) +
                       " is out of range for " + std::to_string(num_) + " embeddings");
    }
    padding_ = static_cast<std::size_t>(*padding_idx < 0 ? *padding_idx + n : *padding_idx);
  }
  Generator& gen = generator ? *generator : default_generator();
  Tensor<T> w = Tensor<T>::zeros({num_, dim_});
  auto& v = w.mutable_value();
  std::normal_distribution<double> normal(0.0, 1.0);
  for (auto& x : v) x = static_cast<T>(normal(gen));
  if (padding_) {
    for (std::size_t j = 0; j < dim_; ++j) v(*padding_, j) = T(0);
  }
  this->register_parameter("weight", std::move(w));  // own_parameter(0)
}

template <class T>
Tensor<T> Embedding<T>::forward(const xt::xarray<std::size_t>& ids) {
  std::optional<std::ptrdiff_t> pad;
  if (padding_) pad = static_cast<std::ptrdiff_t>(*padding_);
  return embedding(this->own_parameter(0), ids, pad);
}

template <class T>
Tensor<T> Embedding<T>::forward(const Tensor<T>& ids) {
  if (!ids.defined()) throw GraphError(layer_str(num_, dim_) + ": the ids are undefined");
  const auto& v = ids.value();
  xt::xarray<std::size_t> whole = xt::xarray<std::size_t>::from_shape(v.shape());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const T x = v.data()[i];
    // Values at or past 2^53 are whole but may not be the id meant; they are >= V anyway.
    if (!(x >= T(0)) || std::floor(x) != x || !(x < T(9007199254740992.0))) {
      throw DomainError(layer_str(num_, dim_) + ": id " + detail::num_str(x) + " at " +
                        position_str(i, v.shape()) + " is not a non-negative whole number");
    }
    whole.data()[i] = static_cast<std::size_t>(x);
  }
  return forward(whole);
}

template <class T>
std::string Embedding<T>::extra_repr() const {
  std::string s = std::to_string(num_) + ", " + std::to_string(dim_);
  if (padding_) s += ", padding_idx=" + std::to_string(*padding_);
  return s;
}

#define XG_INSTANTIATE(T) template class Embedding<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
