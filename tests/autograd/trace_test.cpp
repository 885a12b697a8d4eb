// The backward trace: on the ice-cream network's output bias it shows the chain
// dMSE/db = dMSE/dr̂ · dr̂/dz · dz/db with the numbers, as text and as parseable JSON lines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ice_cream_data.hpp"
#include "test_support.hpp"
#include "xgrad/tools/trace.hpp"

namespace {

using Tn = xg::Tensor<double>;
using Json = nlohmann::json;

/// One object per non-empty line. nlohmann::json::parse is strict and throws on malformed input,
/// so "valid JSON" is part of each test; .at() throws on a missing key or index for the same
/// reason.
std::vector<Json> parse_json_lines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out.push_back(Json::parse(line));
  }
  return out;
}

struct IceCreamTrace {
  std::vector<Json> events;
  std::string text;
  Tn bias;
  std::vector<double> z, r, y;  // the output neuron's input, the prediction r̂, the target
};

/// Gradient descent on the output bias alone: everything else sits at its optimum.
IceCreamTrace run_ice_cream(double bias) {
  const Tn x = ice_cream::inputs<double>();
  const Tn y = ice_cream::targets<double>();
  auto p = ice_cream::true_params<double>();
  p.b_out = Tn::from({1}, {bias}, true).set_name("b");
  auto loss = xg::mse_loss(ice_cream::predict(p, x), y);
  std::ostringstream json, text;
  {
    xg::BackwardTrace<double> trace({.text = &text, .json = &json});
    loss.backward();
  }
  IceCreamTrace t{parse_json_lines(json.str()), text.str(), p.b_out, {}, {}, {}};
  const auto& w1 = p.w_hidden.value();
  const auto& b1 = p.b_hidden.value();
  const auto& w2 = p.w_out.value();
  for (std::size_t i = 0; i < ice_cream::kRows; ++i) {
    double z = bias;
    for (std::size_t j = 0; j < 2; ++j) {
      z +=
          std::max(b1(j) + x.value()(i, 0) * w1(0, j) + x.value()(i, 1) * w1(1, j), 0.0) * w2(j, 0);
    }
    t.z.push_back(z);
    t.r.push_back(std::max(z, 0.0));
    t.y.push_back(y.value()(i, 0));
  }
  return t;
}

void expect_values_trace(const Json& got, const std::vector<double>& want, const char* what) {
  ASSERT_TRUE(got.is_array()) << what;
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got.at(i).get<double>(), want[i], 1e-15) << what << " [" << i << "]";
  }
}

TEST(BackwardTrace, IceCreamBiasShowsTheChainRuleWithNumbers) {
  for (double bias : {0.0, 0.3, -0.25}) {
    SCOPED_TRACE("bias " + std::to_string(bias));
    const auto t = run_ice_cream(bias);
    const std::size_t n = ice_cream::kRows;
    // mse_loss (one fused operation), relu, add(hW2, b), then b's gradient.
    ASSERT_EQ(t.events.size(), 4u) << t.text;
    const char* ops[] = {"mse_loss", "relu", "add"};
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(t.events[k].at("event").get<std::string>(), "backward");
      EXPECT_EQ(t.events[k].at("op").get<std::string>(), ops[k]);
      EXPECT_EQ(t.events[k].at("step").get<double>(), double(k));
      EXPECT_EQ(t.events[k].at("rule").get<std::string>(), xg::derivative_rule(ops[k]));
    }
    expect_values_trace(t.events[0].at("grad"), {1.0}, "seed dMSE/dMSE");

    std::vector<double> dmse_dr, dr_dz, dmse_dz;
    double dmse_db = 0;
    for (std::size_t i = 0; i < n; ++i) {
      dmse_dr.push_back(2.0 / n * (t.r[i] - t.y[i]));  // d/dr̂ of (1/N) Σ (r̂ - y)²
      dr_dz.push_back(t.z[i] > 0 ? 1.0 : 0.0);         // relu'
      dmse_dz.push_back(dmse_dr[i] * dr_dz[i]);
      dmse_db += dmse_dz[i] * 1.0;  // dz/db = 1 for every row; the bias is shared: sum
    }
    const Json& mse = t.events[0];
    expect_values_trace(mse.at("inputs").at(0).at("contribution"), dmse_dr, "dMSE/dr̂");
    EXPECT_TRUE(mse.at("inputs").at(1).at("contribution").is_null());  // the targets

    const Json& relu = t.events[1];
    EXPECT_EQ(relu.at("node").get<double>(), mse.at("inputs").at(0).at("node").get<double>());
    expect_values_trace(relu.at("grad"), dmse_dr, "relu receives dMSE/dr̂");
    expect_values_trace(relu.at("inputs").at(0).at("contribution"), dmse_dz,
                        "dMSE/dz = dMSE/dr̂ · dr̂/dz");

    const Json& add = t.events[2];
    expect_values_trace(add.at("grad"), dmse_dz, "add receives dMSE/dz");
    EXPECT_TRUE(add.at("inputs").at(0).at("contribution").is_null());  // h W2: no parameter
    EXPECT_EQ(add.at("inputs").at(1).at("label").get<std::string>(), "b");
    EXPECT_EQ(add.at("inputs").at(1).at("op").get<std::string>(), "leaf");
    EXPECT_EQ(add.at("inputs").at(1).at("shape").get<std::vector<double>>(),
              std::vector<double>{1});
    expect_values_trace(add.at("inputs").at(1).at("contribution"), {dmse_db},
                        "dMSE/db = Σ dMSE/dz · 1");

    const Json& grad = t.events[3];
    EXPECT_EQ(grad.at("event").get<std::string>(), "gradient");
    EXPECT_EQ(grad.at("label").get<std::string>(), "b");
    EXPECT_EQ(grad.at("node").get<double>(), add.at("inputs").at(1).at("node").get<double>());
    expect_values_trace(grad.at("grad"), {dmse_db}, "b's gradient");
    // Full precision: an exact round trip.
    EXPECT_EQ(grad.at("grad").at(0).get<double>(), t.bias.grad().item());
  }
}

TEST(BackwardTrace, FanOutContributionsArriveSummed) {
  // d * d uses d twice: both contributions go to the same node, which runs once, with their sum.
  auto a = Tn::from({2}, {1.5, -2.0}, true).set_name("a");
  auto d = a - 1.0;
  auto loss = xg::sum(d * d);
  std::ostringstream json;
  {
    xg::BackwardTrace<double> trace({.json = &json});
    loss.backward();
  }
  const auto events = parse_json_lines(json.str());
  ASSERT_EQ(events.size(), 4u) << json.str();  // sum, mul, sub_scalar, a's gradient
  const Json& mul = events[1];
  EXPECT_EQ(mul.at("op").get<std::string>(), "mul");
  EXPECT_EQ(mul.at("inputs").at(0).at("node").get<double>(),
            mul.at("inputs").at(1).at("node").get<double>());
  expect_values_trace(mul.at("inputs").at(0).at("contribution"), {0.5, -3.0}, "g * d");
  expect_values_trace(mul.at("inputs").at(1).at("contribution"), {0.5, -3.0}, "g * d");
  expect_values_trace(events[2].at("grad"), {1.0, -6.0}, "the sum 2 d");
  expect_values_trace(events[3].at("grad"), {1.0, -6.0}, "a's gradient");
}

TEST(BackwardTrace, TextReportNamesEachStep) {
  const auto t = run_ice_cream(0.0);
  EXPECT_NE(t.text.find("[1] backward of #1 relu (10, 1)\n"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("    rule  relu: out = max(a, 0); da = g * (a > 0 ? 1 : 0)\n"),
            std::string::npos);
  EXPECT_NE(t.text.find("): no gradient needed\n"), std::string::npos);
  EXPECT_NE(t.text.find("[3] gradient of #"), std::string::npos);
  EXPECT_NE(t.text.find(" b (1) = ["), std::string::npos);
}

TEST(BackwardTrace, OnlyWhileAliveAndEscapesNames) {
  auto a = Tn::scalar(1.5, true).set_name("quote\" back\\ tab\t");
  std::ostringstream json;
  {
    xg::BackwardTrace<double> trace({.json = &json});
    xg::exp(a).backward();
    EXPECT_EQ(trace.steps(), 2u);
  }
  xg::exp(a).backward();  // not traced
  const auto events = parse_json_lines(json.str());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("inputs").at(0).at("label").get<std::string>(), "quote\" back\\ tab\t");
  EXPECT_EQ(events[1].at("label").get<std::string>(), "quote\" back\\ tab\t");
  EXPECT_EQ(events[1].at("grad").at(0).get<double>(), std::exp(1.5));
}

TEST(BackwardTrace, FloatValuesRoundTripAndNonFiniteIsNull) {
  auto a = xg::Tensor<float>::from({2}, {0.1f, 1e30f}, true);  // 3 a^2 overflows to inf
  std::ostringstream json;
  {
    xg::BackwardTrace<float> trace({.json = &json});
    xg::sum(xg::pow(a, 3.0f)).backward();
  }
  const auto events = parse_json_lines(json.str());
  ASSERT_EQ(events.size(), 3u);
  const Json& contribution = events[1].at("inputs").at(0).at("contribution");
  EXPECT_EQ(static_cast<float>(contribution.at(0).get<double>()), a.grad().value()(0));
  EXPECT_TRUE(contribution.at(1).is_null());
}

TEST(BackwardTrace, RuleTableCoversEveryRecordedOperation) {
  // Every op name the library passes to xg::record (grep 'record<T>("' autograd/src).
  const std::vector<std::string> recorded = {"abs",
                                             "abs_backward",
                                             "adaptive_avg_pool2d",
                                             "adaptive_avg_pool2d_backward",
                                             "add",
                                             "add_scalar",
                                             "avg_pool1d",
                                             "avg_pool1d_backward",
                                             "avg_pool2d",
                                             "avg_pool2d_backward",
                                             "batch_norm",
                                             "batch_norm_backward",
                                             "batch_norm_dbias",
                                             "batch_norm_dweight",
                                             "batch_norm_eval",
                                             "batch_norm_eval_backward",
                                             "batch_norm_eval_dbias",
                                             "batch_norm_eval_dweight",
                                             "batch_norm_eval_xhat",
                                             "batch_norm_rstd",
                                             "batch_norm_xhat",
                                             "bce_loss",
                                             "bce_loss_backward",
                                             "bce_with_logits",
                                             "broadcast_to",
                                             "checkpoint",
                                             "clamp",
                                             "clamped_log",
                                             "concat",
                                             "conv1d",
                                             "conv1d_backward_input",
                                             "conv1d_backward_weight",
                                             "conv2d",
                                             "conv2d_backward_input",
                                             "conv2d_backward_weight",
                                             "copy_",
                                             "cumsum",
                                             "cumsum_backward",
                                             "div",
                                             "elu",
                                             "elu_backward",
                                             "embedding",
                                             "exp",
                                             "fill_",
                                             "flatten",
                                             "gather",
                                             "gather_axis",
                                             "gather_backward",
                                             "gelu",
                                             "gelu_backward",
                                             "hardtanh",
                                             "index_add",
                                             "index_select",
                                             "index_select_axis",
                                             "index_select_backward",
                                             "layer_norm",
                                             "layer_norm_backward",
                                             "layer_norm_dbias",
                                             "layer_norm_dweight",
                                             "layer_norm_rstd",
                                             "layer_norm_xhat",
                                             "leaky_relu",
                                             "linear",
                                             "log",
                                             "log_softmax",
                                             "log_softmax_backward",
                                             "logsumexp",
                                             "logsumexp_backward",
                                             "matmul",
                                             "max",
                                             "max_axis",
                                             "max_pool1d",
                                             "max_pool1d_backward",
                                             "max_pool1d_gather",
                                             "max_pool2d",
                                             "max_pool2d_backward",
                                             "max_pool2d_gather",
                                             "maximum",
                                             "maximum_backward",
                                             "min",
                                             "min_axis",
                                             "minimum",
                                             "minimum_backward",
                                             "mse_loss",
                                             "mse_loss_backward",
                                             "mul",
                                             "mul_scalar",
                                             "mul_sum_to",
                                             "narrow",
                                             "narrow_backward",
                                             "neg",
                                             "nll_loss",
                                             "pad",
                                             "pad_backward",
                                             "permute",
                                             "pow",
                                             "pow_scalar",
                                             "rdiv_scalar",
                                             "relu",
                                             "reshape",
                                             "rsub_scalar",
                                             "scatter_add",
                                             "sddmm",
                                             "segment_max",
                                             "segment_softmax",
                                             "segment_sum",
                                             "sigmoid",
                                             "sigmoid_backward",
                                             "silu",
                                             "slice_rows",
                                             "softmax",
                                             "softmax_backward",
                                             "softplus",
                                             "softplus_backward",
                                             "spmm",
                                             "spmm_weighted",
                                             "sqrt",
                                             "sqrt_backward",
                                             "squeeze",
                                             "step",
                                             "sub",
                                             "sum",
                                             "sum_axis",
                                             "sum_to",
                                             "tanh",
                                             "tanh_backward",
                                             "threshold_backward",
                                             "transpose",
                                             "unsqueeze",
                                             "where"};
  for (const auto& op : recorded) {
    const std::string rule = xg::derivative_rule(op);
    EXPECT_EQ(rule.rfind(op + ": ", 0), 0u) << op << " -> '" << rule << "'";
  }
  EXPECT_EQ(xg::known_rules().size(), recorded.size());
  EXPECT_EQ(xg::derivative_rule("swish"), "");
}

TEST(BackwardTrace, CustomOperationsUseTheirOwnRuleText) {
  auto x = Tn::scalar(2.0, true);
  auto twice =
      xg::record<double>("twice", xt::xarray<double>(2.0 * x.value()), {x},
                         [](xg::BackwardContext<double>& c) { c.input_grads[0] = c.grad * 2.0; });
  std::ostringstream json, json2;
  {
    xg::BackwardTrace<double> trace({.json = &json, .extra_rules = {{"twice", "twice: da = 2 g"}}});
    twice.backward({.retain_graph = true});
  }
  {
    xg::BackwardTrace<double> trace({.json = &json2});
    twice.backward();
  }
  EXPECT_EQ(parse_json_lines(json.str())[0].at("rule").get<std::string>(), "twice: da = 2 g");
  EXPECT_EQ(parse_json_lines(json2.str())[0].at("rule").get<std::string>(),
            "twice: custom rule (no formula registered)");
}

}  // namespace
