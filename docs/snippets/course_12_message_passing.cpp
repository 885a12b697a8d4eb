// Course chapter 12: message passing as gather, transform, scatter-add. A GCN layer on a 4-node
// graph written out with index_select (gather each edge's source), a multiplication by the
// normalisation weight, and index_add / segment_sum (scatter-add into the destinations),
// checked against spmm and nn::GCNConv; spmm's backward is spmm with the transpose.
// Compiled and run by ctest (docs.snippet.course_12_message_passing).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/tools/trace.hpp"

using Tn = xg::Tensor<double>;
namespace nn = xg::nn;

namespace {

void print_rows(const char* name, const xt::xarray<double>& v) {
  std::printf("%-22s", name);
  for (std::size_t i = 0; i < v.shape()[0]; ++i)
    std::printf(i ? " | %8.5f %8.5f" : "%8.5f %8.5f", v(i, 0), v(i, 1));
  std::printf("\n");
}

double max_diff(const xt::xarray<double>& a, const xt::xarray<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a.data()[i] - b.data()[i]));
  return d;
}

}  // namespace

int main() {
  // snippet-begin: graph
  // 4 nodes, 4 undirected friendships: 0-1, 1-2, 1-3, 2-3, each as two directed edges.
  const std::vector<std::size_t> src = {0, 1, 1, 2, 1, 3, 2, 3};
  const std::vector<std::size_t> dst = {1, 0, 2, 1, 3, 1, 3, 2};
  const xg::SparseCsr graph = xg::SparseCsr::from_edges(4, src, dst);
  Tn x = Tn::from({4, 2}, {1, 0, 0, 1, 1, 1, 2, -1}, /*requires_grad=*/true).set_name("x");
  Tn w = Tn::from({2, 2}, {0.5, -1, 1, 0.5}, true).set_name("W");
  // snippet-end: graph

  // snippet-begin: by_hand
  // GCN: H' = D^-1/2 (A + I) D^-1/2 X W. Add a self loop per node, count the in-degrees d of
  // A + I, and give edge (j -> i) the weight 1 / sqrt(d_i d_j).
  std::vector<std::size_t> s = src, d = dst;
  for (std::size_t i = 0; i < 4; ++i) s.push_back(i), d.push_back(i);
  std::vector<double> degree(4, 0.0), norm;
  for (std::size_t i : d) degree[i] += 1;
  for (std::size_t e = 0; e < s.size(); ++e)
    norm.push_back(1 / std::sqrt(degree[s[e]] * degree[d[e]]));
  const std::size_t E = s.size();  // 12

  Tn xw = xg::matmul(x, w);                                   // transform: (4, 2)
  Tn gathered = xg::index_select(xw, s);                      // gather: row e = xw[src e], (E, 2)
  Tn messages = gathered * Tn::from({E, 1}, norm);            // weigh each edge's message
  Tn out = xg::index_add(Tn::zeros({4, 2}), 0, d, messages);  // scatter-add into destinations
  Tn out_seg = xg::segment_sum(messages, d, 4);               // the same, as a segment sum
  // snippet-end: by_hand
  std::printf("in-degrees of A + I: %g %g %g %g\n", degree[0], degree[1], degree[2], degree[3]);

  // snippet-begin: spmm
  const xg::SparseCsr a_hat = nn::gcn_norm(graph);  // D^-1/2 (A + I) D^-1/2, 12 entries
  Tn out_spmm = xg::spmm(a_hat, xw);                // one sparse-dense product
  nn::GCNConv<double> conv(2, 2, {.bias = false});
  conv.weight().mutable_value() = w.value();
  Tn out_conv = conv.forward(x, graph);
  print_rows("gather, scatter-add", out.value());
  print_rows("segment_sum", out_seg.value());
  print_rows("spmm(A_hat, X W)", out_spmm.value());
  print_rows("GCNConv", out_conv.value());
  // snippet-end: spmm
  CHECK(a_hat.nnz() == E);
  CHECK(max_diff(out.value(), out_spmm.value()) < 1e-15);
  CHECK(max_diff(out_seg.value(), out_spmm.value()) < 1e-15);
  CHECK(max_diff(out_conv.value(), out_spmm.value()) < 1e-15);

  // snippet-begin: backward
  // A gradient from the layer above, the same for both forms.
  Tn g = Tn::from({4, 2}, {1, 0, 0, 1, -1, 2, 0.5, 1});
  auto grad_xw = [&](const Tn& result) {
    return xg::grad<double>({xg::sum(result * g)}, {xw}, {}, {.retain_graph = true})[0];
  };
  Tn through_scatter = grad_xw(out);                 // index_add -> index_select -> mul
  Tn through_spmm = grad_xw(out_spmm);               // spmm's rule
  Tn by_transpose = xg::spmm(a_hat.transpose(), g);  // A_hatᵀ g, written directly
  print_rows("dL/d(XW) by scatter", through_scatter.value());
  print_rows("dL/d(XW) by spmm", through_spmm.value());
  print_rows("A_hat^T g", by_transpose.value());
  {
    xg::BackwardTrace<double> trace({.text = &std::cout, .max_values = 4});
    xg::sum(out_spmm * g).backward();
  }
  // snippet-end: backward
  CHECK(max_diff(through_scatter.value(), by_transpose.value()) < 1e-15);
  CHECK(max_diff(through_spmm.value(), by_transpose.value()) < 1e-15);
  std::printf("chapter 12: all checks passed\n");
  return 0;
}
