// BatchNorm1d / BatchNorm2d and LayerNorm (see normalization.hpp).
#include "xgrad/nn/normalization.hpp"

#include <algorithm>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/normalization.hpp"

namespace xg::nn {

template <class T>
BatchNorm<T>::BatchNorm(const char* name, std::size_t num_features, BatchNormOptions options,
                        std::size_t min_rank, std::size_t max_rank, const char* layout)
    : features_(num_features),
      options_(options),
      min_rank_(min_rank),
      max_rank_(max_rank),
      name_(name),
      layout_(layout) {
  const std::string where = std::string(name) + "(" + std::to_string(num_features) + ")";
  if (num_features == 0) throw DomainError(where + ": num_features must be positive");
  if (!(options.eps > 0)) {
    throw DomainError(where + ": eps must be > 0, got " + detail::num_str(options.eps));
  }
  if (options.momentum && !(*options.momentum >= 0 && *options.momentum <= 1)) {
    throw DomainError(where + ": momentum must be in [0, 1], got " +
                      detail::num_str(*options.momentum));
  }
  if (options.affine) {
    this->register_parameter("weight", Tensor<T>::ones({num_features}));  // own_parameter(0)
    this->register_parameter("bias", Tensor<T>::zeros({num_features}));   // own_parameter(1)
  }
  if (options.track_running_stats) {
    this->register_buffer("running_mean", Tensor<T>::zeros({num_features}));  // own_buffer(0)
    this->register_buffer("running_var", Tensor<T>::ones({num_features}));    // own_buffer(1)
    this->register_buffer("num_batches_tracked", Tensor<T>::zeros({}));       // own_buffer(2)
  }
}

template <class T>
std::string BatchNorm<T>::layer_str() const {
  return this->type_name() + "(" + std::to_string(features_) + ")";
}

template <class T>
Tensor<T> BatchNorm<T>::forward(const Tensor<T>& x) {
  if (!x.defined()) throw GraphError(layer_str() + ": the input is undefined");
  const Shape s = x.shape();
  if (s.size() < min_rank_ || s.size() > max_rank_) {
    throw ShapeError(layer_str() + ": expected an input of shape " + layout_ + ", got shape " +
                     shape_str(s));
  }
  if (s[1] != features_) {
    throw ShapeError(layer_str() + ": the input of shape " + shape_str(s) + " has " +
                     std::to_string(s[1]) + " channels (axis 1), expected " +
                     std::to_string(features_));
  }
  // PyTorch's _BatchNorm.forward: the batch's statistics in training or without running ones.
  const bool training = this->is_training();
  double factor = options_.momentum.value_or(0.0);
  T batches = 0;
  if (training && tracked()) {
    batches = num_batches_tracked().value()() + T(1);
    if (!options_.momentum) factor = 1.0 / static_cast<double>(batches);
  }
  Tensor<T> y = batch_norm(x, running_mean(), running_var(), weight(), bias(),
                           training || !tracked(), factor, options_.eps);
  if (training && tracked()) num_batches_tracked().mutable_value()() = batches;
  return y;
}

template <class T>
std::string BatchNorm<T>::extra_repr() const {
  return std::to_string(features_) + ", eps=" + detail::num_str(options_.eps) + ", momentum=" +
         (options_.momentum ? detail::num_str(*options_.momentum) : std::string("None")) +
         ", affine=" + detail::bool_str(options_.affine) +
         ", track_running_stats=" + detail::bool_str(options_.track_running_stats);
}

template <class T>
LayerNorm<T>::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : shape_(std::move(normalized_shape)), eps_(eps), affine_(elementwise_affine) {
  const std::string where = "LayerNorm(" + shape_str(shape_) + ")";
  if (shape_.empty() || std::count(shape_.begin(), shape_.end(), std::size_t{0}) > 0) {
    throw DomainError(where + ": normalized_shape must be non-empty, without a 0");
  }
  if (!(eps > 0)) throw DomainError(where + ": eps must be > 0, got " + detail::num_str(eps));
  if (affine_) {
    this->register_parameter("weight", Tensor<T>::ones(shape_));  // own_parameter(0)
    this->register_parameter("bias", Tensor<T>::zeros(shape_));   // own_parameter(1)
  }
}

template <class T>
Tensor<T> LayerNorm<T>::forward(const Tensor<T>& x) {
  const std::string where = "LayerNorm(" + shape_str(shape_) + ")";
  if (!x.defined()) throw GraphError(where + ": the input is undefined");
  const Shape s = x.shape();
  if (s.size() < shape_.size() ||
      !std::equal(shape_.begin(), shape_.end(), s.end() - shape_.size())) {
    throw ShapeError(where + ": the input of shape " + shape_str(s) + " does not end in " +
                     shape_str(shape_));
  }
  return layer_norm(x, shape_, weight(), bias(), eps_);
}

template <class T>
std::string LayerNorm<T>::extra_repr() const {
  return shape_str(shape_) + ", eps=" + detail::num_str(eps_) +
         ", elementwise_affine=" + detail::bool_str(affine_);
}

#define XG_INSTANTIATE(T)        \
  template class BatchNorm<T>;   \
  template class BatchNorm1d<T>; \
  template class BatchNorm2d<T>; \
  template class LayerNorm<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
