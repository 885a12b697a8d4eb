// TransformerEncoderLayer and TransformerEncoder, PyTorch's torch.nn ones:
//
//   nn::TransformerEncoderLayer<double> layer(8, 2, {.dim_feedforward = 32, .dropout = 0.1});
//   auto y = layer(x);                                       // x (L, N, 8), no masks
//   auto z = layer.encode(x, {.key_padding_mask = pad, .is_causal = true});
//   nn::TransformerEncoder<double> encoder(layer, 6);        // six copies of `layer`
//
// Post-norm (norm_first = false, the default):
//   x = norm1(x + dropout1(self_attn(x)));  x = norm2(x + dropout2(ff(x)))
// pre-norm (norm_first = true):
//   x = x + dropout1(self_attn(norm1(x)));  x = x + dropout2(ff(norm2(x)))
// with ff(x) = linear2(dropout(activation(linear1(x)))).
//
// Children and parameters as PyTorch names them (self_attn.in_proj_weight, linear1.weight,
// norm1.weight, ...). The Linear weights are xgrad's (in, out): load PyTorch's transposed
// (linear1.weight = torch's linear1.weight.T, and MultiheadAttention's, see attention.hpp);
// LayerNorm weights and every bias load as they are.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "xgrad/nn/attention.hpp"
#include "xgrad/nn/dropout.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/normalization.hpp"
#include "xgrad/nn/sequential.hpp"

namespace xg::nn {

/// The feed-forward block's activation: PyTorch's activation="relu" or "gelu" (the exact one).
enum class TransformerActivation { relu, gelu };

struct TransformerEncoderLayerOptions {
  std::size_t dim_feedforward = 2048;
  /// The p of every dropout: on the attention weights, in the feed-forward block, and after
  /// each block (dropout, dropout1, dropout2). 0 <= p < 1.
  double dropout = 0.1;
  TransformerActivation activation = TransformerActivation::relu;
  double layer_norm_eps = 1e-5;
  /// Inputs and output (N, L, E) instead of (L, N, E).
  bool batch_first = false;
  /// LayerNorm before each block (pre-norm) instead of after the residual addition.
  bool norm_first = false;
  /// Generator for the initial values and the dropouts; nullptr = default_generator().
  Generator* generator = nullptr;
};

template <class T = float>
class TransformerEncoderLayer : public Module<T> {
 public:
  /// Initialised as PyTorch: self_attn as MultiheadAttention's, linear1 / linear2 weights and
  /// biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), LayerNorms weight 1, bias 0. DomainError
  /// unless d_model divides by nhead, dim_feedforward > 0, 0 <= dropout < 1, eps > 0.
  TransformerEncoderLayer(std::size_t d_model, std::size_t nhead,
                          TransformerEncoderLayerOptions options = {});
  /// encode(src) without masks.
  Tensor<T> forward(const Tensor<T>& src) override;
  /// src (L, N, E), (N, L, E) batch-first, or (L, E); the masks go to self_attn (PyTorch's
  /// src_mask is masks.attn_mask or attn_bias, src_key_padding_mask is key_padding_mask).
  Tensor<T> encode(const Tensor<T>& src, const AttentionMasks<T>& masks = {});

  std::string type_name() const override { return "TransformerEncoderLayer"; }
  std::string extra_repr() const override;

  std::size_t d_model() const { return d_model_; }
  std::size_t nhead() const { return nhead_; }
  const TransformerEncoderLayerOptions& options() const { return options_; }
  MultiheadAttention<T>& self_attn() { return *self_attn_; }
  Linear<T>& linear1() { return *linear1_; }
  Linear<T>& linear2() { return *linear2_; }
  LayerNorm<T>& norm1() { return *norm1_; }
  LayerNorm<T>& norm2() { return *norm2_; }

 private:
  Tensor<T> self_attention_block(const Tensor<T>& x, const AttentionMasks<T>& masks);
  Tensor<T> feed_forward_block(const Tensor<T>& x);

  std::size_t d_model_, nhead_;
  TransformerEncoderLayerOptions options_;
  std::shared_ptr<MultiheadAttention<T>> self_attn_;
  std::shared_ptr<Linear<T>> linear1_;
  std::shared_ptr<Dropout<T>> dropout_;
  std::shared_ptr<Linear<T>> linear2_;
  std::shared_ptr<LayerNorm<T>> norm1_, norm2_;
  std::shared_ptr<Dropout<T>> dropout1_, dropout2_;
};

/// num_layers copies of an encoder layer applied in turn (PyTorch's TransformerEncoder, whose
/// copies are deep copies: every layer starts with `layer`'s parameter values), then `norm`
/// if given. Children: layers (layers.0, layers.1, ...) and norm.
template <class T = float>
class TransformerEncoder : public Module<T> {
 public:
  /// DomainError for num_layers = 0.
  TransformerEncoder(const TransformerEncoderLayer<T>& layer, std::size_t num_layers,
                     std::shared_ptr<Module<T>> norm = nullptr);
  Tensor<T> forward(const Tensor<T>& src) override;
  /// Every layer gets the same masks.
  Tensor<T> encode(const Tensor<T>& src, const AttentionMasks<T>& masks = {});

  std::string type_name() const override { return "TransformerEncoder"; }
  std::string extra_repr() const override;

  std::size_t num_layers() const { return layers_.size(); }
  TransformerEncoderLayer<T>& layer(std::size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::shared_ptr<TransformerEncoderLayer<T>>> layers_;
  std::shared_ptr<Module<T>> norm_;
};

}  // namespace xg::nn
