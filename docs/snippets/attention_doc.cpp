// The attention code of docs/autograd.md and docs/nn.md, compiled and run by ctest
// (docs.snippet.attention_doc).
#include <cmath>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"

int main() {
  {
    using Tn = xg::Tensor<double>;
    // snippet-begin: sdpa
    Tn q = Tn::full({2, 4, 8}, 0.1, /*requires_grad=*/true);  // (N, L, E)
    Tn k = Tn::full({2, 6, 8}, 0.2, true);                    // (N, S, E)
    Tn v = Tn::full({2, 6, 3}, 0.3, true);                    // (N, S, Ev)
    Tn y = xg::scaled_dot_product_attention(q, k, v);         // (2, 4, 3)
    Tn c = xg::scaled_dot_product_attention(q, k, v, {.causal = true});
    // A boolean mask, true = attend (PyTorch's bool attn_mask): here key padding, (N, 1, S).
    xt::xarray<bool> keep = xt::ones<bool>({2, 1, 6});
    keep(1, 0, 5) = false;  // the last key of the second sequence is padding
    auto r = xg::scaled_dot_product_attention_with_weights(q, k, v, {.mask = keep});
    // r.weights (2, 4, 6): r.weights.value()(1, i, 5) == 0 exactly for every query i
    // snippet-end: sdpa
    CHECK(y.shape() == (xg::Shape{2, 4, 3}));
    CHECK(c.shape() == (xg::Shape{2, 4, 3}));
    CHECK(r.weights.value()(1, 2, 5) == 0.0);
    CHECK(std::abs(r.weights.value()(1, 2, 4) - 0.2) < 1e-12);
  }
  {
    namespace nn = xg::nn;
    using Tn = xg::Tensor<float>;
    // snippet-begin: transformer
    nn::MultiheadAttention mha(16, 4, {.batch_first = true});  // embed_dim 16, 4 heads
    Tn x = Tn::zeros({2, 5, 16});                              // (N, L, E)
    Tn self = mha(x);                                          // self-attention, (2, 5, 16)
    xt::xarray<bool> pad = xt::zeros<bool>({2, 5});            // true = padding (PyTorch's)
    pad(0, 4) = true;
    auto [out, weights] = mha.attend(x, x, x, {.key_padding_mask = pad, .is_causal = true});
    // weights (2, 5, 5), averaged over the heads

    nn::TransformerEncoderLayer layer(16, 4, {.dim_feedforward = 64, .norm_first = true});
    nn::TransformerEncoder encoder(layer, 3);  // three copies of layer, PyTorch's deepcopy
    Tn h = encoder.encode(Tn::zeros({5, 2, 16}), {.is_causal = true});  // (L, N, E)
    // snippet-end: transformer
    CHECK(self.shape() == (xg::Shape{2, 5, 16}));
    CHECK(out.shape() == (xg::Shape{2, 5, 16}));
    CHECK(weights.shape() == (xg::Shape{2, 5, 5}));
    CHECK(weights.value()(0, 4, 4) == 0.0f);
    CHECK(h.shape() == (xg::Shape{5, 2, 16}));
  }
  return 0;
}
