// Recurrent layers and cells against PyTorch: tests/fixtures/golden_recurrent.json, written by
// scripts/golden_recurrent.py, holds torch.nn.RNN / LSTM / GRU and the cells in double with
// their weights as PyTorch lays them out. Each case loads those weights through the documented
// transposes (weights (G H, in) -> (in, G H), biases as they are), runs forward_with_state and
// the same loss backward, and compares outputs, final states and the gradients of the input,
// the initial states and every parameter to 1e-10.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xmanipulation.hpp>

#include "test_support.hpp"
#include "xgrad/nn.hpp"

namespace xg {
namespace recurrent_golden_tests {

using json = nlohmann::json;
using D = Tensor<double>;

constexpr double kTol = 1e-10;
const char* const kFixture = XGRAD_SOURCE_DIR "/tests/fixtures/golden_recurrent.json";

const json& fixture() {
  static const json doc = [] {
    std::ifstream in(kFixture);
    if (!in) throw std::runtime_error(std::string("cannot open ") + kFixture);
    return json::parse(in);
  }();
  return doc;
}

/// A fixture array {shape, values} as a leaf, or undefined for null.
D leaf(const json& a, bool requires_grad) {
  if (a.is_null()) return D();
  return D::from(a.at("shape").get<Shape>(), a.at("values").get<std::vector<double>>(),
                 requires_grad);
}

/// Flat values in `shape`.
xt::xarray<double> values(const Shape& shape, const json& flat) {
  return D::from(shape, flat.get<std::vector<double>>()).value();
}

bool is_cell(const std::string& kind) {
  return kind.size() > 4 && kind.substr(kind.size() - 4) == "Cell";
}

std::unique_ptr<nn::Module<double>> build(const json& c) {
  const std::string kind = c.at("kind").get<std::string>();
  const auto in = c.at("input_size").get<std::size_t>();
  const auto hidden = c.at("hidden_size").get<std::size_t>();
  const bool bias = c.at("bias").get<bool>();
  const auto act = c.at("nonlinearity").get<std::string>() == "relu" ? nn::RNNNonlinearity::relu
                                                                     : nn::RNNNonlinearity::tanh;
  if (is_cell(kind)) {
    const nn::RecurrentCellOptions o{.bias = bias};
    if (kind == "RNNCell") return std::make_unique<nn::RNNCell<double>>(in, hidden, o, act);
    if (kind == "LSTMCell") return std::make_unique<nn::LSTMCell<double>>(in, hidden, o);
    if (kind == "GRUCell") return std::make_unique<nn::GRUCell<double>>(in, hidden, o);
  } else {
    const nn::RecurrentOptions o{.num_layers = c.at("num_layers").get<std::size_t>(),
                                 .bias = bias,
                                 .batch_first = c.at("batch_first").get<bool>(),
                                 .bidirectional = c.at("bidirectional").get<bool>()};
    if (kind == "RNN") return std::make_unique<nn::RNN<double>>(in, hidden, o, act);
    if (kind == "LSTM") return std::make_unique<nn::LSTM<double>>(in, hidden, o);
    if (kind == "GRU") return std::make_unique<nn::GRU<double>>(in, hidden, o);
  }
  throw std::invalid_argument("unknown kind " + kind);
}

bool is_weight(const std::string& name) {
  return name.rfind("weight", 0) == 0;
}

/// PyTorch's layout -> xgrad's: weights transposed, biases as they are.
xt::xarray<double> from_torch(const std::string& name, const xt::xarray<double>& v) {
  if (!is_weight(name)) return v;
  return xt::xarray<double>(xt::transpose(v));
}

void check_case(const json& c) {
  auto module = build(c);
  // The parameters, by PyTorch's names and in PyTorch's order.
  const auto named = module->named_parameters();
  const json& params = c.at("params");
  ASSERT_EQ(named.size(), params.size());
  for (std::size_t i = 0; i < named.size(); ++i) {
    const json& p = params[i];
    const std::string name = p.at("name").get<std::string>();
    ASSERT_EQ(named[i].first, name);
    D t = named[i].second;
    t.set_value(from_torch(name, values(p.at("shape").get<Shape>(), p.at("values"))));
  }

  const D x = leaf(c.at("input"), true);
  const D h0 = leaf(c.at("h0"), true);
  const D c0 = leaf(c.at("c0"), true);
  D out, h_n, c_n;
  if (auto* cell = dynamic_cast<nn::RecurrentCellBase<double>*>(module.get())) {
    auto s = cell->forward_with_state(x, {h0, c0});
    out = s.h;
    c_n = s.c;
  } else {
    auto& layer = dynamic_cast<nn::RecurrentBase<double>&>(*module);
    auto r = layer.forward_with_state(x, {h0, c0});
    out = r.output;
    h_n = r.state.h;
    c_n = r.state.c;
    // forward(x) alone is the output from zero states.
    if (h0.defined() || c0.defined()) {
      EXPECT_NE(layer.forward(x).value(), out.value());
    } else {
      test::expect_close(layer.forward(x).value(), out.value(), 0.0);
    }
  }

  auto expect_array = [](const D& got, const json& want, const char* what) {
    SCOPED_TRACE(what);
    ASSERT_EQ(got.defined(), !want.is_null());
    if (!got.defined()) return;
    test::expect_close(got.value(), values(want.at("shape").get<Shape>(), want.at("values")), kTol);
  };
  expect_array(out, c.at("output"), "output");
  expect_array(h_n, c.at("h_n"), "h_n");
  expect_array(c_n, c.at("c_n"), "c_n");

  D loss = sum(mul(out, D::from(out.shape(), c.at("v_out").get<std::vector<double>>())));
  if (h_n.defined()) {
    loss = add(loss, sum(mul(h_n, D::from(h_n.shape(), c.at("v_h").get<std::vector<double>>()))));
  }
  if (c_n.defined()) {
    loss = add(loss, sum(mul(c_n, D::from(c_n.shape(), c.at("v_c").get<std::vector<double>>()))));
  }
  loss.backward();

  auto expect_grad = [](const D& t, const json& want, const char* what) {
    SCOPED_TRACE(std::string("gradient of ") + what);
    ASSERT_EQ(t.defined(), !want.is_null());
    if (!t.defined()) return;
    ASSERT_TRUE(t.has_grad());
    test::expect_close(t.grad().value(), values(t.shape(), want), kTol);
  };
  expect_grad(x, c.at("grad_input"), "the input");
  expect_grad(h0, c.at("grad_h0"), "h0");
  expect_grad(c0, c.at("grad_c0"), "c0");
  for (std::size_t i = 0; i < named.size(); ++i) {
    const json& p = params[i];
    const std::string name = p.at("name").get<std::string>();
    SCOPED_TRACE("gradient of " + name);
    ASSERT_TRUE(named[i].second.has_grad());
    test::expect_close(named[i].second.grad().value(),
                       from_torch(name, values(p.at("shape").get<Shape>(), p.at("grad"))), kTol);
  }
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const json& c : fixture().at("cases")) names.push_back(c.at("name").get<std::string>());
  return names;
}

class GoldenRecurrent : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenRecurrent, MatchesPyTorch) {
  for (const json& c : fixture().at("cases")) {
    if (c.at("name").get<std::string>() == GetParam()) return check_case(c);
  }
  FAIL() << "no case " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Fixture, GoldenRecurrent, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(GoldenRecurrentFixture, CoversEveryLayerAndCell) {
  std::vector<std::string> kinds;
  for (const json& c : fixture().at("cases")) kinds.push_back(c.at("kind").get<std::string>());
  for (const char* k : {"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"}) {
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), k), kinds.end()) << k;
  }
}

}  // namespace recurrent_golden_tests
}  // namespace xg
