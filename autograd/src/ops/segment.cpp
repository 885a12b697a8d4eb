// Reductions over segments of edges (rows of a tensor grouped by destination): sum, mean, max
// and softmax. The segments are the rows of a SparseCsr (a list of ids is counted into one), so
// every loop runs a segment whole on one thread. Rules are written with recorded operations.
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/buffer.hpp"
#include "kernels/graph.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/graph.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::array_shape;
using detail::CsrData;

kernels::CsrRows rows_of(const CsrData& d) {
  return {d.rows, d.offsets.data()};
}

/// ShapeError unless src has at least one axis, of `edges` rows.
template <class T>
void require_edge_rows(const char* op, const Tensor<T>& src, std::size_t edges,
                       const std::string& source) {
  detail::require_defined(op, src);
  const auto& s = src.value().shape();
  if (s.empty() || s[0] != edges) {
    throw ShapeError(std::string(op) + ": src of shape " + shape_str(s) + " must be (" +
                     std::to_string(edges) + ", ...), one row per " + source);
  }
}

/// The segments of a list of ids as a (num_segments x E) graph whose edge e is (e -> ids[e]).
template <class T>
SparseCsr segments_of(const char* op, const Tensor<T>& src, const std::vector<std::size_t>& ids,
                      std::size_t num_segments) {
  require_edge_rows(op, src, ids.size(), "segment id (" + std::to_string(ids.size()) + " ids)");
  for (std::size_t p = 0; p < ids.size(); ++p) {
    if (ids[p] >= num_segments) {
      throw IndexError(std::string(op) + ": segment id " + std::to_string(ids[p]) +
                       " at position " + std::to_string(p) + " is out of range for " +
                       std::to_string(num_segments) + " segments");
    }
  }
  std::vector<std::size_t> rows(ids.size());
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  return SparseCsr(num_segments, ids.size(), rows, ids);
}

template <class T>
const SparseCsr& checked_graph(const char* op, const Tensor<T>& src, const SparseCsr& graph) {
  require_edge_rows(op, src, graph.nnz(), "edge of the graph");
  return graph;
}

/// The shape of src with axis 0 replaced by the segment count, and the elements per row.
array_shape segment_shape(const array_shape& s, std::size_t rows, std::size_t& inner) {
  array_shape out(s);
  out[0] = rows;
  inner = detail::span_count(s, 1, s.size());
  return out;
}

XG_RULE_TEXT(segment_sum,
             "out[s] = sum of src[e] over the edges e of segment s (0 if none); dsrc = "
             "index_select(g, 0, segment ids)");
template <class T>
Tensor<T> segment_sum_impl(const Tensor<T>& src, const SparseCsr& graph) {
  const CsrData& d = graph.data();
  std::size_t inner = 0;
  xt::xarray<T> out = detail::uninitialized_array<T>(
      "segment_sum", segment_shape(src.value().shape(), d.rows, inner));
  kernels::csr_rows_sum<T>(rows_of(d), d.edge_of.data(), nullptr, src.value().data(), inner,
                           out.data());
  return record<T>(
      "segment_sum", std::move(out), {src},
      [graph](BackwardContext<T>& c) {
        c.input_grads[0] = xg::index_select(c.grad, 0, graph.edge_destinations());
      },
      Saves::nothing());
}

template <class T>
Tensor<T> segment_mean_impl(const Tensor<T>& src, const SparseCsr& graph) {
  const std::vector<std::size_t> counts = graph.row_counts();
  Shape s(src.dim(), 1);
  s[0] = counts.size();
  xt::xarray<T> inv = detail::uninitialized_array<T>("segment_mean", detail::to_array_shape(s));
  for (std::size_t i = 0; i < counts.size(); ++i) {
    inv.data()[i] = counts[i] == 0 ? T(0) : T(1) / static_cast<T>(counts[i]);
  }
  return mul(segment_sum_impl(src, graph), detail::constant(std::move(inv)));
}

XG_RULE_TEXT(segment_max,
             "out[s] = the maximum of src[e] over segment s, per element (0 if none); dsrc[e] = "
             "g[s] / (the number of rows of s equal to out[s]) where src[e] = out[s], else 0, "
             "as index_select(g * inverse counts, 0, ids) * mask");
template <class T>
Tensor<T> segment_max_impl(const Tensor<T>& src, const SparseCsr& graph) {
  const CsrData& d = graph.data();
  std::size_t inner = 0;
  xt::xarray<T> out = detail::uninitialized_array<T>(
      "segment_max", segment_shape(src.value().shape(), d.rows, inner));
  kernels::csr_rows_max<T>(rows_of(d), d.edge_of.data(), src.value().data(), inner, out.data());
  return record<T>(
      "segment_max", std::move(out), {src},
      [graph, inner](BackwardContext<T>& c) {
        const CsrData& d = graph.data();
        const xt::xarray<T>& x = c.inputs[0].value();
        const xt::xarray<T>& y = c.output.value();
        // Which rows hold their segment's maximum, and how many share it (ties).
        xt::xarray<T> mask = detail::uninitialized_array<T>("segment_max backward", x.shape());
        xt::xarray<T> inv = detail::uninitialized_array<T>("segment_max backward", y.shape());
        std::fill(inv.begin(), inv.end(), T(0));
        for (std::size_t e = 0; e < d.dst.size(); ++e) {
          for (std::size_t k = 0; k < inner; ++k) {
            const bool hit = x.data()[e * inner + k] == y.data()[d.dst[e] * inner + k];
            mask.data()[e * inner + k] = hit ? T(1) : T(0);
            if (hit) inv.data()[d.dst[e] * inner + k] += T(1);
          }
        }
        for (auto& v : inv) v = v == T(0) ? T(0) : T(1) / v;
        c.input_grads[0] =
            mul(xg::index_select(mul(c.grad, detail::constant(std::move(inv))), 0, d.dst),
                detail::constant(std::move(mask)));
      },
      Saves::input(0) | Saves::result());
}

XG_RULE_TEXT(segment_softmax,
             "out[e] = exp(a[e] - m) / sum of exp(a - m) over e's segment, m its maximum; da = "
             "out * (g - index_select(segment_sum(g * out), 0, segment ids))");
template <class T>
Tensor<T> segment_softmax_impl(const Tensor<T>& scores, const SparseCsr& graph) {
  const CsrData& d = graph.data();
  const auto& s = scores.value().shape();
  const std::size_t inner = detail::span_count(s, 1, s.size());
  xt::xarray<T> out = detail::uninitialized_array<T>("segment_softmax", s);
  kernels::csr_rows_softmax<T>(rows_of(d), d.edge_of.data(), scores.value().data(), inner,
                               out.data());
  return record<T>(
      "segment_softmax", std::move(out), {scores},
      [graph](BackwardContext<T>& c) {
        const Tensor<T>& y = c.output;
        const Tensor<T> sums = segment_sum_impl(mul(c.grad, y), graph);
        c.input_grads[0] =
            mul(y, sub(c.grad, xg::index_select(sums, 0, graph.edge_destinations())));
      },
      Saves::result());
}

}  // namespace

template <class T>
Tensor<T> segment_sum(const Tensor<T>& src, const std::vector<std::size_t>& ids,
                      std::size_t num_segments) {
  return segment_sum_impl(src, segments_of("segment_sum", src, ids, num_segments));
}
template <class T>
Tensor<T> segment_sum(const Tensor<T>& src, const SparseCsr& graph) {
  return segment_sum_impl(src, checked_graph("segment_sum", src, graph));
}
template <class T>
Tensor<T> segment_mean(const Tensor<T>& src, const std::vector<std::size_t>& ids,
                       std::size_t num_segments) {
  return segment_mean_impl(src, segments_of("segment_mean", src, ids, num_segments));
}
template <class T>
Tensor<T> segment_mean(const Tensor<T>& src, const SparseCsr& graph) {
  return segment_mean_impl(src, checked_graph("segment_mean", src, graph));
}
template <class T>
Tensor<T> segment_max(const Tensor<T>& src, const std::vector<std::size_t>& ids,
                      std::size_t num_segments) {
  return segment_max_impl(src, segments_of("segment_max", src, ids, num_segments));
}
template <class T>
Tensor<T> segment_max(const Tensor<T>& src, const SparseCsr& graph) {
  return segment_max_impl(src, checked_graph("segment_max", src, graph));
}
template <class T>
Tensor<T> segment_softmax(const Tensor<T>& scores, const std::vector<std::size_t>& ids,
                          std::size_t num_segments) {
  return segment_softmax_impl(scores, segments_of("segment_softmax", scores, ids, num_segments));
}
template <class T>
Tensor<T> segment_softmax(const Tensor<T>& scores, const SparseCsr& graph) {
  return segment_softmax_impl(scores, checked_graph("segment_softmax", scores, graph));
}

#define XG_INSTANTIATE(T)                                                                          \
  template Tensor<T> segment_sum(const Tensor<T>&, const std::vector<std::size_t>&, std::size_t);  \
  template Tensor<T> segment_sum(const Tensor<T>&, const SparseCsr&);                              \
  template Tensor<T> segment_mean(const Tensor<T>&, const std::vector<std::size_t>&, std::size_t); \
  template Tensor<T> segment_mean(const Tensor<T>&, const SparseCsr&);                             \
  template Tensor<T> segment_max(const Tensor<T>&, const std::vector<std::size_t>&, std::size_t);  \
  template Tensor<T> segment_max(const Tensor<T>&, const SparseCsr&);                              \
  template Tensor<T> segment_softmax(const Tensor<T>&, const std::vector<std::size_t>&,            \
                                     std::size_t);                                                 \
  template Tensor<T> segment_softmax(const Tensor<T>&, const SparseCsr&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
