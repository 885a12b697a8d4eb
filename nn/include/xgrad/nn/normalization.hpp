// Normalisation layers as PyTorch's: BatchNorm1d / BatchNorm2d (batch statistics in training,
// running statistics kept as buffers for evaluation) and LayerNorm.
#pragma once

#include <cstddef>
#include <optional>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  /// The weight of each batch in the running statistics; std::nullopt takes their cumulative
  /// average instead (the factor 1 / num_batches_tracked), as PyTorch's momentum=None.
  std::optional<double> momentum = 0.1;
  /// Learnable weight (initialised to 1) and bias (0) of shape (num_features).
  bool affine = true;
  /// Keep running_mean (initialised to 0), running_var (1) and num_batches_tracked (0) as
  /// buffers, updated by each training forward and used in evaluation. Without them both modes
  /// normalise with the batch's statistics.
  bool track_running_stats = true;
};

/// The batch norm layers' common part; BatchNorm1d and BatchNorm2d fix the accepted ranks.
/// Training (train()): y = xg::batch_norm with the batch's mean and biased variance, and the
/// running statistics updated with the unbiased one; evaluation (eval()): with the running
/// statistics. num_batches_tracked is a buffer of T (exact up to 2^24 batches in float).
template <class T = float>
class BatchNorm : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override;
  /// "BatchNorm1d" or "BatchNorm2d" (known here already, as the registrations name the layer).
  std::string type_name() const override { return name_; }
  std::string extra_repr() const override;

  std::size_t num_features() const { return features_; }
  const BatchNormOptions& options() const { return options_; }
  /// Undefined without affine parameters.
  Tensor<T>& weight() { return options_.affine ? this->own_parameter(0) : none_; }
  Tensor<T>& bias() { return options_.affine ? this->own_parameter(1) : none_; }
  /// The buffers; undefined when track_running_stats is false.
  Tensor<T>& running_mean() { return tracked() ? this->own_buffer(0) : none_; }
  Tensor<T>& running_var() { return tracked() ? this->own_buffer(1) : none_; }
  Tensor<T>& num_batches_tracked() { return tracked() ? this->own_buffer(2) : none_; }

 protected:
  /// DomainError for 0 features, eps <= 0 or a momentum outside [0, 1].
  BatchNorm(const char* name, std::size_t num_features, BatchNormOptions options,
            std::size_t min_rank, std::size_t max_rank, const char* layout);

 private:
  bool tracked() const { return options_.track_running_stats; }
  std::string layer_str() const;

  std::size_t features_;
  BatchNormOptions options_;
  std::size_t min_rank_, max_rank_;
  const char* name_;
  const char* layout_;
  Tensor<T> none_;
};

/// Batch norm over (N, C) or (N, C, L) inputs, per channel C.
template <class T = float>
class BatchNorm1d : public BatchNorm<T> {
 public:
  explicit BatchNorm1d(std::size_t num_features, BatchNormOptions options = {})
      : BatchNorm<T>("BatchNorm1d", num_features, options, 2, 3, "(N, C) or (N, C, L)") {}
};

/// Batch norm over (N, C, H, W) inputs, per channel C.
template <class T = float>
class BatchNorm2d : public BatchNorm<T> {
 public:
  explicit BatchNorm2d(std::size_t num_features, BatchNormOptions options = {})
      : BatchNorm<T>("BatchNorm2d", num_features, options, 4, 4, "(N, C, H, W)") {}
};

/// Layer norm over the trailing axes normalized_shape (xg::layer_norm), with a learnable
/// weight (1) and bias (0) of that shape when elementwise_affine. The same in training and
/// evaluation. DomainError for an empty normalized_shape, one with a 0, or eps <= 0.
template <class T = float>
class LayerNorm : public Module<T> {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string type_name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;

  const Shape& normalized_shape() const { return shape_; }
  Tensor<T>& weight() { return affine_ ? this->own_parameter(0) : none_; }
  Tensor<T>& bias() { return affine_ ? this->own_parameter(1) : none_; }

 private:
  Shape shape_;
  double eps_;
  bool affine_;
  Tensor<T> none_;
};

}  // namespace xg::nn
