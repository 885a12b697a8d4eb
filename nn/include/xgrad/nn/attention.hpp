// MultiheadAttention, PyTorch's torch.nn.MultiheadAttention on xg::scaled_dot_product_attention:
//
//   nn::MultiheadAttention<double> mha(8, 2);          // embed_dim 8, 2 heads, (L, N, E) inputs
//   auto y = mha(x);                                    // self-attention, x (L, N, 8)
//   auto [out, w] = mha.attend(q, k, v, {.key_padding_mask = pad, .is_causal = true});
//
// Weight layout: xgrad's, (in, out), so x W reads in the order the data flows. PyTorch's
// weights load transposed: in_proj_weight (E, 3E) = torch's in_proj_weight.T (its columns are
// the q, k, v projections, in that order); q_proj_weight (E, E), k_proj_weight (kdim, E) and
// v_proj_weight (vdim, E) = torch's .T; out_proj.weight (E, E) = torch's out_proj.weight.T.
// Biases load as they are.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include <xtensor/xarray.hpp>

#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct MultiheadAttentionOptions {
  /// Dropout on the attention weights in training (PyTorch's dropout). 0 <= p < 1.
  double dropout = 0.0;
  /// in_proj_bias and out_proj.bias.
  bool bias = true;
  /// Inputs and output (N, L, E) instead of (L, N, E).
  bool batch_first = false;
  /// Features of key and value; 0 = embed_dim. When either differs from embed_dim the
  /// projections are three parameters, q_proj_weight, k_proj_weight, v_proj_weight, instead of
  /// the packed in_proj_weight (as PyTorch).
  std::size_t kdim = 0;
  std::size_t vdim = 0;
  /// Generator for the initial values and the dropout; nullptr = default_generator().
  Generator* generator = nullptr;
};

/// The masks of one attention call, PyTorch's conventions: in both boolean masks true means
/// "may NOT attend" (the opposite of scaled_dot_product_attention's mask). They combine.
template <class T>
struct AttentionMasks {
  /// (N, S), or (S) for unbatched inputs: true marks a padding key no query attends.
  std::optional<xt::xarray<bool>> key_padding_mask = std::nullopt;
  /// (L, S), or (N * num_heads, L, S) per batch element and head: true = not allowed.
  std::optional<xt::xarray<bool>> attn_mask = std::nullopt;
  /// PyTorch's float attn_mask, added to the scores: (L, S) or (N * num_heads, L, S).
  Tensor<T> attn_bias = {};
  /// Masks key j for query i when j > i (the mask PyTorch's generate_square_subsequent_mask
  /// builds, without building it).
  bool is_causal = false;
};

/// What the weights out of attend() are.
struct AttentionWeightsOptions {
  /// Return the weights at all (PyTorch's need_weights).
  bool need_weights = true;
  /// Averaged over the heads, (N, L, S); false keeps them per head, (N, num_heads, L, S).
  bool average_attn_weights = true;
};

template <class T>
struct MultiheadAttentionOutput {
  Tensor<T> output;   ///< (L, N, E), (N, L, E) batch-first, or (L, E) unbatched
  Tensor<T> weights;  ///< undefined unless need_weights; after dropout, as PyTorch's
};

template <class T = float>
class MultiheadAttention : public Module<T> {
 public:
  /// Initialised as PyTorch: in_proj_weight (or q/k/v_proj_weight) Xavier-uniform
  /// U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (fan_in E, fan_out 3E for the packed weight,
  /// as torch computes it on its (3E, E) tensor); out_proj.weight U(-1/sqrt(E), 1/sqrt(E))
  /// (Linear's default); biases 0. DomainError unless embed_dim and num_heads are positive and
  /// embed_dim divides by num_heads, and 0 <= dropout < 1.
  MultiheadAttention(std::size_t embed_dim, std::size_t num_heads,
                     MultiheadAttentionOptions options = {});

  /// Self-attention: attend(x, x, x) without masks, the output only. x (L, N, E), (N, L, E)
  /// batch-first, or (L, E). ShapeError if kdim or vdim differs from embed_dim.
  Tensor<T> forward(const Tensor<T>& x) override;
  /// query (L, N, E), key (S, N, kdim), value (S, N, vdim) (batch-first: N first; unbatched:
  /// no N). ShapeError naming the layer and the shapes for wrong ranks or sizes and for masks
  /// of the wrong shape; DomainError for a query row whose every key is masked.
  MultiheadAttentionOutput<T> attend(const Tensor<T>& query, const Tensor<T>& key,
                                     const Tensor<T>& value, const AttentionMasks<T>& masks = {},
                                     AttentionWeightsOptions weights = {});

  std::string type_name() const override { return "MultiheadAttention"; }
  std::string extra_repr() const override;

  std::size_t embed_dim() const { return embed_dim_; }
  std::size_t num_heads() const { return num_heads_; }
  std::size_t head_dim() const { return embed_dim_ / num_heads_; }
  std::size_t kdim() const { return kdim_; }
  std::size_t vdim() const { return vdim_; }
  bool batch_first() const { return options_.batch_first; }
  /// The packed projection (E, 3E); undefined when kdim or vdim differs from embed_dim.
  Tensor<T>& in_proj_weight() { return packed_ ? this->own_parameter(0) : none_; }
  /// The separate projections; undefined when packed.
  Tensor<T>& q_proj_weight() { return packed_ ? none_ : this->own_parameter(0); }
  Tensor<T>& k_proj_weight() { return packed_ ? none_ : this->own_parameter(1); }
  Tensor<T>& v_proj_weight() { return packed_ ? none_ : this->own_parameter(2); }
  /// (3E); undefined without bias.
  Tensor<T>& in_proj_bias() { return options_.bias ? this->own_parameter(packed_ ? 1 : 3) : none_; }
  Linear<T>& out_proj() { return *out_proj_; }

 private:
  std::string where() const;
  /// Query, key and value projected: (.., E) each.
  void project(const Tensor<T>& query, const Tensor<T>& key, const Tensor<T>& value, Tensor<T>& q,
               Tensor<T>& k, Tensor<T>& v);

  std::size_t embed_dim_, num_heads_, kdim_, vdim_;
  MultiheadAttentionOptions options_;
  bool packed_;
  std::shared_ptr<Linear<T>> out_proj_;
  Tensor<T> none_;
};

}  // namespace xg::nn
