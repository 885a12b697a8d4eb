// MultiheadAttention, TransformerEncoderLayer and TransformerEncoder: parameters, initial
// values, layouts, masks, gradients and second derivatives in double (inputs and parameters),
// dropout, copies, and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "xgrad/nn.hpp"

namespace xg::nn {
namespace attention_tests {

using test::Fn;
using test::uniform;
using D = Tensor<double>;

std::vector<std::string> names_of(const Module<double>& m) {
  std::vector<std::string> names;
  for (const auto& [name, t] : m.named_parameters())
    names.push_back(name + " " + shape_str(t.shape()));
  return names;
}

double max_abs(const D& t) {
  double m = 0;
  for (double v : t.value()) m = std::max(m, std::abs(v));
  return m;
}

TEST(MultiheadAttention, ParametersAreNamedAndShapedAsPyTorchInXgradsLayout) {
  MultiheadAttention<double> packed(8, 2);
  EXPECT_EQ(names_of(packed),
            (std::vector<std::string>{"in_proj_weight (8, 24)", "in_proj_bias (24)",
                                      "out_proj.weight (8, 8)", "out_proj.bias (8)"}));
  MultiheadAttention<double> separate(6, 3, {.bias = false, .kdim = 4, .vdim = 5});
  EXPECT_EQ(names_of(separate),
            (std::vector<std::string>{"q_proj_weight (6, 6)", "k_proj_weight (4, 6)",
                                      "v_proj_weight (5, 6)", "out_proj.weight (6, 6)"}));
  EXPECT_FALSE(separate.in_proj_weight().defined());
  EXPECT_FALSE(separate.in_proj_bias().defined());
  EXPECT_EQ(
      packed.to_string().find("MultiheadAttention(embed_dim=8, num_heads=2, dropout=0, bias=true, "
                              "batch_first=false\n"),
      0u)
      << packed.to_string();
}

TEST(MultiheadAttention, InitialisesAsPyTorch) {
  manual_seed(3);
  const std::size_t e = 64;
  MultiheadAttention<double> m(e, 4);
  // Xavier-uniform on torch's (3E, E): a = sqrt(6 / (E + 3E)).
  const double a = std::sqrt(6.0 / (4.0 * e));
  EXPECT_LE(max_abs(m.in_proj_weight()), a);
  EXPECT_GT(max_abs(m.in_proj_weight()), 0.99 * a);
  const double b = 1.0 / std::sqrt(double(e));  // out_proj: Linear's default
  EXPECT_LE(max_abs(m.out_proj().weight()), b);
  EXPECT_GT(max_abs(m.out_proj().weight()), 0.98 * b);
  EXPECT_EQ(max_abs(m.in_proj_bias()), 0.0);
  EXPECT_EQ(max_abs(m.out_proj().bias()), 0.0);
}

TEST(MultiheadAttention, LayoutsAgree) {
  manual_seed(4);
  MultiheadAttention<double> seq_first(6, 2);
  MultiheadAttention<double> batch_first(6, 2, {.batch_first = true});
  for (std::size_t i = 0; i < 4; ++i) {
    batch_first.named_parameters()[i].second.mutable_value() =
        seq_first.named_parameters()[i].second.value();
  }
  const D x = uniform<double>({5, 3, 6}, -1, 1, 40, false);  // (L, N, E)
  const auto a = seq_first.attend(x, x, x);
  const D xb = permute(x, {1, 0, 2});
  const auto b = batch_first.attend(xb, xb, xb);
  EXPECT_EQ(a.output.shape(), (Shape{5, 3, 6}));
  EXPECT_EQ(a.weights.shape(), (Shape{3, 5, 5}));
  test::expect_close(permute(b.output, {1, 0, 2}).value(), a.output.value(), 1e-14);
  test::expect_close(b.weights.value(), a.weights.value(), 1e-14);
  // Unbatched (L, E) is a batch of one.
  const D x0 = reshape(narrow(x, 1, 1, 1), {5, 6});
  const auto c = seq_first.attend(x0, x0, x0);
  EXPECT_EQ(c.output.shape(), (Shape{5, 6}));
  EXPECT_EQ(c.weights.shape(), (Shape{5, 5}));
  test::expect_close(c.output.value(), reshape(narrow(a.output, 1, 1, 1), {5, 6}).value(), 1e-14);
  // forward(x) is the self-attention output.
  EXPECT_EQ(test::values_of(seq_first(x)), test::values_of(a.output));
}

TEST(MultiheadAttention, MaskedKeysGetExactlyZeroWeight) {
  manual_seed(5);
  MultiheadAttention<double> m(4, 2, {.batch_first = true});
  const D q = uniform<double>({2, 3, 4}, -2, 2, 41, false),
          kv = uniform<double>({2, 5, 4}, -2, 2, 42, false);
  xt::xarray<bool> pad = xt::zeros<bool>({2, 5});
  pad(0, 4) = true;
  pad(1, 0) = true;
  pad(1, 2) = true;
  xt::xarray<bool> band = xt::zeros<bool>({3, 5});
  band(2, 3) = true;
  const auto r = m.attend(q, kv, kv, {.key_padding_mask = pad, .attn_mask = band},
                          {.average_attn_weights = false});
  ASSERT_EQ(r.weights.shape(), (Shape{2, 2, 3, 5}));
  for (std::size_t n = 0; n < 2; ++n) {
    for (std::size_t h = 0; h < 2; ++h) {
      for (std::size_t i = 0; i < 3; ++i) {
        double row = 0;
        for (std::size_t j = 0; j < 5; ++j) {
          const double w = r.weights.value()(n, h, i, j);
          if (pad(n, j) || band(i, j)) {
            EXPECT_EQ(w, 0.0);
          } else {
            EXPECT_GT(w, 0.0);
          }
          row += w;
        }
        EXPECT_NEAR(row, 1.0, 1e-14);
      }
    }
  }
  // Averaged over heads: (N, L, S), the mean of the per-head weights.
  const auto avg = m.attend(q, kv, kv, {.key_padding_mask = pad, .attn_mask = band});
  test::expect_close(avg.weights.value(), mean(r.weights, 1).value(), 1e-15);
  // A per-head (N * H, L, S) mask equals the (L, S) one repeated.
  xt::xarray<bool> per_head = xt::zeros<bool>({4, 3, 5});
  for (std::size_t k = 0; k < 4; ++k) per_head(k, 2, 3) = true;
  const auto ph = m.attend(q, kv, kv, {.key_padding_mask = pad, .attn_mask = per_head});
  EXPECT_EQ(test::values_of(ph.output), test::values_of(avg.output));
  // A float attn_mask with -inf is the same mask.
  D bias = D::zeros({3, 5});
  bias.mutable_value()(2, 3) = -INFINITY;
  const auto fb = m.attend(q, kv, kv, {.key_padding_mask = pad, .attn_bias = bias});
  test::expect_close(fb.output.value(), avg.output.value(), 1e-15);
  EXPECT_FALSE(m.attend(q, kv, kv, {}, {.need_weights = false}).weights.defined());
}

TEST(MultiheadAttention, DropoutOnlyInTraining) {
  Generator gen(9);
  MultiheadAttention<double> m(4, 2, {.dropout = 0.5, .generator = &gen});
  const D x = uniform<double>({6, 2, 4}, -1, 1, 43, false);
  m.eval();
  const auto a = m.attend(x, x, x), b = m.attend(x, x, x);
  EXPECT_EQ(test::values_of(a.output), test::values_of(b.output));
  m.train();
  const auto c = m.attend(x, x, x, {}, {.average_attn_weights = false});
  std::size_t zeros = 0;
  for (double w : c.weights.value()) zeros += w == 0.0;
  EXPECT_GT(zeros, 10u);
}

/// gradcheck and gradgradcheck of the sum of f's outputs times fixed weights, over the inputs
/// and the parameters (assigned from the checked tensors on each call).
void expect_gradchecks(const Fn<double>& f, const std::vector<D>& inputs) {
  EXPECT_GRADCHECK(double, f, inputs);
  EXPECT_GRADGRADCHECK(double, f, inputs);
}

TEST(MultiheadAttentionGrad, SelfAndCrossAttentionWithMasksOverInputsAndParameters) {
  for (std::size_t batch : {1u, 3u}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    manual_seed(6);
    auto m = std::make_shared<MultiheadAttention<double>>(4, 2);
    xt::xarray<bool> pad = xt::zeros<bool>(Shape{batch, 3});
    pad(batch - 1, 2) = true;
    const Fn<double> f = [m, pad](const std::vector<D>& x) {
      m->in_proj_weight() = x[3];
      m->in_proj_bias() = x[4];
      m->out_proj().weight() = x[5];
      m->out_proj().bias() = x[6];
      const auto r = m->attend(x[0], x[1], x[2], {.key_padding_mask = pad});
      return add(sum(mul(r.output, r.output)), sum(mul(r.weights, r.weights)));
    };
    expect_gradchecks(
        f, {uniform<double>({2, batch, 4}, -1, 1, 50), uniform<double>({3, batch, 4}, -1, 1, 51),
            uniform<double>({3, batch, 4}, -1, 1, 52), uniform<double>({4, 12}, -1, 1, 53),
            uniform<double>({12}, -0.5, 0.5, 54), uniform<double>({4, 4}, -1, 1, 55),
            uniform<double>({4}, -0.5, 0.5, 56)});
    const Fn<double> self = [m](const std::vector<D>& x) {
      m->in_proj_weight() = x[1];
      return m->attend(x[0], x[0], x[0], {.is_causal = true}).output;
    };
    expect_gradchecks(
        self, {uniform<double>({3, batch, 4}, -1, 1, 57), uniform<double>({4, 12}, -1, 1, 58)});
  }
}

TEST(MultiheadAttentionGrad, SeparateProjectionsBatchFirst) {
  manual_seed(7);
  auto m = std::make_shared<MultiheadAttention<double>>(
      4, 2, MultiheadAttentionOptions{.batch_first = true, .kdim = 3, .vdim = 2});
  const Fn<double> f = [m](const std::vector<D>& x) {
    m->k_proj_weight() = x[3];
    m->v_proj_weight() = x[4];
    return m->attend(x[0], x[1], x[2]).output;
  };
  expect_gradchecks(f,
                    {uniform<double>({2, 2, 4}, -1, 1, 60), uniform<double>({2, 3, 3}, -1, 1, 61),
                     uniform<double>({2, 3, 2}, -1, 1, 62), uniform<double>({3, 4}, -1, 1, 63),
                     uniform<double>({2, 4}, -1, 1, 64)});
}

TEST(MultiheadAttentionErrors, NameTheLayerAndTheShapes) {
  EXPECT_THROW_WITH(MultiheadAttention<double>(6, 4), DomainError,
                    "MultiheadAttention(embed_dim=6, num_heads=4)", "not divisible");
  EXPECT_THROW_WITH(MultiheadAttention<double>(0, 1), DomainError, "positive");
  EXPECT_THROW_WITH(MultiheadAttention<double>(4, 2, {.dropout = 1.0}), DomainError, "dropout");
  MultiheadAttention<double> m(4, 2);
  const D x = D::zeros({3, 2, 4});
  EXPECT_THROW_WITH(m(D::zeros({3, 2, 5})), ShapeError,
                    "MultiheadAttention(embed_dim=4, num_heads=2)", "query (3, 2, 5)");
  EXPECT_THROW_WITH(m.attend(x, D::zeros({5, 3, 4}), D::zeros({5, 3, 4})), ShapeError,
                    "key (5, 3, 4)", "one N");
  EXPECT_THROW_WITH(m.attend(x, D::zeros({5, 2, 4}), D::zeros({4, 2, 4})), ShapeError,
                    "value (4, 2, 4)");
  EXPECT_THROW_WITH(m.attend(x, x, D::zeros({3, 4})), ShapeError, "must all be 3-D");
  EXPECT_THROW_WITH(
      m.attend(x, x, x, {.key_padding_mask = xt::xarray<bool>(xt::zeros<bool>({3, 2}))}),
      ShapeError, "key_padding_mask of shape (3, 2) should be (2, 3)");
  EXPECT_THROW_WITH(m.attend(x, x, x, {.attn_mask = xt::xarray<bool>(xt::zeros<bool>({2, 3, 3}))}),
                    ShapeError, "attn_mask of shape (2, 3, 3) should be (3, 3) or (4, 3, 3)");
  EXPECT_THROW_WITH(m.attend(x, x, x, {.attn_bias = D::zeros({3, 4})}), ShapeError, "attn_bias");
  xt::xarray<bool> all = xt::zeros<bool>({2, 3});
  all(1, 0) = all(1, 1) = all(1, 2) = true;
  EXPECT_THROW_WITH(m.attend(x, x, x, {.key_padding_mask = all}), DomainError, "every key masked");
  MultiheadAttention<double> cross(4, 2, {.kdim = 3});
  EXPECT_THROW_WITH(cross(x), ShapeError, "kdim 3");
}

// ---- TransformerEncoderLayer / TransformerEncoder ----

TEST(TransformerEncoderLayer, ParametersAndPrintoutAsPyTorch) {
  TransformerEncoderLayer<double> layer(8, 2, {.dim_feedforward = 16});
  EXPECT_EQ(names_of(layer), (std::vector<std::string>{
                                 "self_attn.in_proj_weight (8, 24)", "self_attn.in_proj_bias (24)",
                                 "self_attn.out_proj.weight (8, 8)", "self_attn.out_proj.bias (8)",
                                 "linear1.weight (8, 16)", "linear1.bias (16)",
                                 "linear2.weight (16, 8)", "linear2.bias (8)", "norm1.weight (8)",
                                 "norm1.bias (8)", "norm2.weight (8)", "norm2.bias (8)"}));
  const std::string text = layer.to_string();
  EXPECT_NE(
      text.find("TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, "
                "activation=relu, layer_norm_eps=1e-05, batch_first=false, norm_first=false\n"),
      std::string::npos)
      << text;
  EXPECT_THROW_WITH(TransformerEncoderLayer<double>(6, 4), DomainError, "not divisible");
  EXPECT_THROW_WITH(TransformerEncoderLayer<double>(4, 2, {.dim_feedforward = 0}), DomainError,
                    "dim_feedforward");
}

TEST(TransformerEncoderLayer, EvaluationIsDeterministicAndEqualsNoDropout) {
  manual_seed(8);
  TransformerEncoderLayer<double> drop(4, 2, {.dim_feedforward = 6, .dropout = 0.3});
  manual_seed(8);
  TransformerEncoderLayer<double> none(4, 2, {.dim_feedforward = 6, .dropout = 0.0});
  const D x = uniform<double>({5, 2, 4}, -1, 1, 70, false);
  drop.eval();
  EXPECT_EQ(test::values_of(drop(x)), test::values_of(none(x)));
  drop.train();
  EXPECT_NE(test::values_of(drop(x)), test::values_of(none(x)));
}

TEST(TransformerEncoderLayerGrad, BothNormPlacementsAndActivationsWithMasks) {
  for (bool norm_first : {false, true}) {
    for (auto act : {TransformerActivation::relu, TransformerActivation::gelu}) {
      for (std::size_t batch : {1u, 3u}) {
        SCOPED_TRACE(std::string("norm_first ") + (norm_first ? "1" : "0") + ", " +
                     (act == TransformerActivation::relu ? "relu" : "gelu") + ", batch " +
                     std::to_string(batch));
        manual_seed(9);
        auto layer = std::make_shared<TransformerEncoderLayer<double>>(
            4, 2,
            TransformerEncoderLayerOptions{
                .dim_feedforward = 5, .dropout = 0.0, .activation = act, .norm_first = norm_first});
        xt::xarray<bool> pad = xt::zeros<bool>(Shape{batch, 3});
        pad(batch - 1, 2) = true;
        const Fn<double> f = [layer, pad](const std::vector<D>& x) {
          layer->linear1().weight() = x[1];
          layer->norm1().weight() = x[2];
          layer->self_attn().in_proj_weight() = x[3];
          return layer->encode(x[0], {.key_padding_mask = pad, .is_causal = true});
        };
        expect_gradchecks(
            f, {uniform<double>({3, batch, 4}, -1, 1, 71), uniform<double>({4, 5}, -1, 1, 72),
                uniform<double>({4}, 0.5, 1.5, 73), uniform<double>({4, 12}, -1, 1, 74)});
      }
    }
  }
}

TEST(TransformerEncoder, CopiesTheLayerAndRunsTheStack) {
  manual_seed(10);
  TransformerEncoderLayer<double> layer(4, 2, {.dim_feedforward = 6, .dropout = 0.0});
  TransformerEncoder<double> enc(layer, 3, make<LayerNorm<double>>(Shape{4}));
  EXPECT_EQ(enc.num_layers(), 3u);
  const auto named = enc.named_parameters();
  EXPECT_EQ(named.front().first, "layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(named.back().first, "norm.bias");
  EXPECT_EQ(named.size(), 3 * 12 + 2u);
  // Same values as the source, but tensors of their own.
  EXPECT_EQ(test::values_of(enc.layer(2).linear1().weight()),
            test::values_of(layer.linear1().weight()));
  enc.layer(1).linear1().weight().mutable_value()(0, 0) += 1;
  EXPECT_NE(test::values_of(enc.layer(1).linear1().weight()),
            test::values_of(layer.linear1().weight()));
  enc.layer(1).linear1().weight().mutable_value()(0, 0) -= 1;
  const D x = uniform<double>({3, 2, 4}, -1, 1, 80, false);
  D y = x;
  for (std::size_t i = 0; i < 3; ++i) y = layer(y);
  LayerNorm<double> norm(Shape{4});
  test::expect_close(enc(x).value(), norm(y).value(), 1e-14);
  EXPECT_THROW_WITH(TransformerEncoder<double>(layer, 0), DomainError, "num_layers");
  // Gradients through the stack with masks.
  auto stack = std::make_shared<TransformerEncoder<double>>(layer, 2);
  const Fn<double> f = [stack](const std::vector<D>& v) {
    return stack->encode(v[0], {.is_causal = true});
  };
  expect_gradchecks(f, {uniform<double>({3, 2, 4}, -1, 1, 81)});
}

}  // namespace attention_tests
}  // namespace xg::nn
