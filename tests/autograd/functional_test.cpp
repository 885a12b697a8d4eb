// The functional transforms (xgrad/functional.hpp) against closed forms (softmax's Jacobian,
// the Hessians of a quadratic form and of a linear model's cross-entropy), against each other
// (jvp = J v, vjp = v^T J, hvp = H v) and against central finite differences in double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

template <class T>
class Functional : public ::testing::Test {};
TYPED_TEST_SUITE(Functional, test::FloatTypes);

/// Relative tolerance of a closed form computed in double against the tape in T.
template <class T>
double tol() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}

template <class T>
Tensor<T> leaf_functional(const Shape& shape, unsigned seed, bool requires_grad = false) {
  return test::uniform<T>(shape, -1.0, 1.0, seed, requires_grad);
}

template <class T>
void expect_values(const Tensor<T>& got, const xt::xarray<double>& want, double tolerance) {
  ASSERT_EQ(got.shape(), Shape(want.shape().begin(), want.shape().end()));
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got.value().data()[i], want.data()[i], tolerance * (1 + std::abs(want.data()[i])))
        << "element " << i;
  }
}

template <class T>
xt::xarray<double> as_double(const Tensor<T>& t) {
  return xt::xarray<double>(xt::cast<double>(t.value()));
}

/// sum over the trailing axes of `block` (flattened to rows of block.size() / v.size()) of
/// block * v: the contraction J v of a Jacobian block with a tangent.
template <class T>
std::vector<double> contract_right(const Tensor<T>& block, const Tensor<T>& v) {
  const std::size_t cols = v.size(), rows = block.size() / cols;
  std::vector<double> out(rows, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      out[r] += double(block.value().data()[r * cols + c]) * double(v.value().data()[c]);
    }
  }
  return out;
}

/// v^T block over the leading axes: the contraction v^T J.
template <class T>
std::vector<double> contract_left(const Tensor<T>& v, const Tensor<T>& block) {
  const std::size_t rows = v.size(), cols = block.size() / rows;
  std::vector<double> out(cols, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      out[c] += double(v.value().data()[r]) * double(block.value().data()[r * cols + c]);
    }
  }
  return out;
}

template <class T>
void expect_flat(const Tensor<T>& got, const std::vector<double>& want, double tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got.value().data()[i], want[i], tolerance * (1 + std::abs(want[i])))
        << "element " << i;
  }
}

// --- closed forms ---------------------------------------------------------------------------

TYPED_TEST(Functional, JacobianOfSoftmaxIsDiagonalMinusOuterProduct) {
  using T = TypeParam;
  const auto x = test::uniform<T>({5}, -2.0, 2.0, 3, false);
  const Tensor<T> J = jacobian([](const Tensor<T>& a) { return softmax(a, 0); }, x);
  std::vector<double> s(5);
  double z = 0;
  for (std::size_t i = 0; i < 5; ++i) z += s[i] = std::exp(double(x.value()(i)));
  for (auto& p : s) p /= z;
  xt::xarray<double> want = xt::xarray<double>::from_shape({5, 5});
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < 5; ++j) want(i, j) = (i == j ? s[i] : 0.0) - s[i] * s[j];
  }
  expect_values(J, want, tol<T>());
  EXPECT_FALSE(J.requires_grad());
}

TYPED_TEST(Functional, HessianOfQuadraticFormIsAPlusATransposed) {
  using T = TypeParam;
  const auto A = leaf_functional<T>({4, 4}, 11);  // not symmetric
  const auto x = leaf_functional<T>({4}, 12);
  auto f = [&A](const Tensor<T>& v) { return sum(v * matmul(A, v)); };
  const Tensor<T> H = hessian(f, x);
  xt::xarray<double> a = as_double(A);
  expect_values(H, xt::xarray<double>(a + xt::transpose(a)), tol<T>());
  // Its gradient, (A + A^T) x, from vjp with v left out (a one-element output).
  const auto [y, g] = vjp(f, x);
  xt::xarray<double> want_g = xt::zeros<double>({4});
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < 4; ++j) want_g(i) += (a(i, j) + a(j, i)) * double(x.value()(j));
  }
  expect_values(g, want_g, tol<T>());
  EXPECT_NEAR(y.item(), double(f(x).item()), tol<T>());
}

TYPED_TEST(Functional, HessianOfCrossEntropyOfLinearModel) {
  using T = TypeParam;
  constexpr std::size_t N = 6, D = 3, C = 4;
  const auto X = leaf_functional<T>({N, D}, 21);
  const std::vector<std::size_t> labels{0, 3, 1, 1, 2, 0};
  const std::vector<Tensor<T>> params{leaf_functional<T>({D, C}, 22), leaf_functional<T>({C}, 23)};
  auto loss = [&](const std::vector<Tensor<T>>& p) {
    return cross_entropy(matmul(X, p[0]) + p[1], labels);
  };
  const auto H = hessian(loss, params);  // [W, b] x [W, b]
  static_assert(std::is_same_v<std::decay_t<decltype(H)>, std::vector<std::vector<Tensor<T>>>>);

  // p = softmax(X W + b) per row; d^2 L / dz_c dz_d = (p_c delta_cd - p_c p_d) / N per row.
  xt::xarray<double> xs = as_double(X), w = as_double(params[0]), b = as_double(params[1]);
  xt::xarray<double> p = xt::zeros<double>({N, C});
  for (std::size_t n = 0; n < N; ++n) {
    double z = 0;
    for (std::size_t c = 0; c < C; ++c) {
      double logit = b(c);
      for (std::size_t a = 0; a < D; ++a) logit += xs(n, a) * w(a, c);
      z += p(n, c) = std::exp(logit);
    }
    for (std::size_t c = 0; c < C; ++c) p(n, c) /= z;
  }
  auto curvature = [&](std::size_t n, std::size_t c, std::size_t d) {
    return ((c == d ? p(n, c) : 0.0) - p(n, c) * p(n, d)) / N;
  };
  xt::xarray<double> hww = xt::zeros<double>({D, C, D, C}), hwb = xt::zeros<double>({D, C, C});
  xt::xarray<double> hbw = xt::zeros<double>({C, D, C}), hbb = xt::zeros<double>({C, C});
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t c = 0; c < C; ++c) {
      for (std::size_t d = 0; d < C; ++d) {
        const double k = curvature(n, c, d);
        hbb(c, d) += k;
        for (std::size_t a = 0; a < D; ++a) {
          hwb(a, c, d) += xs(n, a) * k;
          hbw(c, a, d) += xs(n, a) * k;
          for (std::size_t e = 0; e < D; ++e) hww(a, c, e, d) += xs(n, a) * xs(n, e) * k;
        }
      }
    }
  }
  expect_values(H[0][0], hww, tol<T>());
  expect_values(H[0][1], hwb, tol<T>());
  expect_values(H[1][0], hbw, tol<T>());
  expect_values(H[1][1], hbb, tol<T>());
}

// --- the transforms against each other ------------------------------------------------------

/// Two inputs a (2, 3), b (3) and two outputs of shapes (2) and (2, 3).
template <class T>
std::vector<Tensor<T>> two_by_two(const std::vector<Tensor<T>>& in) {
  return {tanh(matmul(in[0], in[1])), exp(in[0]) * in[1] * in[1]};
}

TYPED_TEST(Functional, JvpAndVjpAgreeWithJacobian) {
  using T = TypeParam;
  const std::vector<Tensor<T>> x{leaf_functional<T>({2, 3}, 31), leaf_functional<T>({3}, 32)};
  const std::vector<Tensor<T>> tangents{leaf_functional<T>({2, 3}, 33),
                                        leaf_functional<T>({3}, 34)};
  const std::vector<Tensor<T>> cotangents{leaf_functional<T>({2}, 35),
                                          leaf_functional<T>({2, 3}, 36)};
  auto f = [](const std::vector<Tensor<T>>& in) { return two_by_two(in); };
  const auto J = jacobian(f, x);
  ASSERT_EQ(J.size(), 2u);
  EXPECT_EQ(J[0][0].shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(J[0][1].shape(), (Shape{2, 3}));
  EXPECT_EQ(J[1][0].shape(), (Shape{2, 3, 2, 3}));
  EXPECT_EQ(J[1][1].shape(), (Shape{2, 3, 3}));

  const auto [outputs, jv] = jvp(f, x, tangents);
  ASSERT_EQ(jv.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    std::vector<double> want = contract_right(J[i][0], tangents[0]);
    const std::vector<double> second = contract_right(J[i][1], tangents[1]);
    for (std::size_t r = 0; r < want.size(); ++r) want[r] += second[r];
    expect_flat(jv[i], want, tol<T>());
    EXPECT_EQ(jv[i].shape(), outputs[i].shape());
  }
  const auto [outputs2, vj] = vjp(f, x, cotangents);
  for (std::size_t k = 0; k < 2; ++k) {
    std::vector<double> want = contract_left(cotangents[0], J[0][k]);
    const std::vector<double> second = contract_left(cotangents[1], J[1][k]);
    for (std::size_t c = 0; c < want.size(); ++c) want[c] += second[c];
    expect_flat(vj[k], want, tol<T>());
    EXPECT_EQ(vj[k].shape(), x[k].shape());
  }
  expect_values(outputs2[1], as_double(two_by_two(x)[1]), tol<T>());
}

/// A scalar of two inputs with mixed second derivatives.
template <class T>
Tensor<T> scalar_of_two(const std::vector<Tensor<T>>& in) {
  return sum(tanh(matmul(in[0], in[1]))) + sum(in[0] * in[0] * in[1]);
}

TYPED_TEST(Functional, HvpAndVhpAgreeWithHessian) {
  using T = TypeParam;
  const std::vector<Tensor<T>> x{leaf_functional<T>({2, 3}, 41), leaf_functional<T>({3}, 42)};
  const std::vector<Tensor<T>> v{leaf_functional<T>({2, 3}, 43), leaf_functional<T>({3}, 44)};
  auto f = [](const std::vector<Tensor<T>>& in) { return scalar_of_two(in); };
  const auto H = hessian(f, x);
  const auto [y, hv] = hvp(f, x, v);
  const auto [y2, vh] = vhp(f, x, v);
  EXPECT_NEAR(y.item(), f(x).item(), tol<T>());
  for (std::size_t k = 0; k < 2; ++k) {
    std::vector<double> want = contract_right(H[k][0], v[0]);
    const std::vector<double> second = contract_right(H[k][1], v[1]);
    for (std::size_t r = 0; r < want.size(); ++r) want[r] += second[r];
    expect_flat(hv[k], want, tol<T>());
    expect_flat(vh[k], want, tol<T>());  // H is symmetric
    EXPECT_EQ(hv[k].shape(), x[k].shape());
  }
}

// --- central finite differences (double) ----------------------------------------------------

using Td = Tensor<double>;

/// x with element `j` of input `k` moved by h.
std::vector<Td> moved(const std::vector<Td>& x, std::size_t k, std::size_t j, double h) {
  std::vector<Td> out;
  for (const auto& t : x) out.push_back(t.detach());
  out[k].mutable_value().data()[j] += h;
  return out;
}

TEST(FunctionalFiniteDifferences, JacobianJvpHessianAndHvp) {
  const std::vector<Td> x{leaf_functional<double>({2, 3}, 51), leaf_functional<double>({3}, 52)};
  const std::vector<Td> v{leaf_functional<double>({2, 3}, 53), leaf_functional<double>({3}, 54)};
  auto f = [](const std::vector<Td>& in) { return two_by_two(in); };
  const double h = 1e-6, fd_tol = 1e-7;
  NoGradGuard no_grad;  // the transforms switch grad mode on themselves

  const auto J = jacobian(f, x);
  for (std::size_t k = 0; k < 2; ++k) {
    for (std::size_t j = 0; j < x[k].size(); ++j) {
      const auto up = f(moved(x, k, j, h)), down = f(moved(x, k, j, -h));
      for (std::size_t i = 0; i < 2; ++i) {
        const std::size_t n = x[k].size();
        for (std::size_t r = 0; r < up[i].size(); ++r) {
          const double numeric = (up[i].value().data()[r] - down[i].value().data()[r]) / (2 * h);
          EXPECT_NEAR(J[i][k].value().data()[r * n + j], numeric, fd_tol)
              << "output " << i << " input " << k << " element " << j << " row " << r;
        }
      }
    }
  }

  // jvp: the derivative along v, (f(x + h v) - f(x - h v)) / 2h.
  std::vector<Td> ahead, behind;
  for (std::size_t k = 0; k < 2; ++k) {
    ahead.emplace_back(xt::xarray<double>(x[k].value() + h * v[k].value()));
    behind.emplace_back(xt::xarray<double>(x[k].value() - h * v[k].value()));
  }
  const auto jv = jvp(f, x, v).product;
  const auto up = f(ahead), down = f(behind);
  for (std::size_t i = 0; i < 2; ++i) {
    expect_values(jv[i], xt::xarray<double>((up[i].value() - down[i].value()) / (2 * h)), fd_tol);
  }

  // Hessian and hvp: differences of the gradient (vjp of a scalar, v left out).
  auto s = [](const std::vector<Td>& in) { return scalar_of_two(in); };
  auto gradient = [&](const std::vector<Td>& at) { return vjp(s, at).product; };
  const auto H = hessian(s, x);
  for (std::size_t l = 0; l < 2; ++l) {
    for (std::size_t j = 0; j < x[l].size(); ++j) {
      const auto gu = gradient(moved(x, l, j, h)), gd = gradient(moved(x, l, j, -h));
      for (std::size_t k = 0; k < 2; ++k) {
        for (std::size_t r = 0; r < x[k].size(); ++r) {
          const double numeric = (gu[k].value().data()[r] - gd[k].value().data()[r]) / (2 * h);
          EXPECT_NEAR(H[k][l].value().data()[r * x[l].size() + j], numeric, fd_tol)
              << "block " << k << ", " << l << " element " << r << ", " << j;
        }
      }
    }
  }
  const auto hv = hvp(s, x, v).product;
  const auto gu = gradient(ahead), gd = gradient(behind);
  for (std::size_t k = 0; k < 2; ++k) {
    expect_values(hv[k], xt::xarray<double>((gu[k].value() - gd[k].value()) / (2 * h)), fd_tol);
  }
}

// --- create_graph ---------------------------------------------------------------------------

TYPED_TEST(Functional, VjpWithCreateGraphCanBeDifferentiatedAgain) {
  using T = TypeParam;
  auto x = test::uniform<T>({4}, 0.5, 1.5, 61, /*requires_grad=*/true);
  const auto v = leaf_functional<T>({4}, 62);
  auto cube = [](const Tensor<T>& a) { return a * a * a; };
  const auto [y, vj] = vjp(cube, x, v, {.create_graph = true});  // 3 x^2 v
  ASSERT_TRUE(vj.requires_grad());
  EXPECT_TRUE(y.requires_grad());
  const auto again = grad<T>({sum(vj)}, {x});  // d/dx sum(3 x^2 v) = 6 x v, on the caller's x
  xt::xarray<double> xd = as_double(x), vd = as_double(v);
  expect_values(vj, xt::xarray<double>(3.0 * xd * xd * vd), tol<T>());
  expect_values(again[0], xt::xarray<double>(6.0 * xd * vd), tol<T>());

  // jvp and jacobian likewise; the Hessian with create_graph gives a third derivative.
  const auto jv = jvp(cube, x, v, {.create_graph = true}).product;
  expect_values(grad<T>({sum(jv)}, {x})[0], xt::xarray<double>(6.0 * xd * vd), tol<T>());
  const Tensor<T> J = jacobian(cube, x, {.create_graph = true});  // diag(3 x^2)
  expect_values(grad<T>({sum(J)}, {x})[0], xt::xarray<double>(6.0 * xd), tol<T>());
  auto quartic = [](const Tensor<T>& a) { return sum(a * a * a * a); };
  const Tensor<T> H = hessian(quartic, x, {.create_graph = true});  // diag(12 x^2)
  expect_values(grad<T>({sum(H)}, {x})[0], xt::xarray<double>(24.0 * xd), tol<T>());
  const auto hv = hvp(quartic, x, v, {.create_graph = true}).product;  // 12 x^2 v
  expect_values(grad<T>({sum(hv)}, {x})[0], xt::xarray<double>(24.0 * xd * vd), tol<T>());
}

TYPED_TEST(Functional, WithoutCreateGraphResultsAreConstantsAndLeavesUntouched) {
  using T = TypeParam;
  auto x = leaf_functional<T>({3}, 71, /*requires_grad=*/true);
  auto f = [](const Tensor<T>& a) { return tanh(a) * a; };
  const auto [y, vj] = vjp(f, x, leaf_functional<T>({3}, 72));
  const auto [y2, jv] = jvp(f, x, leaf_functional<T>({3}, 73));
  const Tensor<T> J = jacobian(f, x);
  for (const Tensor<T>* t : {&y, &vj, &y2, &jv, &J}) {
    EXPECT_FALSE(t->requires_grad());
    EXPECT_TRUE(t->is_leaf());
  }
  EXPECT_FALSE(x.has_grad());  // nothing accumulated into the caller's leaf_functional
  // An input that does not require grad is differentiated all the same, and left as it was.
  const auto c = leaf_functional<T>({3}, 74);
  const Tensor<T> Jc = jacobian(f, c);
  EXPECT_FALSE(c.requires_grad());
  EXPECT_EQ(Jc.shape(), (Shape{3, 3}));
  EXPECT_NE(Jc.value()(1, 1), T(0));
  EXPECT_EQ(Jc.value()(0, 1), T(0));
}

// --- unused inputs, strict mode, structures -------------------------------------------------

TYPED_TEST(Functional, UnusedInputGivesZerosAndStrictModeThrows) {
  using T = TypeParam;
  const std::vector<Tensor<T>> x{leaf_functional<T>({2}, 81), leaf_functional<T>({3}, 82)};
  auto f = [](const std::vector<Tensor<T>>& in) { return in[0] * 2.0; };  // in[1] unused
  const auto J = jacobian(f, x);
  static_assert(std::is_same_v<std::decay_t<decltype(J)>, std::vector<Tensor<T>>>);  // per input
  ASSERT_EQ(J.size(), 2u);
  EXPECT_EQ(J[1].shape(), (Shape{2, 3}));
  for (auto e : J[1].value()) EXPECT_EQ(e, T(0));
  EXPECT_EQ(J[0].value()(1, 1), T(2));
  const auto vj = vjp(f, x, leaf_functional<T>({2}, 83)).product;
  EXPECT_EQ(vj[1].shape(), (Shape{3}));
  for (auto e : vj[1].value()) EXPECT_EQ(e, T(0));

  EXPECT_THROW_WITH(jacobian(f, x, {.strict = true}), GraphError, "jacobian", "input 1", "strict");
  EXPECT_THROW_WITH(vjp(f, x, leaf_functional<T>({2}, 83), {.strict = true}), GraphError, "vjp",
                    "input 1 of shape (3)");
  EXPECT_THROW_WITH(jvp(f, x, x, {.strict = true}), GraphError, "jvp", "input 1");
  // A constant output: zeros, or an error in strict mode.
  auto constant = [](const Tensor<T>&) { return Tensor<T>::ones({2}); };
  const Tensor<T> Jc = jacobian(constant, x[1]);
  EXPECT_EQ(Jc.shape(), (Shape{2, 3}));
  for (auto e : Jc.value()) EXPECT_EQ(e, T(0));
  EXPECT_THROW_WITH(jacobian(constant, x[1], {.strict = true}), GraphError, "output 0");
  // A Hessian of a function linear in its input is zeros; strict mode calls it out.
  auto linear = [](const Tensor<T>& a) { return sum(a * 3.0); };
  const Tensor<T> H = hessian(linear, x[1]);
  EXPECT_EQ(H.shape(), (Shape{3, 3}));
  for (auto e : H.value()) EXPECT_EQ(e, T(0));
  EXPECT_THROW_WITH(hessian(linear, x[1], {.strict = true}), GraphError, "hessian",
                    "gradient for input 0");
  const auto hv = hvp(linear, x[1], x[1]).product;
  for (auto e : hv.value()) EXPECT_EQ(e, T(0));
}

TYPED_TEST(Functional, ResultStructuresFollowTheFunction) {
  using T = TypeParam;
  const auto x = leaf_functional<T>({3}, 91);
  auto one_to_two = [](const Tensor<T>& a) { return std::vector<Tensor<T>>{a * a, sum(a)}; };
  const auto J = jacobian(one_to_two, x);  // per output
  static_assert(std::is_same_v<std::decay_t<decltype(J)>, std::vector<Tensor<T>>>);
  ASSERT_EQ(J.size(), 2u);
  EXPECT_EQ(J[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(J[1].shape(), (Shape{3}));
  EXPECT_NEAR(J[0].value()(2, 2), 2 * x.value()(2), tol<T>());
  EXPECT_EQ(J[1].value()(0), T(1));
  // An identity and a scalar input.
  const Tensor<T> I = jacobian([](const Tensor<T>& a) { return a; }, x);
  EXPECT_EQ(I.value()(1, 1), T(1));
  EXPECT_EQ(I.value()(0, 1), T(0));
  const auto s = Tensor<T>::scalar(T(2));
  const Tensor<T> d = jacobian([](const Tensor<T>& a) { return a * a * a; }, s);
  EXPECT_EQ(d.shape(), Shape{});
  EXPECT_NEAR(d.item(), 12.0, tol<T>());
  const auto [y, jv] = jvp([](const Tensor<T>& a) { return a * a; }, s);  // v left out: 1
  EXPECT_NEAR(jv.item(), 4.0, tol<T>());
  // Braced lists with the element type named.
  const auto vj =
      vjp<T>([](const std::vector<Tensor<T>>& in) { return in[0] * in[1]; }, {x, x * 2.0}, x)
          .product;
  EXPECT_NEAR(vj[0].value()(1), 2 * x.value()(1) * x.value()(1), tol<T>());
}

// --- bad input ------------------------------------------------------------------------------

TYPED_TEST(Functional, BadInputNamesTheFunctionAndShapes) {
  using T = TypeParam;
  const auto x = leaf_functional<T>({3}, 101);
  auto square = [](const Tensor<T>& a) { return a * a; };
  EXPECT_THROW_WITH(vjp(square, x, leaf_functional<T>({2}, 102)), ShapeError, "vjp",
                    "v[0] has shape (2)", "output 0 has shape (3)");
  EXPECT_THROW_WITH(vjp(square, x), ShapeError, "vjp", "left out", "(3)");
  auto pair = [](const Tensor<T>& a) { return std::vector<Tensor<T>>{a, a}; };
  EXPECT_THROW_WITH(vjp(pair, x, {x}), ShapeError, "vjp", "1 vectors v for 2 outputs");
  EXPECT_THROW_WITH(jvp(square, x, leaf_functional<T>({3, 1}, 103)), ShapeError, "jvp",
                    "v[0] has shape (3, 1)", "input 0 has shape (3)");
  EXPECT_THROW_WITH(hessian(square, x), ShapeError, "hessian", "output has shape (3)",
                    "one element");
  EXPECT_THROW_WITH(hvp(square, x, x), ShapeError, "hvp", "output has shape (3)");
  auto total = [](const Tensor<T>& a) { return sum(a); };
  EXPECT_THROW_WITH(vhp(total, x, leaf_functional<T>({4}, 104)), ShapeError, "vhp",
                    "v[0] has shape (4)", "input 0 has shape (3)");
  auto list = [](const std::vector<Tensor<T>>& in) { return sum(in.at(0)); };
  EXPECT_THROW_WITH(jacobian(list, std::vector<Tensor<T>>{}), GraphError, "jacobian", "no inputs");
  EXPECT_THROW_WITH(jacobian(square, Tensor<T>()), GraphError, "jacobian", "input 0 is undefined");
  EXPECT_THROW_WITH(jacobian([](const Tensor<T>&) { return Tensor<T>(); }, x), GraphError,
                    "jacobian", "undefined");
}

}  // namespace
}  // namespace xg
