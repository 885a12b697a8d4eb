// GCNConv and GATConv against PyTorch: a 2-layer GCN and a 2-layer GAT on the graph of
// tests/fixtures/golden_graph.json (scripts/golden_graph.py), with the same weights; outputs and
// the gradients w.r.t. the input and every parameter, in double, to 1e-10.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn_test_util.hpp"

namespace xg {
namespace graph_golden_tests {

using json = nlohmann::json;
using D = Tensor<double>;

constexpr double kTol = 1e-10;

const json& fixture() {
  static const json doc = [] {
    const std::string path = XGRAD_SOURCE_DIR "/tests/fixtures/golden_graph.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return json::parse(in);
  }();
  return doc;
}

D tensor_of(const json& a, bool requires_grad = false) {
  return D::from(a.at("shape").get<Shape>(), a.at("values").get<std::vector<double>>(),
                 requires_grad);
}

SparseCsr fixture_graph() {
  const json& g = fixture().at("graph");
  return SparseCsr::from_edges(g.at("num_nodes").get<std::size_t>(),
                               g.at("src").get<std::vector<std::size_t>>(),
                               g.at("dst").get<std::vector<std::size_t>>());
}

/// Loads a fixture parameter: "lin.weight" transposed from PyTorch's (out, in) layout.
void load(D& p, const json& params, const std::string& name) {
  SCOPED_TRACE(name);
  D v = tensor_of(params.at(name));
  if (name.ends_with("lin.weight")) v = transpose(v);
  ASSERT_EQ(p.shape(), v.shape());
  p.set_value(v.value());
}

/// Runs `model(x)`, backward with the fixture's cotangent, and compares everything; `named`
/// is the model's parameters by the fixture's names.
template <class F>
void check(const json& c, F model, const std::map<std::string, D*>& named) {
  for (const auto& [name, p] : named) load(*p, c.at("params"), name);
  ASSERT_EQ(named.size(), c.at("params").size());
  D x = tensor_of(fixture().at("x"), true);
  const D y = model(x);
  test::expect_close(y.value(), tensor_of(c.at("output")).value(), kTol);
  y.backward(D::from(y.shape(), c.at("v_out").get<std::vector<double>>()));
  {
    SCOPED_TRACE("x grad");
    test::expect_close(x.grad().value(),
                       D::from(x.shape(), c.at("x_grad").get<std::vector<double>>()).value(), kTol);
  }
  for (const auto& [name, p] : named) {
    SCOPED_TRACE(name + " grad");
    ASSERT_TRUE(p->has_grad());
    D want = tensor_of(c.at("grads").at(name));
    if (name.ends_with("lin.weight")) want = transpose(want);
    test::expect_close(p->grad().value(), want.value(), kTol);
  }
}

TEST(GraphGolden, TwoLayerGcnMatchesPyTorch) {
  const SparseCsr g = fixture_graph();
  nn::GCNConv<double> conv1(5, 4), conv2(4, 3);
  check(fixture().at("gcn"),
        [&](const D& x) { return conv2.forward(relu(conv1.forward(x, g)), g); },
        {{"conv1.lin.weight", &conv1.weight()},
         {"conv1.bias", &conv1.bias()},
         {"conv2.lin.weight", &conv2.weight()},
         {"conv2.bias", &conv2.bias()}});
}

TEST(GraphGolden, TwoLayerGatMatchesPyTorch) {
  const SparseCsr g = fixture_graph();
  nn::GATConv<double> conv1(5, 3, 2), conv2(6, 2, 2, {.concat = false});
  check(fixture().at("gat"), [&](const D& x) { return conv2.forward(elu(conv1.forward(x, g)), g); },
        {{"conv1.lin.weight", &conv1.weight()},
         {"conv1.att_src", &conv1.att_src()},
         {"conv1.att_dst", &conv1.att_dst()},
         {"conv1.bias", &conv1.bias()},
         {"conv2.lin.weight", &conv2.weight()},
         {"conv2.att_src", &conv2.att_src()},
         {"conv2.att_dst", &conv2.att_dst()},
         {"conv2.bias", &conv2.bias()}});
}

}  // namespace graph_golden_tests
}  // namespace xg
