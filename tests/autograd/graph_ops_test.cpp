// SparseCsr, spmm / sddmm and the segment reductions: layouts, values against dense
// arithmetic, gradients and second derivatives in double, ties, empty segments, errors and the
// same bits for any thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;
using Ids = std::vector<std::size_t>;

// A 4-node graph given out of order, with a repeated edge (2 -> 0 twice) and node 3 without
// incoming edges: edges (src -> dst) 1->2, 2->0, 0->1, 2->0, 3->1, 0->2.
const Ids kSrc = {1, 2, 0, 2, 3, 0};
const Ids kDst = {2, 0, 1, 0, 1, 2};

SparseCsr small_graph(const std::vector<double>& w = {}) {
  return SparseCsr::from_edges(4, kSrc, kDst, w);
}

// ---- SparseCsr ----

TEST(SparseCsr, CountsEdgesIntoRowsStably) {
  const SparseCsr a = small_graph();
  EXPECT_EQ(a.rows(), 4u);
  EXPECT_EQ(a.cols(), 4u);
  EXPECT_EQ(a.nnz(), 6u);
  EXPECT_EQ(a.row_offsets(), (Ids{0, 2, 4, 6, 6}));
  EXPECT_EQ(a.edge_ids(), (Ids{1, 3, 2, 4, 0, 5}));  // row 0: edges 1 and 3, in input order
  EXPECT_EQ(a.col_ids(), (Ids{2, 2, 0, 3, 1, 0}));
  EXPECT_EQ(a.row_counts(), (Ids{2, 2, 2, 0}));
  EXPECT_EQ(a.edge_sources(), kSrc);
  EXPECT_EQ(a.edge_destinations(), kDst);
  EXPECT_FALSE(a.has_weights());
}

TEST(SparseCsr, TransposeIsBuiltOnceAndShared) {
  const SparseCsr a = SparseCsr(3, 4, kSrc, {2, 0, 1, 0, 1, 2}, {1, 2, 3, 4, 5, 6});
  const SparseCsr t = a.transpose();
  EXPECT_EQ(t.rows(), 4u);
  EXPECT_EQ(t.cols(), 3u);
  EXPECT_EQ(t.row_offsets(), (Ids{0, 2, 3, 5, 6}));
  EXPECT_EQ(t.edge_ids(), (Ids{2, 5, 0, 1, 3, 4}));
  EXPECT_EQ(t.col_ids(), (Ids{1, 2, 2, 0, 0, 1}));
  EXPECT_TRUE(t.has_weights());
  EXPECT_EQ(t.transpose().identity(), a.identity());
  EXPECT_EQ(a.transpose().identity(), t.identity());
  EXPECT_NE(t.identity(), a.identity());
}

TEST(SparseCsr, Errors) {
  EXPECT_THROW_WITH(SparseCsr::from_edges(4, {0, 1, 4}, {1, 2, 3}), IndexError, "SparseCsr",
                    "edge 2", "source node 4", "4 source nodes");
  EXPECT_THROW_WITH(SparseCsr(3, 5, {0, 4}, {1, 3}), IndexError, "edge 1", "destination node 3",
                    "3 destination nodes");
  EXPECT_THROW_WITH(SparseCsr::from_edges(4, {0, 1}, {1}), ShapeError, "2 edge sources",
                    "1 destinations");
  EXPECT_THROW_WITH(SparseCsr::from_edges(4, {0, 1}, {1, 2}, {1.0}), ShapeError, "1 weights",
                    "2 edges");
  const SparseCsr empty;
  EXPECT_EQ(empty.rows(), 0u);
  EXPECT_EQ(empty.nnz(), 0u);
}

// ---- spmm and sddmm ----

/// The dense (rows, cols) matrix of a graph with weights w (1 if empty), repeats added.
xt::xarray<double> dense(std::size_t rows, std::size_t cols, const Ids& src, const Ids& dst,
                         const std::vector<double>& w) {
  xt::xarray<double> a = xt::zeros<double>({rows, cols});
  for (std::size_t e = 0; e < src.size(); ++e) a(dst[e], src[e]) += w.empty() ? 1.0 : w[e];
  return a;
}

TEST(Spmm, MatchesTheDenseProduct) {
  const D x = uniform<double>({4, 3}, -1, 1, 3, false);
  const std::vector<double> w = {0.5, -1, 2, 0.25, 3, -0.75};
  for (const auto& weights : {std::vector<double>{}, w}) {
    const D y = spmm(small_graph(weights), x);
    const D want = matmul(D(dense(4, 4, kSrc, kDst, weights)), x);
    test::expect_close(y.value(), want.value(), 1e-15);
    // Node 3 has no incoming edge: its row is 0.
    for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(y.value()(3, k), 0.0);
  }
  const D yw = spmm(small_graph(), x, D::from({6}, w));
  test::expect_close(yw.value(), matmul(D(dense(4, 4, kSrc, kDst, w)), x).value(), 1e-15);
  // A rectangular (rows = destinations, cols = sources) product.
  const SparseCsr r(2, 5, {4, 0, 4}, {1, 1, 0});
  const D xr = uniform<double>({5, 2}, -1, 1, 4, false);
  test::expect_close(spmm(r, xr).value(),
                     matmul(D(dense(2, 5, {4, 0, 4}, {1, 1, 0}, {})), xr).value(), 1e-15);
  EXPECT_EQ(spmm(r, D::zeros({5, 0})).shape(), (Shape{2, 0}));
}

TEST(Spmm, GradientsAndSecondDerivatives) {
  const SparseCsr a = small_graph({0.5, -1, 2, 0.25, 3, -0.75});
  const D x = uniform<double>({4, 3}, -1, 1, 5);
  Fn<double> plain = [a](const std::vector<D>& v) { return spmm(a, v[0]); };
  Fn<double> curved = [a](const std::vector<D>& v) {
    const D y = spmm(a, v[0]);
    return tanh(y) * y;
  };
  EXPECT_GRADCHECK(double, plain, {x});
  EXPECT_GRADGRADCHECK(double, plain, {x});
  EXPECT_GRADCHECK(double, curved, {x});
  EXPECT_GRADGRADCHECK(double, curved, {x});
}

TEST(Spmm, EdgeWeightGradientsAndSecondDerivatives) {
  const SparseCsr a = small_graph();
  const D x = uniform<double>({4, 3}, -1, 1, 6);
  const D w = uniform<double>({6}, -1, 1, 7);
  Fn<double> fn = [a](const std::vector<D>& v) { return spmm(a, v[0], v[1]); };
  Fn<double> curved = [a](const std::vector<D>& v) {
    const D y = spmm(a, v[0], v[1]);
    return y * y;
  };
  EXPECT_GRADCHECK(double, fn, {x, w});
  EXPECT_GRADGRADCHECK(double, fn, {x, w});
  EXPECT_GRADCHECK(double, curved, {x, w});
  EXPECT_GRADGRADCHECK(double, curved, {x, w});
  // dw[e] = dot(g[dst e], x[src e]).
  D xs = x.detach();
  D ws = w.detach().requires_grad_();
  const D g = uniform<double>({4, 3}, -1, 1, 8, false);
  spmm(a, xs, ws).backward(g);
  for (std::size_t e = 0; e < 6; ++e) {
    double dot = 0;
    for (std::size_t k = 0; k < 3; ++k) dot += g.value()(kDst[e], k) * x.value()(kSrc[e], k);
    EXPECT_NEAR(ws.grad().value()(e), dot, 1e-15) << "edge " << e;
  }
}

TEST(Sddmm, ValuesGradientsAndSecondDerivatives) {
  const SparseCsr r(3, 4, {0, 3, 3, 1}, {2, 0, 2, 1});  // rows 3, cols 4
  const D a = uniform<double>({3, 2}, -1, 1, 9);
  const D b = uniform<double>({4, 2}, -1, 1, 10);
  const D y = sddmm(r, a, b);
  ASSERT_EQ(y.shape(), (Shape{4}));
  EXPECT_NEAR(y.value()(1), a.value()(0, 0) * b.value()(3, 0) + a.value()(0, 1) * b.value()(3, 1),
              1e-15);
  Fn<double> fn = [r](const std::vector<D>& v) {
    const D s = sddmm(r, v[0], v[1]);
    return s * s;
  };
  EXPECT_GRADCHECK(double, fn, {a, b});
  EXPECT_GRADGRADCHECK(double, fn, {a, b});
}

TEST(Spmm, Errors) {
  const SparseCsr a = small_graph();
  EXPECT_THROW_WITH(spmm(a, D::zeros({3, 2})), ShapeError, "spmm", "x of shape (3, 2)", "(4, F)",
                    "(4 x 4) adjacency with 6 edges");
  EXPECT_THROW_WITH(spmm(a, D::zeros({4})), ShapeError, "spmm", "(4)");
  EXPECT_THROW_WITH(spmm(a, D::zeros({4, 2}), D::zeros({5})), ShapeError, "edge weights", "(5)",
                    "(6)");
  EXPECT_THROW_WITH(spmm(small_graph({1, 1, 1, 1, 1, 1}), D::zeros({4, 2}), D::zeros({6})),
                    ShapeError, "weights of its own");
  EXPECT_THROW_WITH(sddmm(a, D::zeros({4, 2}), D::zeros({4, 3})), ShapeError, "sddmm",
                    "same number of columns");
  EXPECT_THROW_WITH(spmm(a, D()), GraphError, "spmm");
}

// ---- segment reductions ----

TEST(Segment, SumAndMeanWithAnEmptySegment) {
  const D src = D::from({5, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const Ids ids = {2, 0, 2, 2, 0};  // segment 1 is empty
  const D s = segment_sum(src, ids, 3);
  EXPECT_EQ(test::values_of(s), (std::vector<double>{12, 14, 0, 0, 13, 16}));
  const D m = segment_mean(src, ids, 3);
  EXPECT_EQ(test::values_of(m), (std::vector<double>{6, 7, 0, 0, 13.0 / 3, 16.0 / 3}));
  // Trailing axes are kept; a 1-D src gives (num_segments).
  EXPECT_EQ(segment_sum(D::zeros({5, 2, 3}), ids, 4).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(test::values_of(segment_sum(D::from({3}, {1, 2, 4}), Ids{1, 1, 0}, 2)),
            (std::vector<double>{4, 3}));
  // The graph form: one row per edge, segments by destination.
  const D e = uniform<double>({6, 2}, -1, 1, 11, false);
  test::expect_close(segment_sum(e, small_graph()).value(), segment_sum(e, kDst, 4).value(), 0);
}

TEST(Segment, SumMeanGradientsAndSecondDerivatives) {
  const D src = uniform<double>({6, 2}, -1, 1, 12);
  const Ids ids = {1, 3, 1, 0, 3, 3};  // segment 2 empty
  for (int mean : {0, 1}) {
    Fn<double> fn = [ids, mean](const std::vector<D>& v) {
      const D s = mean ? segment_mean(v[0], ids, 4) : segment_sum(v[0], ids, 4);
      return s * s;
    };
    EXPECT_GRADCHECK(double, fn, {src});
    EXPECT_GRADGRADCHECK(double, fn, {src});
  }
}

TEST(Segment, MaxSplitsTiesEvenlyAsTorchScatterReduce) {
  // torch 1.13: zeros(3).scatter_reduce(0, [0, 0, 0, 1, 1], [1, 3, 3, 2, 5], "amax",
  // include_self=False) = [3, 5, 0]; backward of g = [1, 10, 100] gives [0, .5, .5, 0, 10].
  D src = D::from({5}, {1, 3, 3, 2, 5}, true);
  const D y = segment_max(src, Ids{0, 0, 0, 1, 1}, 3);
  EXPECT_EQ(test::values_of(y), (std::vector<double>{3, 5, 0}));
  y.backward(D::from({3}, {1, 10, 100}));
  EXPECT_EQ(test::values_of(src.grad()), (std::vector<double>{0, 0.5, 0.5, 0, 10}));
  // Per feature, with NaN winning.
  const double nan = std::nan("");
  const D z = segment_max(D::from({3, 2}, {1, nan, 4, 2, 3, 5}), Ids{0, 0, 0}, 1);
  EXPECT_EQ(z.value()(0, 0), 4.0);
  EXPECT_TRUE(std::isnan(z.value()(0, 1)));
}

TEST(Segment, MaxGradientsAndSecondDerivatives) {
  // Values far apart: no ties, so the max is differentiable at the point.
  const D src =
      D::from({6, 2}, {0.1, -0.9, 0.7, 0.4, -0.3, 0.8, 0.5, -0.2, 0.9, 0.0, -0.6, 0.3}, true);
  const Ids ids = {0, 2, 0, 2, 2, 0};
  Fn<double> fn = [ids](const std::vector<D>& v) {
    const D m = segment_max(v[0], ids, 3);
    return m * m;
  };
  EXPECT_GRADCHECK(double, fn, {src});
  EXPECT_GRADGRADCHECK(double, fn, {src});
}

TEST(Segment, SoftmaxIsStableAndSumsToOnePerSegment) {
  // Scores of 1000 would overflow exp() unshifted.
  const D a = D::from({5, 2}, {1000, 1, 999, 2, 1, 3, 0, -1000, 1001, 4});
  const Ids ids = {0, 0, 2, 2, 0};  // segment 1 empty: no row belongs to it
  const D y = segment_softmax(a, ids, 3);
  ASSERT_EQ(y.shape(), (Shape{5, 2}));
  test::expect_all_finite(y, "segment_softmax");
  const double z0 = std::exp(-1.0) + std::exp(-2.0) + 1.0;
  EXPECT_NEAR(y.value()(0, 0), std::exp(-1.0) / z0, 1e-15);
  EXPECT_NEAR(y.value()(4, 0), 1.0 / z0, 1e-15);
  const D sums = segment_sum(y, ids, 3);
  EXPECT_EQ(test::values_of(sums)[2], 0.0);  // the empty segment aggregates to 0
  for (std::size_t k : {0u, 1u}) {
    EXPECT_NEAR(sums.value()(0, k), 1.0, 1e-15);
    EXPECT_NEAR(sums.value()(2, k), 1.0, 1e-15);
  }
  // Each (segment, head) is normalised on its own; a 1-D score vector works alike.
  EXPECT_NEAR(y.value()(2, 1) + y.value()(3, 1), 1.0, 1e-15);
  const D y1 = segment_softmax(D::from({3}, {0.5, 0.5, 2}), Ids{1, 1, 0}, 2);
  EXPECT_EQ(test::values_of(y1), (std::vector<double>{0.5, 0.5, 1.0}));
}

TEST(Segment, SoftmaxGradientsAndSecondDerivatives) {
  const Ids ids = {1, 0, 1, 1, 3, 0, 3};  // segment 2 empty, segment 3 of two
  for (const Shape& s : {Shape{7}, Shape{7, 3}}) {
    const D a = uniform<double>(s, -2, 2, 13);
    Fn<double> fn = [ids](const std::vector<D>& v) { return segment_softmax(v[0], ids, 4); };
    EXPECT_GRADCHECK(double, fn, {a});
    EXPECT_GRADGRADCHECK(double, fn, {a});
  }
  // Through the graph form, followed by an aggregation of messages (attention).
  const D a = uniform<double>({6, 2}, -1, 1, 14);
  const D x = uniform<double>({6, 2}, -1, 1, 15);
  const SparseCsr g = small_graph();
  Fn<double> attn = [g](const std::vector<D>& v) {
    return segment_sum(segment_softmax(v[0], g) * v[1], g);
  };
  EXPECT_GRADCHECK(double, attn, {a, x});
  EXPECT_GRADGRADCHECK(double, attn, {a, x});
}

TEST(Segment, Errors) {
  const D src = D::zeros({3, 2});
  EXPECT_THROW_WITH(segment_sum(src, Ids{0, 4, 1}, 3), IndexError, "segment_sum",
                    "segment id 4 at position 1", "3 segments");
  EXPECT_THROW_WITH(segment_max(src, Ids{0, 1}, 3), ShapeError, "segment_max", "(3, 2)",
                    "(2, ...)");
  EXPECT_THROW_WITH(segment_softmax(D::scalar(1.0), Ids{0}, 1), ShapeError, "segment_softmax");
  EXPECT_THROW_WITH(segment_mean(src, small_graph()), ShapeError, "segment_mean", "(6, ...)",
                    "edge of the graph");
  EXPECT_THROW_WITH(segment_softmax(src, Ids{0, 0, 2}, 2), IndexError, "segment_softmax",
                    "segment id 2");
}

// ---- the same bits for any thread count ----

TEST(GraphKernels, ResultsDoNotDependOnTheThreadCount) {
  std::mt19937 rng(3);
  const std::size_t n = 3000, e = 40000, f = 16;
  std::uniform_int_distribution<std::size_t> node(0, n - 1);
  Ids src(e), dst(e);
  for (std::size_t i = 0; i < e; ++i) src[i] = node(rng), dst[i] = node(rng);
  const SparseCsr a = SparseCsr::from_edges(n, src, dst);
  const D x = uniform<double>({n, f}, -1, 1, 16);
  const D w = uniform<double>({e}, -1, 1, 17);
  const D msg = uniform<double>({e, f}, -1, 1, 18);
  auto run = [&] {
    D xs = x.detach().requires_grad_();
    D ws = w.detach().requires_grad_();
    D ms = msg.detach().requires_grad_();
    D out = sum(spmm(a, xs, ws) * spmm(a.transpose(), xs)) +
            sum(segment_max(ms, a) * segment_mean(ms, a)) + sum(segment_softmax(ms, a) * ms);
    out.backward();
    return std::vector<xt::xarray<double>>{out.value(), xs.grad().value(), ws.grad().value(),
                                           ms.grad().value()};
  };
  const auto one = test::at_threads(1, run);
  const auto two = test::at_threads(2, run);
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_EQ(one[i], two[i]) << "result " << i;
}

TEST(GraphKernels, FloatWorksToo) {
  const SparseCsr a = small_graph({0.5, -1, 2, 0.25, 3, -0.75});
  const Tensor<float> x = uniform<float>({4, 3}, -1, 1, 19);
  Fn<float> fn = [a](const std::vector<Tensor<float>>& v) {
    return segment_softmax(spmm(a, v[0]), Ids{0, 1, 0, 1}, 2);
  };
  EXPECT_GRADCHECK(float, fn, {x});
}

}  // namespace
}  // namespace xg
