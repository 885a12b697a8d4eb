// GCNConv, GATConv and the graphs they propagate over (gcn_norm, with_self_loops): values,
// parameters as PyTorch Geometric names and initialises them, gradients and second derivatives,
// the per-graph cache, Sequential use through set_graph, and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "nn_test_util.hpp"

namespace xg {
namespace graph_layers_tests {

using test::Fn;
using test::uniform;
using D = Tensor<double>;
using Ids = std::vector<std::size_t>;

// 5 nodes, edges out of order, 1 -> 0 twice, node 4 without incoming edges.
SparseCsr graph5() {
  return SparseCsr::from_edges(5, {1, 2, 0, 1, 3, 4, 2}, {0, 0, 1, 0, 2, 3, 3});
}

TEST(GcnNorm, SymmetricNormalisationWithSelfLoops) {
  // 0 <-> 1: A + I is all ones, every degree 2, so every weight is 1 / 2.
  const SparseCsr n = nn::gcn_norm(SparseCsr::from_edges(2, {0, 1}, {1, 0}));
  EXPECT_EQ(n.edge_sources(), (Ids{0, 1, 0, 1}));  // the edges, then one loop per node
  EXPECT_EQ(n.edge_destinations(), (Ids{1, 0, 0, 1}));
  for (double w : n.weights()) EXPECT_DOUBLE_EQ(w, 0.5);
  // Weighted, directed: 0 -> 1 (w 3); in-degrees of A + I: d0 = 1, d1 = 4.
  const SparseCsr m = nn::gcn_norm(SparseCsr::from_edges(2, {0}, {1}, {3.0}));
  EXPECT_DOUBLE_EQ(m.weights()[0], 3.0 / std::sqrt(1.0 * 4.0));
  EXPECT_DOUBLE_EQ(m.weights()[1], 1.0);
  EXPECT_DOUBLE_EQ(m.weights()[2], 0.25);
  // Without self loops a node of in-degree 0 gets 0, as in PyG.
  const SparseCsr z = nn::gcn_norm(SparseCsr::from_edges(2, {0}, {1}), false);
  EXPECT_EQ(z.weights(), (std::vector<double>{0.0}));
  EXPECT_THROW_WITH(nn::gcn_norm(SparseCsr(2, 3, {0}, {1})), ShapeError, "gcn_norm", "2 x 3");
}

TEST(WithSelfLoops, ReplacesExistingLoopsByOnePerNode) {
  const SparseCsr g = nn::with_self_loops(SparseCsr::from_edges(3, {0, 1, 2, 1}, {1, 1, 0, 2}));
  EXPECT_EQ(g.edge_sources(), (Ids{0, 2, 1, 0, 1, 2}));
  EXPECT_EQ(g.edge_destinations(), (Ids{1, 0, 2, 0, 1, 2}));
  EXPECT_FALSE(g.has_weights());
}

TEST(GCNConv, ParametersAsPyGAndGlorotInit) {
  nn::GCNConv<double> conv(6, 4);
  const auto named = conv.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "bias");
  EXPECT_EQ(named[1].first, "lin.weight");
  EXPECT_EQ(conv.weight().shape(), (Shape{6, 4}));
  const double a = std::sqrt(6.0 / 10.0);
  for (double w : conv.weight().value()) EXPECT_LE(std::abs(w), a);
  for (double b : conv.bias().value()) EXPECT_EQ(b, 0.0);
  EXPECT_NE(conv.to_string().find("GCNConv(in=6, out=4, bias=true, add_self_loops=true"),
            std::string::npos)
      << conv.to_string();
  nn::GCNConv<double> nobias(3, 2, {.bias = false});
  EXPECT_EQ(nobias.parameters().size(), 1u);
  EXPECT_FALSE(nobias.bias().defined());
}

TEST(GCNConv, ForwardIsNormalisedPropagationOfXW) {
  const SparseCsr g = graph5();
  nn::GCNConv<double> conv(3, 2);
  conv.bias().set_value(xt::xarray<double>{0.5, -0.25});
  const D x = uniform<double>({5, 3}, -1, 1, 21, false);
  const D y = conv.forward(x, g);
  const D want = add(spmm(nn::gcn_norm(g), matmul(x, conv.weight())), conv.bias());
  test::expect_close(y.value(), want.value(), 1e-15);
  // Node 4 has only its self loop (degree 1): its row is x4 W + b.
  const D x4w = matmul(slice_rows(x, 4, 5), conv.weight());
  EXPECT_NEAR(y.value()(4, 0), x4w.value()(0, 0) + 0.5, 1e-15);
}

TEST(GCNConv, NormalisationFollowsTheGraphPassed) {
  nn::GCNConv<double> conv(3, 2);
  const D x = uniform<double>({5, 3}, -1, 1, 22, false);
  const SparseCsr g1 = graph5();
  const SparseCsr g2 = SparseCsr::from_edges(5, {0, 1, 2, 3}, {1, 2, 3, 4});
  const D a = conv.forward(x, g1);
  const D b = conv.forward(x, g2);  // another graph: normalised anew, not the cached one
  test::expect_close(
      b.value(), add(spmm(nn::gcn_norm(g2), matmul(x, conv.weight())), conv.bias()).value(), 1e-15);
  test::expect_close(conv.forward(x, g1).value(), a.value(), 0);
}

TEST(GCNConv, GradientsAndSecondDerivatives) {
  const SparseCsr g = graph5();
  nn::GCNConv<double> conv(3, 2);
  const D x = uniform<double>({5, 3}, -1, 1, 23);
  const D w = uniform<double>({3, 2}, -1, 1, 24);
  const D b = uniform<double>({2}, -1, 1, 25);
  Fn<double> fn = [&](const std::vector<D>& v) {
    conv.weight() = v[1];
    conv.bias() = v[2];
    return tanh(conv.forward(v[0], g));
  };
  EXPECT_GRADCHECK(double, fn, {x, w, b});
  EXPECT_GRADGRADCHECK(double, fn, {x, w, b});
}

TEST(GCNConv, InSequentialThroughSetGraph) {
  const SparseCsr g = graph5();
  auto c1 = std::make_shared<nn::GCNConv<double>>(3, 4);
  auto c2 = std::make_shared<nn::GCNConv<double>>(4, 2);
  c1->set_graph(g);
  c2->set_graph(g);
  nn::Sequential<double> model{c1, nn::ReLU<double>(), c2};
  const D x = uniform<double>({5, 3}, -1, 1, 26, false);
  const D y = model(x);
  test::expect_close(y.value(), c2->forward(relu(c1->forward(x, g)), g).value(), 0);
  EXPECT_EQ(model.named_parameters()[1].first, "0.lin.weight");
}

TEST(GCNConv, Errors) {
  nn::GCNConv<double> conv(3, 2);
  EXPECT_THROW_WITH(conv.forward(D::zeros({4, 3}), graph5()), ShapeError, "GCNConv(in=3, out=2)",
                    "(4, 3)", "(5, 3)");
  EXPECT_THROW_WITH(conv.forward(D::zeros({5, 2}), graph5()), ShapeError, "(5, 2)");
  EXPECT_THROW_WITH(conv.forward(D::zeros({2, 3}), SparseCsr(2, 3, {0}, {1})), ShapeError, "2 x 3",
                    "square");
  EXPECT_THROW_WITH(conv.forward(D::zeros({5, 3})), GraphError, "no graph", "set_graph");
  EXPECT_THROW_WITH(nn::GCNConv<double>(0, 2), DomainError, "positive");
}

TEST(GATConv, ParametersAsPyGAndGlorotInit) {
  nn::GATConv<double> conv(5, 3, 4);
  const auto named = conv.named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "att_src");
  EXPECT_EQ(named[1].first, "att_dst");
  EXPECT_EQ(named[2].first, "bias");
  EXPECT_EQ(named[3].first, "lin.weight");
  EXPECT_EQ(conv.att_src().shape(), (Shape{1, 4, 3}));
  EXPECT_EQ(conv.weight().shape(), (Shape{5, 12}));
  EXPECT_EQ(conv.bias().shape(), (Shape{12}));
  const double a = std::sqrt(6.0 / 7.0);  // glorot over (heads, C)
  for (double v : conv.att_dst().value()) EXPECT_LE(std::abs(v), a);
  for (double v : conv.weight().value()) EXPECT_LE(std::abs(v), std::sqrt(6.0 / 17.0));
  nn::GATConv<double> mean(5, 3, 4, {.concat = false});
  EXPECT_EQ(mean.bias().shape(), (Shape{3}));
  EXPECT_NE(conv.to_string().find("GATConv(in=5, out=3, heads=4, concat=true"), std::string::npos)
      << conv.to_string();
}

TEST(GATConv, AttentionIsASoftmaxOverEachDestinationsIncomingEdges) {
  const SparseCsr g = graph5();
  nn::GATConv<double> conv(3, 2, 2);
  const D x = uniform<double>({5, 3}, -1, 1, 27, false);
  const D y = conv.forward(x, g);
  EXPECT_EQ(y.shape(), (Shape{5, 4}));
  const SparseCsr looped = nn::with_self_loops(g);
  ASSERT_EQ(conv.attention().shape(), (Shape{looped.nnz(), 2}));
  const D sums = segment_sum(conv.attention(), looped);
  for (double s : sums.value()) EXPECT_NEAR(s, 1.0, 1e-15);
  // Node 4's only incoming edge is its self loop: its output is its own z (+ bias 0).
  const D z4 = matmul(slice_rows(x, 4, 5), conv.weight());
  for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(y.value()(4, k), z4.value()(0, k), 1e-15);
  // Averaged heads.
  nn::GATConv<double> mean(3, 2, 2, {.concat = false});
  EXPECT_EQ(mean.forward(x, g).shape(), (Shape{5, 2}));
}

TEST(GATConv, GradientsAndSecondDerivatives) {
  const SparseCsr g = graph5();
  for (bool concat : {true, false}) {
    nn::GATConv<double> conv(3, 2, 2, {.concat = concat});
    const D x = uniform<double>({5, 3}, -1, 1, 28);
    const D w = uniform<double>({3, 4}, -1, 1, 29);
    const D as = uniform<double>({1, 2, 2}, -1, 1, 30);
    const D ad = uniform<double>({1, 2, 2}, -1, 1, 31);
    const D b = uniform<double>({concat ? 4u : 2u}, -1, 1, 32);
    Fn<double> fn = [&](const std::vector<D>& v) {
      conv.weight() = v[1];
      conv.att_src() = v[2];
      conv.att_dst() = v[3];
      conv.bias() = v[4];
      return conv.forward(v[0], g);
    };
    EXPECT_GRADCHECK(double, fn, {x, w, as, ad, b});
    EXPECT_GRADGRADCHECK(double, fn, {x, w, as, ad, b});
  }
}

TEST(GATConv, AttentionDropoutOnlyWhileTraining) {
  const SparseCsr g = graph5();
  Generator gen(5);
  nn::GATConv<double> conv(3, 2, 2, {.dropout = 0.5, .generator = &gen});
  EXPECT_EQ(conv.children().size(), 2u);  // lin and dropout
  const D x = uniform<double>({5, 3}, -1, 1, 33, false);
  conv.eval();
  const D a = conv.forward(x, g);
  test::expect_close(conv.forward(x, g).value(), a.value(), 0);
  conv.train();
  const D b = conv.forward(x, g);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) differs |= a.value().data()[i] != b.value().data()[i];
  EXPECT_TRUE(differs);
}

TEST(GATConv, Errors) {
  nn::GATConv<double> conv(3, 2, 2);
  EXPECT_THROW_WITH(conv.forward(D::zeros({5, 4}), graph5()), ShapeError,
                    "GATConv(in=3, out=2, heads=2)", "(5, 4)");
  EXPECT_THROW_WITH(conv.forward(D::zeros({2, 3}), SparseCsr::from_edges(2, {0}, {1}, {2.0})),
                    ShapeError, "edge weights");
  EXPECT_THROW_WITH(conv.forward(D::zeros({5, 3})), GraphError, "no graph");
  EXPECT_THROW_WITH(nn::GATConv<double>(3, 2, 0), DomainError, "positive");
  EXPECT_THROW_WITH(nn::GATConv<double>(3, 2, 1, {.dropout = 1.0}), DomainError, "dropout");
}

TEST(GraphLayers, FloatByDefault) {
  const SparseCsr g = graph5();
  nn::GCNConv gcn(3, 4);
  nn::GATConv gat(4, 2, 3);
  const Tensor<float> x = uniform<float>({5, 3}, -1, 1, 34, false);
  const Tensor<float> y = gat.forward(relu(gcn.forward(x, g)), g);
  EXPECT_EQ(y.shape(), (Shape{5, 6}));
  test::expect_all_finite(y, "GAT(GCN(x))");
}

}  // namespace graph_layers_tests
}  // namespace xg
