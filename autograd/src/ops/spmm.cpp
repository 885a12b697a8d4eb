// Sparse-dense products over a SparseCsr: spmm (A x, with A's own weights or a weight tensor)
// and sddmm (the edge-weight gradient). Each one's rules are the others over A or Aᵀ, so
// gradients of any order are recorded operations.
#include <string>
#include <vector>

#include "kernels/buffer.hpp"
#include "kernels/graph.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/graph.hpp"

namespace xg {

namespace {

using detail::CsrData;

kernels::CsrRows rows_of(const CsrData& d) {
  return {d.rows, d.offsets.data()};
}

/// "the (4 x 5) adjacency", for messages.
std::string adj_str(const SparseCsr& adj) {
  return "the (" + std::to_string(adj.rows()) + " x " + std::to_string(adj.cols()) +
         ") adjacency with " + std::to_string(adj.nnz()) + " edges";
}

template <class T>
Tensor<T> sddmm_impl(const SparseCsr& adj, const Tensor<T>& a, const Tensor<T>& b);

XG_RULE_TEXT(spmm,
             "out[i] = sum over edges e = (j -> i) of w[e] x[j], w the adjacency's constant "
             "weights (or 1); dx = spmm(adjᵀ, g)");
template <class T>
Tensor<T> spmm_impl(const SparseCsr& adj, const Tensor<T>& x) {
  const CsrData& d = adj.data();
  const std::size_t f = x.value().shape()[1];
  xt::xarray<T> out = detail::uninitialized_array<T>("spmm", {d.rows, f});
  const std::vector<T> w(d.values.begin(), d.values.end());
  kernels::csr_rows_sum<T>(rows_of(d), d.cols_of.data(), w.empty() ? nullptr : w.data(),
                           x.value().data(), f, out.data());
  return record<T>(
      "spmm", std::move(out), {x},
      [adj](BackwardContext<T>& c) { c.input_grads[0] = spmm_impl(adj.transpose(), c.grad); },
      Saves::nothing());
}

XG_RULE_TEXT(spmm_weighted,
             "out[i] = sum over edges e = (j -> i) of w[e] x[j], w a tensor; dx = "
             "spmm_weighted(adjᵀ, g, w), dw = sddmm(adj, g, x): dw[e] = dot(g[i], x[j])");
template <class T>
Tensor<T> spmm_weighted_impl(const SparseCsr& adj, const Tensor<T>& x, const Tensor<T>& w) {
  const CsrData& d = adj.data();
  const std::size_t f = x.value().shape()[1];
  xt::xarray<T> out = detail::uninitialized_array<T>("spmm_weighted", {d.rows, f});
  std::vector<T> we(d.edge_of.size());  // the weights in entry order
  const T* wv = w.value().data();
  for (std::size_t p = 0; p < we.size(); ++p) we[p] = wv[d.edge_of[p]];
  kernels::csr_rows_sum<T>(rows_of(d), d.cols_of.data(), we.data(), x.value().data(), f,
                           out.data());
  return record<T>(
      "spmm_weighted", std::move(out), {x, w},
      [adj](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = spmm_weighted_impl(adj.transpose(), c.grad, c.inputs[1]);
        if (c.needs(1)) c.input_grads[1] = sddmm_impl(adj, c.grad, c.inputs[0]);
      },
      Saves::input(0) | Saves::input(1));
}

XG_RULE_TEXT(sddmm,
             "out[e] = dot(a[i], b[j]) for each edge e = (j -> i); da = spmm_weighted(adj, b, "
             "g), db = spmm_weighted(adjᵀ, a, g)");
template <class T>
Tensor<T> sddmm_impl(const SparseCsr& adj, const Tensor<T>& a, const Tensor<T>& b) {
  const CsrData& d = adj.data();
  const std::size_t f = a.value().shape()[1];
  xt::xarray<T> out = detail::uninitialized_array<T>("sddmm", {d.dst.size()});
  kernels::edge_dots<T>(d.dst.size(), d.dst.data(), d.src.data(), a.value().data(),
                        b.value().data(), f, out.data());
  return record<T>(
      "sddmm", std::move(out), {a, b},
      [adj](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = spmm_weighted_impl(adj, c.inputs[1], c.grad);
        if (c.needs(1)) c.input_grads[1] = spmm_weighted_impl(adj.transpose(), c.inputs[0], c.grad);
      },
      Saves::input(0) | Saves::input(1));
}

/// ShapeError unless t is (n, F) for some F; `what` names t.
template <class T>
void require_rows(const char* op, const char* what, const Tensor<T>& t, std::size_t n,
                  const SparseCsr& adj) {
  detail::require_defined(op, t);
  const auto& s = t.value().shape();
  if (s.size() != 2 || s[0] != n) {
    throw ShapeError(std::string(op) + ": " + what + " of shape " + shape_str(s) + " must be (" +
                     std::to_string(n) + ", F) for " + adj_str(adj));
  }
}

}  // namespace

template <class T>
Tensor<T> spmm(const SparseCsr& adj, const Tensor<T>& x) {
  require_rows("spmm", "x", x, adj.cols(), adj);
  return spmm_impl(adj, x);
}

template <class T>
Tensor<T> spmm(const SparseCsr& adj, const Tensor<T>& x, const Tensor<T>& edge_weights) {
  require_rows("spmm", "x", x, adj.cols(), adj);
  detail::require_defined("spmm", edge_weights);
  const auto& ws = edge_weights.value().shape();
  if (ws.size() != 1 || ws[0] != adj.nnz()) {
    throw ShapeError("spmm: edge weights of shape " + shape_str(ws) + " must be (" +
                     std::to_string(adj.nnz()) + "), one per edge of " + adj_str(adj));
  }
  if (adj.has_weights()) {
    throw ShapeError("spmm: " + adj_str(adj) +
                     " carries weights of its own; pass either those (spmm(adj, x)) or a weight "
                     "tensor with an unweighted adjacency");
  }
  return spmm_weighted_impl(adj, x, edge_weights);
}

template <class T>
Tensor<T> sddmm(const SparseCsr& adj, const Tensor<T>& a, const Tensor<T>& b) {
  require_rows("sddmm", "a", a, adj.rows(), adj);
  require_rows("sddmm", "b", b, adj.cols(), adj);
  if (a.value().shape()[1] != b.value().shape()[1]) {
    throw ShapeError("sddmm: a of shape " + shape_str(a.value().shape()) + " and b of shape " +
                     shape_str(b.value().shape()) + " must have the same number of columns");
  }
  return sddmm_impl(adj, a, b);
}

#define XG_INSTANTIATE(T)                                                        \
  template Tensor<T> spmm(const SparseCsr&, const Tensor<T>&);                   \
  template Tensor<T> spmm(const SparseCsr&, const Tensor<T>&, const Tensor<T>&); \
  template Tensor<T> sddmm(const SparseCsr&, const Tensor<T>&, const Tensor<T>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
