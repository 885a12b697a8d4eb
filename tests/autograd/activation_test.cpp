// Activation functions: gradients (double and float), second derivatives, values at known points,
// stability at extreme inputs, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include <xtensor/xio.hpp>

#include "test_support.hpp"

namespace xg {
namespace {

using test::expect_all_finite;
using test::Fn;
using test::uniform;

/// uniform<T>(shape, lo, hi, seed) with every value at least `margin` away from each kink, so
/// that finite differences (float step 1e-3) never straddle one.
template <class T>
Tensor<T> away_from(std::initializer_list<double> kinks, const Shape& shape, double lo, double hi,
                    unsigned seed, double margin = 0.05) {
  auto t = uniform<T>(shape, lo, hi, seed);
  for (auto& x : t.mutable_value()) {
    for (double k : kinks) {
      if (std::abs(static_cast<double>(x) - k) < margin) {
        x = static_cast<T>(x >= k ? k + margin : k - margin);
      }
    }
  }
  return t;
}

/// gradcheck in double and float, gradgradcheck in double, for a unary function over shapes.
template <class F>
void check_unary(F f, std::initializer_list<double> kinks, double lo, double hi,
                 bool second = true) {
  unsigned seed = 100;
  for (const Shape& s : {Shape{}, Shape{7}, Shape{3, 4}, Shape{2, 1, 3}}) {
    SCOPED_TRACE("shape " + shape_str(s));
    Fn<double> fd = [f](const std::vector<Tensor<double>>& x) { return f(x[0]); };
    Fn<float> ff = [f](const std::vector<Tensor<float>>& x) { return f(x[0]); };
    auto ad = away_from<double>(kinks, s, lo, hi, seed);
    auto af = away_from<float>(kinks, s, lo, hi, seed++);
    EXPECT_GRADCHECK(double, fd, {ad});
    EXPECT_GRADCHECK(float, ff, {af});
    if (second) {
      EXPECT_GRADGRADCHECK(double, fd, {ad});
      EXPECT_GRADGRADCHECK(float, ff, {af});
    }
  }
}

TEST(ActivationGrad, Sigmoid) {
  check_unary([](const auto& x) { return sigmoid(x); }, {}, -4, 4);
}
TEST(ActivationGrad, Tanh) {
  check_unary([](const auto& x) { return xg::tanh(x); }, {}, -3, 3);
}
TEST(ActivationGrad, Relu) {
  check_unary([](const auto& x) { return relu(x); }, {0.0}, -2, 2);
}
TEST(ActivationGrad, LeakyRelu) {
  check_unary([](const auto& x) { return leaky_relu(x, 0.1); }, {0.0}, -2, 2);
  check_unary([](const auto& x) { return leaky_relu(x); }, {0.0}, -2, 2);
}
TEST(ActivationGrad, Hardtanh) {
  check_unary([](const auto& x) { return hardtanh(x); }, {-1.0, 1.0}, -2, 2);
  check_unary([](const auto& x) { return hardtanh(x, -0.5, 1.5); }, {-0.5, 1.5}, -2, 2);
}
TEST(ActivationGrad, Elu) {
  check_unary([](const auto& x) { return elu(x); }, {0.0}, -3, 2);
  check_unary([](const auto& x) { return elu(x, 0.7); }, {0.0}, -3, 2);
}
TEST(ActivationGrad, Softplus) {
  check_unary([](const auto& x) { return softplus(x); }, {}, -4, 4);
  // beta = 2, threshold = 1: the linear region starts at x = 0.5, where PyTorch's definition
  // jumps slightly; sample both sides of it.
  check_unary([](const auto& x) { return softplus(x, 2.0, 1.0); }, {0.5}, -2, 2);
}
TEST(ActivationGrad, Step) {
  // The derivative is zero everywhere away from the jump, and the backward yields exactly that.
  check_unary([](const auto& x) { return step(x, 0.25); }, {0.25}, -1, 1);
  auto a = Tensor<double>::from({2, 2}, {-1, 0.5, 2, 0}, true);
  sum(step(a) * 3.0).backward();
  ASSERT_TRUE(a.has_grad());
  EXPECT_EQ(a.grad().shape(), (Shape{2, 2}));
  for (double g : a.grad().value()) EXPECT_EQ(g, 0.0);
}

/// softmax / log_softmax on several shapes and axes, both element types, second derivatives.
template <class F>
void check_along_axes(F f) {
  struct Case {
    Shape shape;
    std::ptrdiff_t axis;
  };
  unsigned seed = 200;
  for (const Case& c :
       {Case{{5}, 0}, Case{{5}, -1}, Case{{3, 4}, 0}, Case{{3, 4}, -1}, Case{{3, 4}, 1},
        Case{{2, 3, 4}, 1}, Case{{2, 3, 4}, -3}, Case{{4, 1}, 1}}) {
    SCOPED_TRACE("shape " + shape_str(c.shape) + " axis " + std::to_string(c.axis));
    const auto axis = c.axis;
    Fn<double> fd = [f, axis](const std::vector<Tensor<double>>& x) { return f(x[0], axis); };
    Fn<float> ff = [f, axis](const std::vector<Tensor<float>>& x) { return f(x[0], axis); };
    auto ad = uniform<double>(c.shape, -3, 3, seed);
    auto af = uniform<float>(c.shape, -3, 3, seed++);
    EXPECT_GRADCHECK(double, fd, {ad});
    EXPECT_GRADCHECK(float, ff, {af});
    EXPECT_GRADGRADCHECK(double, fd, {ad});
    EXPECT_GRADGRADCHECK(float, ff, {af});
  }
}

TEST(ActivationGrad, Softmax) {
  check_along_axes([](const auto& x, std::ptrdiff_t ax) { return softmax(x, ax); });
}
TEST(ActivationGrad, LogSoftmax) {
  check_along_axes([](const auto& x, std::ptrdiff_t ax) { return log_softmax(x, ax); });
}

TEST(ActivationValues, KnownPoints) {
  auto z = Tensor<double>::scalar(0.0);
  EXPECT_DOUBLE_EQ(sigmoid(z).item(), 0.5);
  EXPECT_DOUBLE_EQ(xg::tanh(z).item(), 0.0);
  EXPECT_DOUBLE_EQ(softplus(z).item(), std::log(2.0));
  EXPECT_DOUBLE_EQ(softplus(z, 2.0).item(), std::log(2.0) / 2.0);
  EXPECT_DOUBLE_EQ(relu(z).item(), 0.0);
  EXPECT_DOUBLE_EQ(elu(z).item(), 0.0);

  auto m1 = Tensor<double>::scalar(-1.0);
  EXPECT_DOUBLE_EQ(elu(m1).item(), std::exp(-1.0) - 1.0);
  EXPECT_DOUBLE_EQ(elu(m1, 2.0).item(), 2.0 * (std::exp(-1.0) - 1.0));
  EXPECT_DOUBLE_EQ(sigmoid(m1).item(), 1.0 / (1.0 + std::exp(1.0)));
  EXPECT_DOUBLE_EQ(xg::tanh(m1).item(), std::tanh(-1.0));
  EXPECT_DOUBLE_EQ(softplus(m1).item(), std::log1p(std::exp(-1.0)));

  auto x = Tensor<double>::from({5}, {-2.0, -0.5, 0.0, 0.5, 2.0});
  const std::vector<double> relu_want = {0, 0, 0, 0.5, 2};
  const std::vector<double> leaky_want = {-0.2, -0.05, 0, 0.5, 2};
  const std::vector<double> hard_want = {-1, -0.5, 0, 0.5, 1};
  const std::vector<double> step_want = {0, 0, 0, 1, 1};
  const std::vector<double> step_thr_want = {0, 0, 0, 0, 1};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(relu(x).value()(i), relu_want[i]);
    EXPECT_DOUBLE_EQ(leaky_relu(x, 0.1).value()(i), leaky_want[i]);
    EXPECT_DOUBLE_EQ(hardtanh(x).value()(i), hard_want[i]);
    EXPECT_DOUBLE_EQ(step(x).value()(i), step_want[i]);
    EXPECT_DOUBLE_EQ(step(x, 0.5).value()(i), step_thr_want[i]);  // strictly greater
    EXPECT_DOUBLE_EQ(elu(x).value()(i), x.value()(i) > 0 ? x.value()(i) : std::expm1(x.value()(i)));
  }
  // Softplus is linear above the threshold (beta x > threshold) and smooth below it.
  EXPECT_DOUBLE_EQ(softplus(Tensor<double>::scalar(25.0)).item(), 25.0);
  EXPECT_DOUBLE_EQ(softplus(Tensor<double>::scalar(3.0), 1.0, 2.0).item(), 3.0);
  EXPECT_NEAR(softplus(Tensor<double>::scalar(1.5), 1.0, 2.0).item(), std::log1p(std::exp(1.5)),
              1e-15);
}

TEST(ActivationValues, KnownGradients) {
  auto x = Tensor<double>::from({4}, {-2.0, -0.5, 0.5, 2.0}, true);
  auto g = grad<double>({sum(hardtanh(x, -1.0, 1.0))}, {x})[0];
  EXPECT_EQ(g.value(), (xt::xarray<double>{0, 1, 1, 0}));
  g = grad<double>({sum(leaky_relu(x, 0.1))}, {x})[0];
  EXPECT_EQ(g.value(), (xt::xarray<double>{0.1, 0.1, 1, 1}));
  g = grad<double>({sum(relu(x))}, {x})[0];
  EXPECT_EQ(g.value(), (xt::xarray<double>{0, 0, 1, 1}));
  g = grad<double>({sum(elu(x, 1.5))}, {x})[0];
  EXPECT_NEAR(g.value()(0), 1.5 * std::exp(-2.0), 1e-15);
  EXPECT_DOUBLE_EQ(g.value()(3), 1.0);
  g = grad<double>({sum(sigmoid(x))}, {x})[0];
  const double s = 1.0 / (1.0 + std::exp(-0.5));
  EXPECT_DOUBLE_EQ(g.value()(2), s * (1 - s));
  g = grad<double>({sum(softplus(x))}, {x})[0];
  EXPECT_NEAR(g.value()(2), s, 1e-15);  // softplus' = sigmoid
  // Bounds of hardtanh get gradient 0 (PyTorch: strictly inside only).
  auto b = Tensor<double>::from({2}, {-1.0, 1.0}, true);
  g = grad<double>({sum(hardtanh(b))}, {b})[0];
  EXPECT_EQ(g.value(), (xt::xarray<double>{0, 0}));
  // In the linear region of softplus the gradient is exactly 1.
  auto big = Tensor<double>::from({1}, {30.0}, true);
  EXPECT_EQ(grad<double>({sum(softplus(big))}, {big})[0].value()(0), 1.0);
}

TEST(ActivationValues, SoftmaxKnownValues) {
  // softmax([0, ln 2, ln 3]) = [1, 2, 3] / 6, along the last axis; along axis 0 columns sum to 1.
  auto x = Tensor<double>::from({2, 3}, {0.0, std::log(2.0), std::log(3.0), 1.0, 1.0, 1.0});
  auto y = softmax(x, -1);
  EXPECT_NEAR(y.value()(0, 0), 1.0 / 6, 1e-15);
  EXPECT_NEAR(y.value()(0, 1), 2.0 / 6, 1e-15);
  EXPECT_NEAR(y.value()(0, 2), 3.0 / 6, 1e-15);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(y.value()(1, j), 1.0 / 3, 1e-15);
  auto ly = log_softmax(x, 1);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(ly.value()(i, j), std::log(y.value()(i, j)), 1e-14);
  auto y0 = softmax(x, 0);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(y0.value()(0, j) + y0.value()(1, j), 1.0, 1e-15);
  EXPECT_NEAR(y0.value()(0, 0), 1.0 / (1.0 + std::exp(1.0)), 1e-15);
  EXPECT_NEAR(log_softmax(x, 0).value()(0, 0), -std::log1p(std::exp(1.0)), 1e-14);
  // Shift invariance.
  auto shifted = softmax(Tensor<double>(x.value() + 1000.0), -1);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      EXPECT_NEAR(shifted.value()(i, j), y.value()(i, j), 1e-12);  // 1000 + ln 2 rounds
  // The sum of a softmax is constant, so its gradient is zero.
  auto a = uniform<double>({3, 4}, -2, 2, 5);
  auto g = grad<double>({sum(softmax(a, 0))}, {a})[0];
  for (double v : g.value()) EXPECT_NEAR(v, 0.0, 1e-15);
}

template <class T>
void sigmoid_tanh_softplus_stable() {
  auto x = Tensor<T>::from({6}, {-1000, -100, -20, 20, 100, 1000}, true);
  for (auto op : {0, 1, 2}) {
    x.zero_grad();
    auto y = op == 0 ? sigmoid(x) : op == 1 ? xg::tanh(x) : softplus(x);
    expect_all_finite(y, "value");
    sum(y).backward();
    expect_all_finite(x.grad(), "gradient");
  }
  auto s = sigmoid(x).value();
  EXPECT_EQ(s(0), T(0));
  EXPECT_EQ(s(5), T(1));
  EXPECT_NEAR(static_cast<double>(s(1)), std::exp(-100.0), 0.05 * std::exp(-100.0));
  EXPECT_EQ(s(4), T(1));
  auto sp = softplus(x).value();
  EXPECT_EQ(sp(4), T(100));
  EXPECT_EQ(sp(5), T(1000));
  EXPECT_GE(sp(1), T(0));
  EXPECT_NEAR(static_cast<double>(sp(1)), std::exp(-100.0), 0.05 * std::exp(-100.0));
  EXPECT_EQ(xg::tanh(x).value()(1), T(-1));
  x.zero_grad();
  sum(softplus(x)).backward();  // gradient = sigmoid(x)
  EXPECT_EQ(x.grad().value()(0), T(0));
  EXPECT_EQ(x.grad().value()(5), T(1));
  // elu never exponentiates its positive side.
  auto e = elu(x).value();
  expect_all_finite(elu(x), "elu");
  EXPECT_EQ(e(5), T(1000));
  EXPECT_EQ(e(0), T(-1));
}

TEST(ActivationStability, SigmoidTanhSoftplusAtExtremes) {
  sigmoid_tanh_softplus_stable<double>();
  sigmoid_tanh_softplus_stable<float>();
}

template <class T>
void softmax_stable() {
  // Rows with logits of +-1e4: exp of the raw values would overflow both types.
  auto x = Tensor<T>::from({2, 3}, {1e4, -1e4, 0, -1e4, -1e4, 1e4}, true);
  auto y = softmax(x, -1);
  expect_all_finite(y, "softmax");
  EXPECT_EQ(y.value()(0, 0), T(1));
  EXPECT_EQ(y.value()(0, 1), T(0));
  EXPECT_EQ(y.value()(1, 2), T(1));
  auto ly = log_softmax(x, -1);
  expect_all_finite(ly, "log_softmax");
  EXPECT_EQ(ly.value()(0, 0), T(0));
  EXPECT_EQ(ly.value()(0, 1), T(-2e4));
  EXPECT_EQ(ly.value()(0, 2), T(-1e4));
  // d log_softmax[i, k] / dx = onehot(k) - softmax: exact here.
  auto g = grad<T>({sum(mul(ly, Tensor<T>::from({2, 3}, {0, 1, 0, 1, 0, 0})))}, {x})[0];
  expect_all_finite(g, "log_softmax gradient");
  EXPECT_EQ(g.value(), (xt::xarray<T>{{-1, 1, 0}, {1, 0, -1}}));
  // Along axis 0 too.
  auto y0 = softmax(x, 0);
  expect_all_finite(y0, "softmax axis 0");
  EXPECT_EQ(y0.value()(0, 0), T(1));
  EXPECT_EQ(y0.value()(1, 2), T(1));
  auto g0 = grad<T>({sum(mul(y0, Tensor<T>::from({2, 3}, {1, 2, 3, 4, 5, 6})))}, {x})[0];
  expect_all_finite(g0, "softmax gradient");
  // Columns 0 and 2 are saturated (zero Jacobian); column 1 is [0.5, 0.5] with weights [2, 5]:
  // y (w - sum(w y)) = 0.5 * (2 - 3.5), 0.5 * (5 - 3.5).
  EXPECT_EQ(g0.value(), (xt::xarray<T>{{0, T(-0.75), 0}, {0, T(0.75), 0}}));
}

TEST(ActivationStability, SoftmaxLogSoftmaxAtExtremes) {
  softmax_stable<double>();
  softmax_stable<float>();
}

TEST(ActivationValues, NothingRecordedWithoutGrad) {
  auto x = uniform<double>({3}, -1, 1, 1, /*requires_grad=*/false);
  EXPECT_TRUE(sigmoid(x).is_leaf());
  EXPECT_FALSE(softmax(x).requires_grad());
  auto w = uniform<double>({3}, -1, 1, 1);
  EXPECT_STREQ(elu(w).op_name(), "elu");
  EXPECT_STREQ(log_softmax(w).op_name(), "log_softmax");
  NoGradGuard no_grad;
  EXPECT_FALSE(relu(w).requires_grad());
}

TEST(ActivationErrors, MessagesNameTheOperation) {
  auto a = Tensor<double>::ones({2, 3});
  EXPECT_THROW_WITH(hardtanh(a, 1.0, -1.0), DomainError, "hardtanh", "1", "-1");
  EXPECT_THROW_WITH(softplus(a, 0.0), DomainError, "softplus", "beta");
  EXPECT_THROW_WITH(softmax(a, 2), ShapeError, "softmax", "axis 2", "(2, 3)");
  EXPECT_THROW_WITH(log_softmax(a, -3), ShapeError, "log_softmax", "axis -3", "(2, 3)");
  EXPECT_THROW_WITH(softmax(Tensor<double>::scalar(1.0), 0), ShapeError, "softmax", "()");
  EXPECT_THROW_WITH(sigmoid(Tensor<double>()), GraphError, "sigmoid", "undefined");
  EXPECT_THROW_WITH(relu(Tensor<float>()), GraphError, "relu", "undefined");
  // lo == hi is allowed: a constant function with zero gradient.
  auto x = Tensor<double>::from({2}, {-1.0, 3.0}, true);
  auto y = hardtanh(x, 0.5, 0.5);
  EXPECT_EQ(y.value(), (xt::xarray<double>{0.5, 0.5}));
}

TEST(ActivationValues, EmptyInputs) {
  auto e = Tensor<double>::zeros({0, 3}, true);
  EXPECT_EQ(softmax(e, 0).shape(), (Shape{0, 3}));
  EXPECT_EQ(log_softmax(e, 1).shape(), (Shape{0, 3}));
  EXPECT_EQ(sigmoid(e).shape(), (Shape{0, 3}));
}

}  // namespace
}  // namespace xg
