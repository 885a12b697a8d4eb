// Scaled dot-product attention, PyTorch's F.scaled_dot_product_attention:
//
//   auto y = xg::scaled_dot_product_attention(q, k, v);                    // no mask
//   auto z = xg::scaled_dot_product_attention(q, k, v, {.causal = true});  // j > i masked
//   auto w = xg::scaled_dot_product_attention(q, k, v, keep);              // bool, true = attend
//
// Composed of recorded operations (matmul with a transposed operand, add, where, softmax, mul),
// so its gradients of any order follow from their rules. Masked positions enter the softmax as
// -inf and get a weight of exactly zero (and a gradient of exactly zero).
#pragma once

#include <concepts>
#include <optional>

#include <xtensor/xarray.hpp>

#include "xgrad/random.hpp"
#include "xgrad/tensor.hpp"

namespace xg {

/// Masks, scale and dropout of scaled_dot_product_attention. Every field is optional; the
/// masks combine (a position is masked if any of them masks it).
template <class T>
struct AttentionOptions {
  /// Boolean mask, true = query i may attend key j (PyTorch's bool attn_mask), of a shape that
  /// broadcasts to the scores' (..., L, S) without enlarging them: (L, S), (N, 1, L, S),
  /// (N, 1, 1, S) for key padding, ...
  std::optional<xt::xarray<bool>> mask = std::nullopt;
  /// Additive float mask (PyTorch's float attn_mask), added to the scaled scores before the
  /// softmax; the same broadcasting rule. -inf masks a position exactly (a large finite
  /// negative value only nearly); it may require grad (a learned bias, ALiBi).
  Tensor<T> bias = {};
  /// Masks key j for query i when j > i (PyTorch's is_causal: the lower triangle of an (L, S)
  /// matrix of ones, aligned at the top left also when L != S).
  bool causal = false;
  /// The factor of q k^T; std::nullopt is 1 / sqrt(E).
  std::optional<double> scale = std::nullopt;
  /// Dropout on the attention weights (inverted: survivors scaled by 1 / (1 - p)), one draw per
  /// weight from `generator` or the default generator; 0 draws nothing. 0 <= p < 1.
  double dropout_p = 0.0;
  Generator* generator = nullptr;
};

/// The output and the weights that multiplied v (after dropout, as PyTorch's
/// MultiheadAttention returns them).
template <class T>
struct AttentionResult {
  Tensor<T> output;   ///< (..., L, Ev)
  Tensor<T> weights;  ///< (..., L, S): softmax(q k^T scale + bias, masked), rows summing to 1
};

/// softmax(q k^T * scale + bias, masked) v for q (..., L, E), k (..., S, E), v (..., S, Ev):
/// (..., L, Ev). The leading (batch) axes of q, k and v broadcast NumPy-style. q k^T is one
/// matmul with k transposed by a BLAS flag (no copy); q is scaled before it (L E products
/// rather than L S), as PyTorch's multi_head_attention_forward does.
///
/// A query row whose every key is masked (by mask, causal or -inf in bias) is a DomainError
/// naming the op and the row (PyTorch returns NaN for it). ShapeError, naming the op and every
/// shape, for ranks below 2, a q/k feature or k/v length mismatch, batch axes that do not
/// broadcast, a mask or bias that does not broadcast to the scores, no keys (S = 0) or E = 0
/// without a scale. DomainError for a dropout_p outside [0, 1).
template <class T>
AttentionResult<T> scaled_dot_product_attention_with_weights(
    const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
    const AttentionOptions<T>& options = {});

/// The output of scaled_dot_product_attention_with_weights.
template <class T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                       const AttentionOptions<T>& options = {});
/// With a boolean mask, true = attend (PyTorch's bool attn_mask), and the causal flag. (M is
/// xt::xarray<bool>; a template so that a braced list such as {.causal = true} picks the
/// options overload.)
template <class T, class M>
requires std::same_as<M, xt::xarray<bool>> Tensor<T> scaled_dot_product_attention(
    const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const M& mask,
    bool causal = false) {
  AttentionOptions<T> options;
  options.mask = mask;
  options.causal = causal;
  return scaled_dot_product_attention(q, k, v, options);
}
/// With an additive float mask (PyTorch's float attn_mask; -inf masks), and the causal flag.
template <class T, class B>
requires std::same_as<B, Tensor<T>> Tensor<T> scaled_dot_product_attention(const Tensor<T>& q,
                                                                           const Tensor<T>& k,
                                                                           const Tensor<T>& v,
                                                                           const B& bias,
                                                                           bool causal = false) {
  AttentionOptions<T> options;
  options.bias = bias;
  options.causal = causal;
  return scaled_dot_product_attention(q, k, v, options);
}

}  // namespace xg
