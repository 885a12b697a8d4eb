// The graph code of docs/autograd.md and docs/nn.md, compiled and run by ctest
// (docs.snippet.graph_doc).
#include <cmath>
#include <memory>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"

int main() {
  {
    using Tn = xg::Tensor<double>;
    // snippet-begin: graph_ops
    // 4 nodes; edge e is src[e] -> dst[e], the entry A[dst, src]. Any order, repeats allowed.
    xg::SparseCsr a = xg::SparseCsr::from_edges(4, /*src=*/{1, 2, 0, 2}, /*dst=*/{0, 0, 1, 3});
    Tn x = Tn::ones({4, 3}, /*requires_grad=*/true);  // (nodes, features)
    Tn w = Tn::from({4}, {0.5, 1.5, 2, -1}, true);    // one weight per edge, input order
    Tn y = xg::spmm(a, x, w);                         // (4, 3): y[0] = 0.5 x[1] + 1.5 x[2]
    Tn scores = Tn::from({4, 2}, {1, 0, 3, 0, 5, 5, 7, 7}, true);  // (edges, heads)
    Tn alpha = xg::segment_softmax(scores, a);  // softmax over each destination's in-edges
    Tn pooled = xg::segment_max(x, /*ids=*/{2, 2, 0, 2}, /*num_segments=*/3);  // (3, 3)
    xg::sum(y * y).backward();  // x.grad() = Aᵀ g, w.grad()[e] = dot(g[dst e], x[src e])
    // snippet-end: graph_ops
    CHECK(y.value()(0, 0) == 2.0 && y.value()(3, 1) == -1.0 && y.value()(2, 2) == 0.0);
    CHECK(std::abs(alpha.value()(0, 0) - 1 / (1 + std::exp(2.0))) < 1e-15);
    CHECK(alpha.value()(2, 0) == 1.0 && alpha.value()(0, 1) == 0.5);
    CHECK(pooled.value()(1, 0) == 0.0);  // an empty segment gives 0
    CHECK(w.grad().value()(0) == 3 * 2 * 2.0);
  }
  {
    namespace nn = xg::nn;
    // snippet-begin: graph_layers
    xg::SparseCsr graph = xg::SparseCsr::from_edges(5, {0, 1, 1, 2, 3, 4}, {1, 0, 2, 1, 4, 3});
    auto gcn = std::make_shared<nn::GCNConv<>>(8, 16);  // float, like every layer
    nn::GATConv<> gat(16, 4, /*heads=*/2, {.concat = false});
    auto x = xg::Tensor<float>::ones({5, 8});   // (nodes, features)
    auto h = xg::relu(gcn->forward(x, graph));  // (5, 16)
    auto out = gat.forward(h, graph);           // (5, 4): heads averaged

    gcn->set_graph(graph);  // a fixed graph: forward(x) uses it, so the layer fits Sequential
    nn::Sequential model{gcn, nn::ReLU()};
    auto same = model(x);
    // snippet-end: graph_layers
    CHECK(h.shape() == (xg::Shape{5, 16}));
    CHECK(out.shape() == (xg::Shape{5, 4}));
    CHECK(same.value() == h.value());
  }
  return 0;
}
