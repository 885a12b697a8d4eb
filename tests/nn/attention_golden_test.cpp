// Layer-level golden values from PyTorch: MultiheadAttention, TransformerEncoderLayer and
// TransformerEncoder with PyTorch's weights (loaded in xgrad's layout by
// scripts/golden_attention.py), a key padding mask and a causal mask, in double. Outputs,
// attention weights and the gradients with respect to the inputs and every parameter match
// tests/fixtures/golden_attention.json to 1e-10. The causal mask is given both ways, as
// is_causal and as PyTorch's boolean attn_mask.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "xgrad/nn.hpp"

namespace xg::nn {
namespace attention_golden_tests {

using json = nlohmann::json;
using D = Tensor<double>;

constexpr double kTol = 1e-10;

const json& cases() {
  static const json doc = [] {
    const std::string path =
        std::string(XGRAD_SOURCE_DIR) + "/tests/fixtures/golden_attention.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return json::parse(in);
  }();
  return doc.at("cases");
}

xt::xarray<double> array_of(const json& a) {
  return D::from(a.at("shape").get<Shape>(), a.at("values").get<std::vector<double>>()).value();
}

xt::xarray<bool> bools_of(const json& a) {
  const auto values = a.at("values").get<std::vector<bool>>();
  xt::xarray<bool> out = xt::xarray<bool>::from_shape(a.at("shape").get<Shape>());
  for (std::size_t i = 0; i < values.size(); ++i) out.flat(i) = values[i];
  return out;
}

/// PyTorch's causal attn_mask: true above the diagonal (may not attend).
xt::xarray<bool> upper_triangle(std::size_t l) {
  xt::xarray<bool> m = xt::xarray<bool>::from_shape({l, l});
  for (std::size_t i = 0; i < l; ++i) {
    for (std::size_t j = 0; j < l; ++j) m(i, j) = j > i;
  }
  return m;
}

/// Loads the case's parameters (by name) and checks that the module names them, in order,
/// as PyTorch does.
void load_parameters(Module<double>& m, const json& c) {
  const auto torch_names = c.at("param_names").get<std::vector<std::string>>();
  const auto named = m.named_parameters();
  std::vector<std::string> names;
  for (const auto& [name, t] : named) names.push_back(name);
  ASSERT_EQ(names, torch_names);
  for (const auto& [name, t] : named) {
    Tensor<double> p = t;
    const xt::xarray<double> v = array_of(c.at("params").at(name));
    ASSERT_EQ(Shape(p.shape()), Shape(v.shape().begin(), v.shape().end())) << name;
    p.mutable_value() = v;
  }
}

TransformerEncoderLayerOptions layer_options(const json& cfg) {
  return {.dim_feedforward = cfg.at("dim_feedforward").get<std::size_t>(),
          .dropout = 0.0,
          .activation = cfg.at("activation").get<std::string>() == "relu"
                            ? TransformerActivation::relu
                            : TransformerActivation::gelu,
          .layer_norm_eps = cfg.at("layer_norm_eps").get<double>(),
          .batch_first = cfg.at("batch_first").get<bool>(),
          .norm_first = cfg.at("norm_first").get<bool>()};
}

/// Builds the case's module with PyTorch's parameters, runs it with the masks (causal as
/// is_causal or as attn_mask), and compares outputs and gradients.
void check_case(const json& c, bool causal_flag) {
  const json& cfg = c.at("config");
  const std::string kind = c.at("kind").get<std::string>();
  std::shared_ptr<Module<double>> module;
  std::shared_ptr<MultiheadAttention<double>> mha;
  std::shared_ptr<TransformerEncoderLayer<double>> layer;
  std::shared_ptr<TransformerEncoder<double>> encoder;
  if (kind == "multihead_attention") {
    mha = std::make_shared<MultiheadAttention<double>>(
        cfg.at("embed_dim").get<std::size_t>(), cfg.at("num_heads").get<std::size_t>(),
        MultiheadAttentionOptions{.bias = cfg.at("bias").get<bool>(),
                                  .batch_first = cfg.at("batch_first").get<bool>(),
                                  .kdim = cfg.at("kdim").get<std::size_t>(),
                                  .vdim = cfg.at("vdim").get<std::size_t>()});
    module = mha;
  } else if (kind == "transformer_encoder_layer") {
    layer = std::make_shared<TransformerEncoderLayer<double>>(cfg.at("d_model").get<std::size_t>(),
                                                              cfg.at("nhead").get<std::size_t>(),
                                                              layer_options(cfg));
    module = layer;
  } else {
    ASSERT_EQ(kind, "transformer_encoder");
    const std::size_t d = cfg.at("d_model").get<std::size_t>();
    const TransformerEncoderLayer<double> proto(d, cfg.at("nhead").get<std::size_t>(),
                                                layer_options(cfg));
    encoder = std::make_shared<TransformerEncoder<double>>(
        proto, cfg.at("num_layers").get<std::size_t>(), make<LayerNorm<double>>(Shape{d}));
    module = encoder;
  }
  load_parameters(*module, c);

  std::map<std::string, D> inputs;
  for (const auto& [name, a] : c.at("inputs").items()) {
    inputs[name] =
        D::from(a.at("shape").get<Shape>(), a.at("values").get<std::vector<double>>(), true);
  }
  AttentionMasks<double> masks;
  masks.key_padding_mask = bools_of(c.at("masks").at("key_padding_mask"));
  if (c.at("masks").at("causal").get<bool>()) {
    if (causal_flag) {
      masks.is_causal = true;
    } else {
      const Shape qs = inputs.contains("x") ? inputs.at("x").shape() : inputs.at("query").shape();
      const bool bf = cfg.contains("batch_first") && cfg.at("batch_first").get<bool>();
      masks.attn_mask = upper_triangle(bf ? qs[1] : qs[0]);
    }
  }

  std::vector<D> outputs;
  if (mha) {
    const D& q = inputs.contains("x") ? inputs.at("x") : inputs.at("query");
    const D& k = inputs.contains("x") ? inputs.at("x") : inputs.at("key");
    const D& v = inputs.contains("x") ? inputs.at("x") : inputs.at("value");
    const auto r = mha->attend(
        q, k, v, masks, {.average_attn_weights = cfg.at("average_attn_weights").get<bool>()});
    outputs = {r.output, r.weights};
  } else if (layer) {
    outputs = {layer->encode(inputs.at("x"), masks)};
  } else {
    outputs = {encoder->encode(inputs.at("x"), masks)};
  }
  ASSERT_EQ(outputs.size(), c.at("outputs").size());
  D loss = D::scalar(0.0);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    SCOPED_TRACE("output " + std::to_string(i));
    test::expect_close(outputs[i].value(), array_of(c.at("outputs")[i]), kTol);
    const D cot = D::from(outputs[i].shape(), c.at("cotangents")[i].get<std::vector<double>>());
    loss = add(loss, sum(mul(outputs[i], cot)));
  }
  loss.backward();
  for (const auto& [name, g] : c.at("input_grads").items()) {
    SCOPED_TRACE("gradient of input " + name);
    ASSERT_TRUE(inputs.at(name).has_grad());
    test::expect_close(inputs.at(name).grad().value(), array_of(g), kTol);
  }
  for (const auto& [name, p] : module->named_parameters()) {
    SCOPED_TRACE("gradient of parameter " + name);
    ASSERT_TRUE(p.has_grad());
    test::expect_close(p.grad().value(), array_of(c.at("param_grads").at(name)), kTol);
  }
}

TEST(AttentionGolden, MatchesPyTorchWithIsCausal) {
  ASSERT_GE(cases().size(), 10u);
  for (const json& c : cases()) {
    SCOPED_TRACE("case " + c.at("name").get<std::string>());
    check_case(c, true);
  }
}

TEST(AttentionGolden, MatchesPyTorchWithACausalAttnMask) {
  for (const json& c : cases()) {
    SCOPED_TRACE("case " + c.at("name").get<std::string>());
    check_case(c, false);
  }
}

}  // namespace attention_golden_tests
}  // namespace xg::nn
