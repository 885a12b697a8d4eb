// matmul: values against xt::linalg::dot (xtensor-blas) for every NumPy shape case, in float and
// double; gradients, second derivatives, a Hessian-vector product, and error messages.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>

#include "kernels/blas.hpp"  // internal wrappers, tested directly below
#include "test_support.hpp"

namespace xg {
namespace {

using test::expect_close;
using test::Fn;
using test::uniform;
using D = Tensor<double>;

/// Reference matmul from xt::linalg::dot: 1-D / 2-D operands directly, batches one matrix
/// product at a time (batch axes broadcast NumPy-style).
template <class T>
xt::xarray<T> reference(const xt::xarray<T>& a, const xt::xarray<T>& b) {
  if (a.dimension() <= 2 && b.dimension() <= 2) {
    xt::xarray<T> r = xt::linalg::dot(a, b);
    if (a.dimension() == 1 && b.dimension() == 1) r.reshape({});  // dot gives (1); NumPy ()
    return r;
  }
  Shape as(a.shape().begin(), a.shape().end()), bs(b.shape().begin(), b.shape().end());
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  const std::size_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const Shape ba(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  const std::size_t r = std::max(ba.size(), bb.size());
  Shape batch(r);
  for (std::size_t i = 0; i < r; ++i) {
    const std::size_t da = i < r - ba.size() ? 1 : ba[i - (r - ba.size())];
    const std::size_t db = i < r - bb.size() ? 1 : bb[i - (r - bb.size())];
    batch[i] = std::max(da, db);
  }
  std::size_t count = 1;
  for (auto d : batch) count *= d;
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  // Flat index of a batch entry in an operand whose batch shape `own` broadcasts to `batch`.
  auto offset = [&](const Shape& own, std::size_t p) {
    std::size_t off = 0, stride = 1;
    for (std::size_t i = r; i-- > 0;) {
      const std::size_t idx = p % batch[i];
      p /= batch[i];
      if (i < r - own.size()) continue;
      const std::size_t d = own[i - (r - own.size())];
      off += (d == 1 ? 0 : idx) * stride;
      stride *= d;
    }
    return off;
  };
  for (std::size_t p = 0; p < count; ++p) {
    xt::xarray<T> am = xt::xarray<T>::from_shape({m, k});
    xt::xarray<T> bm = xt::xarray<T>::from_shape({k, n});
    std::copy_n(a.data() + offset(ba, p) * m * k, m * k, am.data());
    std::copy_n(b.data() + offset(bb, p) * k * n, k * n, bm.data());
    xt::xarray<T> cm = xt::linalg::dot(am, bm);
    std::copy_n(cm.data(), m * n, out.data() + p * m * n);
  }
  Shape final_shape = batch;
  if (!a_vec) final_shape.push_back(m);
  if (!b_vec) final_shape.push_back(n);
  out.reshape(final_shape);
  return out;
}

// Every NumPy case: plain, one-row / one-column (gemv paths), vectors, batches, broadcast
// batches, 4-D broadcast, k = 1.
const std::vector<std::pair<Shape, Shape>> kCases = {{{2, 3}, {3, 4}},
                                                     {{1, 5}, {5, 1}},
                                                     {{1, 4}, {4, 3}},
                                                     {{3, 4}, {4, 1}},
                                                     {{4, 3}, {3}},
                                                     {{3}, {3, 5}},
                                                     {{4}, {4}},
                                                     {{5, 1}, {1, 6}},
                                                     {{2, 3, 4}, {2, 4, 5}},
                                                     {{2, 3, 4}, {4, 5}},
                                                     {{3, 4}, {2, 4, 5}},
                                                     {{1, 3, 4}, {2, 4, 5}},
                                                     {{2, 3, 4}, {1, 4, 5}},
                                                     {{2, 3, 4}, {4}},
                                                     {{4}, {2, 4, 5}},
                                                     {{2, 1, 3, 4}, {3, 4, 2}},
                                                     {{1, 1}, {1, 1}},
                                                     {{2, 1, 2, 3}, {1, 2, 3, 2}}};

template <class T>
void check_values_against_blas(double tol) {
  unsigned seed = 1;
  for (const auto& [sa, sb] : kCases) {
    SCOPED_TRACE(shape_str(sa) + " x " + shape_str(sb));
    auto a = uniform<T>(sa, -1, 1, seed++, false);
    auto b = uniform<T>(sb, -1, 1, seed++, false);
    expect_close<T>(matmul(a, b).value(), reference<T>(a.value(), b.value()), tol);
  }
}

TEST(LinalgMatmul, ValuesMatchXtensorBlasDouble) {
  check_values_against_blas<double>(1e-12);
}
TEST(LinalgMatmul, ValuesMatchXtensorBlasFloat) {
  check_values_against_blas<float>(1e-5);
}

TEST(LinalgMatmul, LargerNonSquareMatchesXtensorBlas) {
  auto a = uniform<float>({33, 70}, -1, 1, 5, false);
  auto b = uniform<float>({70, 29}, -1, 1, 6, false);
  expect_close<float>(matmul(a, b).value(), xt::linalg::dot(a.value(), b.value()), 1e-5);
  auto ad = uniform<double>({4, 33, 70}, -1, 1, 7, false);
  auto bd = uniform<double>({70, 29}, -1, 1, 8, false);
  expect_close<double>(matmul(ad, bd).value(), reference<double>(ad.value(), bd.value()), 1e-12);
}

TEST(LinalgMatmul, HandWrittenValues) {
  D a = D::from({2, 2}, {1, 2, 3, 4});
  D b = D::from({2, 2}, {5, 6, 7, 8});
  D c = matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{2, 2}));
  EXPECT_EQ(std::vector<double>(c.value().begin(), c.value().end()),
            (std::vector<double>{19, 22, 43, 50}));
  // (2, 3) x (3) -> (2)
  D m = D::from({2, 3}, {1, 0, 2, -1, 3, 1});
  D v = D::from({3}, {2, 1, 3});
  D mv = matmul(m, v);
  EXPECT_EQ(mv.shape(), (Shape{2}));
  EXPECT_DOUBLE_EQ(mv.value()(0), 8.0);
  EXPECT_DOUBLE_EQ(mv.value()(1), 4.0);
  // (2) x (2, 3) -> (3)
  D vm = matmul(D::from({2}, {1, 2}), m);
  EXPECT_EQ(vm.shape(), (Shape{3}));
  EXPECT_EQ(std::vector<double>(vm.value().begin(), vm.value().end()),
            (std::vector<double>{-1, 6, 4}));
  // (3) x (3) -> ()
  D dot = matmul(v, v);
  EXPECT_EQ(dot.shape(), Shape{});
  EXPECT_DOUBLE_EQ(dot.item(), 14.0);
  // (1, 3) x (3, 1) -> (1, 1)
  D outer = matmul(reshape(v, {1, 3}), reshape(v, {3, 1}));
  EXPECT_EQ(outer.shape(), (Shape{1, 1}));
  EXPECT_DOUBLE_EQ(outer.item(), 14.0);
  // Batched: the second batch entry is the identity times 2.
  D A = D::from({2, 2, 2}, {1, 2, 3, 4, 2, 0, 0, 2});
  D B = D::from({2, 2, 1}, {1, 1, 5, 7});
  D AB = matmul(A, B);
  EXPECT_EQ(AB.shape(), (Shape{2, 2, 1}));
  EXPECT_EQ(std::vector<double>(AB.value().begin(), AB.value().end()),
            (std::vector<double>{3, 7, 10, 14}));
}

TEST(LinalgMatmul, EmptyDimensions) {
  // k = 0: the empty sum is zero.
  D z = matmul(D::zeros({2, 0}), D::zeros({0, 3}));
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  for (double x : z.value()) EXPECT_EQ(x, 0.0);
  EXPECT_EQ(matmul(D::zeros({0, 4}), D::zeros({4, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(matmul(D::zeros({0, 3, 4}), D::zeros({4, 5})).shape(), (Shape{0, 3, 5}));
  EXPECT_EQ(matmul(D::zeros({3, 4}), D::zeros({0, 4, 5})).shape(), (Shape{0, 3, 5}));
}

// ---- gradients ----

template <class T>
void check_matmul_gradients() {
  unsigned seed = 11;
  for (const auto& [sa, sb] : kCases) {
    SCOPED_TRACE(shape_str(sa) + " x " + shape_str(sb));
    auto a = uniform<T>(sa, -1, 1, seed++);
    auto b = uniform<T>(sb, -1, 1, seed++);
    Fn<T> f = [](const std::vector<Tensor<T>>& x) { return matmul(x[0], x[1]); };
    EXPECT_GRADCHECK(T, f, {a, b});
    // Bilinear: the second derivative couples a and b (d2/da db), so this is not vacuous.
    EXPECT_GRADGRADCHECK(T, f, {a, b});
    // Squared output: second derivatives with respect to each operand alone are non-zero too.
    Fn<T> sq = [](const std::vector<Tensor<T>>& x) {
      Tensor<T> y = matmul(x[0], x[1]);
      return y * y;
    };
    EXPECT_GRADGRADCHECK(T, sq, {a, b});
  }
}

TEST(LinalgMatmul, GradcheckDouble) {
  check_matmul_gradients<double>();
}
TEST(LinalgMatmul, GradcheckFloat) {
  check_matmul_gradients<float>();
}

TEST(LinalgMatmul, OneOperandRequiresGrad) {
  auto a = uniform<double>({3, 4}, -1, 1, 1);
  auto b = uniform<double>({2, 4, 5}, -1, 1, 2, false);
  Fn<double> f = [](const std::vector<D>& x) { return matmul(x[0], x[1]); };
  EXPECT_GRADCHECK(double, f, {a, b});
  Fn<double> g = [](const std::vector<D>& x) { return matmul(x[1], x[0]); };
  EXPECT_GRADCHECK(double, g, {uniform<double>({5, 3}, -1, 1, 3), b});
}

TEST(LinalgMatmul, BackwardIsGTimesBTransposeAndATransposeTimesG) {
  D a = uniform<double>({3, 4}, -1, 1, 1);
  D b = uniform<double>({4, 2}, -1, 1, 2);
  D g = uniform<double>({3, 2}, -1, 1, 3, false);
  matmul(a, b).backward(g);
  expect_close<double>(a.grad().value(), xt::linalg::dot(g.value(), xt::transpose(b.value())),
                       1e-12);
  expect_close<double>(b.grad().value(), xt::linalg::dot(xt::transpose(a.value()), g.value()),
                       1e-12);
  // Plain backward records nothing: the gradients are leaves.
  EXPECT_TRUE(a.grad().is_leaf());
}

TEST(LinalgMatmul, BatchBroadcastGradientIsSummedOverTheBatch) {
  // (m, k) x (b, k, n): dA = sum_i G_i B_i^T.
  D a = uniform<double>({2, 3}, -1, 1, 1);
  D b = uniform<double>({4, 3, 5}, -1, 1, 2);
  D g = uniform<double>({4, 2, 5}, -1, 1, 3, false);
  matmul(a, b).backward(g);
  xt::xarray<double> want = xt::zeros<double>({2, 3});
  for (std::size_t i = 0; i < 4; ++i) {
    xt::xarray<double> gi = xt::view(g.value(), i);
    xt::xarray<double> bi = xt::view(b.value(), i);
    want += xt::linalg::dot(gi, xt::transpose(bi));
  }
  expect_close<double>(a.grad().value(), want, 1e-12);
  EXPECT_EQ(b.grad().shape(), (Shape{4, 3, 5}));
}

TEST(LinalgMatmul, CreateGraphRecordsTheBackward) {
  D a = uniform<double>({3, 4}, -1, 1, 1);
  D b = uniform<double>({4, 2}, -1, 1, 2);
  GradOptions go;
  go.create_graph = true;
  auto g = grad<double>({sum(matmul(a, b))}, {a, b}, {}, go);
  EXPECT_STREQ(g[0].op_name(), "matmul");
  EXPECT_STREQ(g[1].op_name(), "matmul");
  // d/db sum(dL/da) with dL/da = 1 b^T: every entry of b appears in 3 rows -> 3.
  auto h = grad<double>({sum(g[0])}, {b});
  for (double x : h[0].value()) EXPECT_DOUBLE_EQ(x, 3.0);
}

TEST(LinalgMatmul, HessianVectorProductOfTanhLayer) {
  // f(W) = sum(tanh(X W) * V). grad = X^T (V (1 - t^2)); its derivative along D is
  // X^T (V * (-2 t (1 - t^2)) * (X D)).
  D X = uniform<double>({5, 3}, -1, 1, 1, false);
  D W = uniform<double>({3, 4}, -1, 1, 2);
  D V = uniform<double>({5, 4}, -1, 1, 3, false);
  Fn<double> f = [&](const std::vector<D>& w) { return sum(tanh(matmul(X, w[0])) * V); };
  EXPECT_GRADCHECK(double, f, {W});
  EXPECT_GRADGRADCHECK(double, f, {W});
  Fn<float> ff = [&](const std::vector<Tensor<float>>& w) {
    Tensor<float> Xf(xt::xarray<float>(xt::cast<float>(X.value())));
    Tensor<float> Vf(xt::xarray<float>(xt::cast<float>(V.value())));
    return sum(tanh(matmul(Xf, w[0])) * Vf);
  };
  EXPECT_GRADGRADCHECK(float, ff,
                       {Tensor<float>(xt::xarray<float>(xt::cast<float>(W.value())), true)});
  // Both X and W as variables: the mixed second derivatives too.
  Fn<double> fxw = [&](const std::vector<D>& x) { return sum(tanh(matmul(x[0], x[1])) * V); };
  EXPECT_GRADGRADCHECK(double, fxw, {uniform<double>({5, 3}, -1, 1, 1), W});

  // The Hessian-vector product itself against the closed form.
  D dir = uniform<double>({3, 4}, -1, 1, 4, false);
  GradOptions go;
  go.create_graph = true;
  auto g = grad<double>({f({W})}, {W}, {}, go);
  auto hv = grad<double>({sum(g[0] * dir)}, {W});
  const xt::xarray<double> t = xt::tanh(xt::linalg::dot(X.value(), W.value()));
  const xt::xarray<double> xd = xt::linalg::dot(X.value(), dir.value());
  const xt::xarray<double> inner = V.value() * (-2.0 * t * (1.0 - t * t)) * xd;
  expect_close<double>(hv[0].value(), xt::linalg::dot(xt::transpose(X.value()), inner), 1e-12);
}

// ---- the BLAS wrappers themselves: strided (padded) operands, every transpose combination,
// the gemv shortcuts for one row / one column, beta, and k = 0 ----

template <class T>
void check_gemm_wrapper(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T beta) {
  SCOPED_TRACE("ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) +
               " m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k) +
               " beta=" + std::to_string(beta));
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> dist(-1, 1);
  // Stored shapes, each row padded by 2 unused (NaN) entries.
  const std::size_t a_rows = ta ? k : m, a_cols = ta ? m : k;
  const std::size_t b_rows = tb ? n : k, b_cols = tb ? k : n;
  const std::size_t lda = a_cols + 2, ldb = b_cols + 2, ldc = n + 2;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> a(a_rows * lda, nan), b(b_rows * ldb, nan), c(m * ldc, nan);
  for (std::size_t i = 0; i < a_rows; ++i)
    for (std::size_t j = 0; j < a_cols; ++j) a[i * lda + j] = static_cast<T>(dist(rng));
  for (std::size_t i = 0; i < b_rows; ++i)
    for (std::size_t j = 0; j < b_cols; ++j) b[i * ldb + j] = static_cast<T>(dist(rng));
  std::vector<T> c0(c);
  if (beta != T(0)) {  // with beta == 0, C holds NaNs that must not leak into the result
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j)
        c0[i * ldc + j] = c[i * ldc + j] = static_cast<T>(dist(rng));
  }
  const T alpha = T(1.5);
  blas::gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double want = 0;
      for (std::size_t p = 0; p < k; ++p) {
        const double x = ta ? a[p * lda + i] : a[i * lda + p];
        const double y = tb ? b[j * ldb + p] : b[p * ldb + j];
        want += x * y;
      }
      want *= alpha;
      if (beta != T(0)) want += beta * c0[i * ldc + j];
      EXPECT_NEAR(c[i * ldc + j], want, 1e-5) << i << ", " << j;
    }
    // The padding is left alone.
    EXPECT_TRUE(std::isnan(c[i * ldc + n]));
  }
}

TEST(LinalgBlas, GemmWrapperAllPathsWithPaddedRows) {
  const std::vector<std::array<std::size_t, 3>> sizes = {{3, 4, 5}, {1, 4, 5}, {3, 1, 5}, {1, 1, 5},
                                                         {3, 4, 1}, {3, 4, 0}, {0, 4, 2}};
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (const auto& [m, n, k] : sizes) {
        for (double beta : {0.0, 0.5}) {
          check_gemm_wrapper<double>(ta, tb, m, n, k, beta);
          check_gemm_wrapper<float>(ta, tb, m, n, k, static_cast<float>(beta));
        }
      }
    }
  }
}

// ---- errors ----

TEST(LinalgMatmul, Errors) {
  EXPECT_THROW_WITH(matmul(D::zeros({2, 3}), D::zeros({4, 5})), ShapeError,
                    "matmul: shapes (2, 3) and (4, 5)", "inner dimensions 3", "and 4");
  EXPECT_THROW_WITH(matmul(D::zeros({2, 3}), D::zeros({4})), ShapeError, "matmul", "(2, 3)", "(4)",
                    "3", "4");
  EXPECT_THROW_WITH(matmul(D::zeros({3}), D::zeros({4})), ShapeError, "matmul", "(3)", "(4)");
  EXPECT_THROW_WITH(matmul(D::zeros({5}), D::zeros({2, 4, 6})), ShapeError, "matmul", "(5)",
                    "(2, 4, 6)", "5", "4");
  EXPECT_THROW_WITH(matmul(D::zeros({2, 3, 4}), D::zeros({3, 4, 5})), ShapeError, "matmul",
                    "(2, 3, 4)", "(3, 4, 5)", "batch", "(2)", "(3)");
  EXPECT_THROW_WITH(matmul(D::scalar(1.0), D::zeros({2})), ShapeError, "matmul", "()", "(2)",
                    "0-d");
  EXPECT_THROW(matmul(D(), D::zeros({2})), GraphError);
}

TEST(LinalgMatmul, NoGradModeRecordsNothing) {
  D a = uniform<double>({2, 3});
  D b = uniform<double>({3, 2});
  NoGradGuard guard;
  D c = matmul(a, b);
  EXPECT_TRUE(c.is_leaf());
  EXPECT_FALSE(c.requires_grad());
}

TEST(LinalgMatmul, NodesAreFreed) {
  const long before = live_node_count<double>();
  {
    D a = uniform<double>({2, 3, 4});
    D b = uniform<double>({4});
    D w = uniform<double>({4, 6});
    D y = sum(matmul(matmul(a, w), uniform<double>({6, 5})));
    y = y + sum(matmul(a, b));
    y.backward();
    EXPECT_TRUE(a.has_grad());
  }
  EXPECT_EQ(live_node_count<double>(), before);
}

}  // namespace
}  // namespace xg
