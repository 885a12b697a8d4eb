// min, argmax / argmin, var / stddev and cumsum: values against hand-computed ones, ties,
// gradients and second derivatives in double, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;

/// gradcheck of f, and gradgradcheck of f and of f * f (which sees the second derivative of an
/// op that is piecewise linear), in double on uniform inputs of `shape`.
template <class F>
void check_double_new_reduction_ops(F f, const Shape& shape, unsigned seed = 3) {
  Fn<double> fn = [f](const std::vector<D>& x) { return f(x[0]); };
  Fn<double> squared = [f](const std::vector<D>& x) {
    D y = f(x[0]);
    return y * y;
  };
  const D x = uniform<double>(shape, -1, 1, seed);
  EXPECT_GRADCHECK(double, fn, {x});
  EXPECT_GRADGRADCHECK(double, fn, {x});
  EXPECT_GRADGRADCHECK(double, squared, {x});
}

// ---- min ----

TEST(Min, ValuesAllAndAlongAxes) {
  D a = D::from({2, 3}, {3, -1, 4, 1, 5, -9});
  EXPECT_EQ(min(a).value()(), -9);
  EXPECT_EQ(min(a).shape(), Shape{});
  EXPECT_EQ(test::values_of(min(a, 0)), (std::vector<double>{1, -1, -9}));
  EXPECT_EQ(test::values_of(min(a, 1)), (std::vector<double>{-1, -9}));
  EXPECT_EQ(min(a, -1, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(min(a, 0).shape(), (Shape{3}));
}

TEST(Min, TiesShareTheGradientLikeMax) {
  D a = D::from({4}, {1, 0, 0, 2}, true);
  min(a).backward();
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{0, 0.5, 0.5, 0}));
  D b = D::from({2, 3}, {2, 1, 1, 0, 3, 0}, true);
  sum(min(b, 1)).backward();
  EXPECT_EQ(test::values_of(b.grad()), (std::vector<double>{0, 0.5, 0.5, 0.5, 0, 0.5}));
}

TEST(Min, NaNIsTheMinimum) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  D a = D::from({3}, {1, nan, -2}, true);
  EXPECT_TRUE(std::isnan(min(a).value()()));
  min(a).backward();
  EXPECT_EQ(test::values_of(a.grad())[1], 1);
  EXPECT_EQ(test::values_of(a.grad())[2], 0);
}

TEST(Min, GradientsAndSecondDerivatives) {
  check_double_new_reduction_ops([](const D& x) { return min(x); }, {3, 4});
  check_double_new_reduction_ops([](const D& x) { return min(x, 0); }, {3, 4});
  check_double_new_reduction_ops([](const D& x) { return min(x, 1, true); }, {2, 3, 4});
  check_double_new_reduction_ops([](const D& x) { return min(x, -1); }, {2, 3, 4});
}

TEST(Min, Errors) {
  EXPECT_THROW_WITH(min(D::zeros({0, 3})), ShapeError, "min", "(0, 3)");
  EXPECT_THROW_WITH(min(D::zeros({2, 3}), 2), ShapeError, "min", "axis 2", "(2, 3)");
}

// ---- argmax / argmin ----

TEST(ArgExtreme, FlatIndexOfTheFirstExtreme) {
  D a = D::from({2, 3}, {3, 7, 7, -2, 0, -2});
  EXPECT_EQ(argmax(a), 1u);  // first of the tied 7s
  EXPECT_EQ(argmin(a), 3u);  // first of the tied -2s
}

TEST(ArgExtreme, AlongAnAxis) {
  D a = D::from({2, 3}, {3, 7, 7, -2, 9, -2});
  EXPECT_EQ(test::values_of(argmax(a, 1)), (std::vector<std::size_t>{1, 1}));
  EXPECT_EQ(test::values_of(argmin(a, 1)), (std::vector<std::size_t>{0, 0}));
  EXPECT_EQ(test::values_of(argmax(a, 0)), (std::vector<std::size_t>{0, 1, 0}));
  EXPECT_EQ(test::values_of(argmin(a, -2)), (std::vector<std::size_t>{1, 0, 1}));
  EXPECT_EQ(argmax(a, 1).dimension(), 1u);
  const auto kept = argmax(a, 1, true);
  EXPECT_EQ(kept.shape()[0], 2u);
  EXPECT_EQ(kept.shape()[1], 1u);
  // With keepdims the indices are what gather takes: the maxima themselves.
  EXPECT_EQ(test::values_of(gather(a, 1, kept)), test::values_of(max(a, 1, true)));
}

TEST(ArgExtreme, MiddleAxisOf3d) {
  D a = D::from({2, 3, 2}, {0, 5, 2, 1, 1, 9, 4, 4, 3, 8, 4, 0});
  EXPECT_EQ(test::values_of(argmax(a, 1)), (std::vector<std::size_t>{1, 2, 0, 1}));
  EXPECT_EQ(test::values_of(argmin(a, 1)), (std::vector<std::size_t>{0, 1, 1, 2}));
}

TEST(ArgExtreme, NaNWinsAsInPyTorch) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  D a = D::from({4}, {1, nan, 5, nan});
  EXPECT_EQ(argmax(a), 1u);
  EXPECT_EQ(argmin(a), 1u);
}

TEST(ArgExtreme, Errors) {
  EXPECT_THROW_WITH(argmax(D::zeros({0})), ShapeError, "argmax", "(0)");
  EXPECT_THROW_WITH(argmin(D::zeros({2, 3}), -3), ShapeError, "argmin", "axis -3", "(2, 3)");
}

// ---- var / stddev ----

TEST(Var, Values) {
  D a = D::from({4}, {1, 2, 3, 4});
  EXPECT_NEAR(var(a).value()(), 5.0 / 3.0, 1e-15);
  EXPECT_NEAR(var(a, false).value()(), 1.25, 1e-15);
  EXPECT_NEAR(stddev(a).value()(), std::sqrt(5.0 / 3.0), 1e-15);
  EXPECT_NEAR(stddev(a, false).value()(), std::sqrt(1.25), 1e-15);
  D b = D::from({2, 3}, {1, 2, 6, 0, 0, 3});
  // Along axis 1: means 3 and 1; squared deviations 4+1+9 = 14 and 1+1+4 = 6.
  EXPECT_EQ(test::values_of(var(b, 1)), (std::vector<double>{7, 3}));
  EXPECT_NEAR(test::values_of(var(b, 1, false))[0], 14.0 / 3, 1e-15);
  EXPECT_NEAR(test::values_of(var(b, 1, false))[1], 2, 1e-15);
  EXPECT_EQ(var(b, 1, true, true).shape(), (Shape{2, 1}));
  // Along axis 0: pairs (1, 0), (2, 0), (6, 3): unbiased variance d^2 / 2.
  EXPECT_EQ(test::values_of(var(b, 0)), (std::vector<double>{0.5, 2, 4.5}));
  const auto s = test::values_of(stddev(b, std::ptrdiff_t{0}, false));
  EXPECT_NEAR(s[2], 1.5, 1e-15);
}

TEST(Var, GradientsAndSecondDerivatives) {
  check_double_new_reduction_ops([](const D& x) { return var(x); }, {3, 4});
  check_double_new_reduction_ops([](const D& x) { return var(x, false); }, {5});
  check_double_new_reduction_ops([](const D& x) { return var(x, 1); }, {3, 4});
  check_double_new_reduction_ops([](const D& x) { return var(x, 0, false, true); }, {3, 4});
  check_double_new_reduction_ops([](const D& x) { return stddev(x); }, {3, 4});
  check_double_new_reduction_ops([](const D& x) { return stddev(x, -1, true, true); }, {2, 3, 4});
  check_double_new_reduction_ops([](const D& x) { return stddev(x, 0, false); }, {3, 4});
}

TEST(Var, GradientIsTheClosedForm) {
  // d var / dx_i = 2 (x_i - mean) / (n - 1).
  D a = D::from({4}, {1, 2, 3, 4}, true);
  var(a).backward();
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{-1, -1.0 / 3, 1.0 / 3, 1}));
}

TEST(Var, Errors) {
  EXPECT_THROW_WITH(var(D::from({1}, {2.0})), DomainError, "var", "(1)", "at least 2");
  EXPECT_THROW_WITH(var(D::zeros({3, 1}), 1), DomainError, "var", "axis 1", "(3, 1)");
  EXPECT_THROW_WITH(stddev(D::zeros({3, 1}), -1), DomainError, "stddev", "(3, 1)");
  EXPECT_EQ(var(D::from({1}, {2.0}), false).value()(), 0);  // the population variance is fine
  EXPECT_THROW_WITH(var(D::zeros({0})), ShapeError, "var", "(0)");
  EXPECT_THROW_WITH(var(D::zeros({2, 0}), 0), ShapeError, "var", "(2, 0)");
  EXPECT_THROW_WITH(var(D::zeros({2, 3}), 2), ShapeError, "var", "axis 2");
  // The gradient of a standard deviation of 0 is infinite: an error, not NaN.
  D c = D::from({3}, {2, 2, 2}, true);
  EXPECT_THROW_WITH(stddev(c).backward(), DomainError, "sqrt");
}

// ---- cumsum ----

TEST(Cumsum, Values) {
  D a = D::from({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(test::values_of(cumsum(a, 1)), (std::vector<double>{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(test::values_of(cumsum(a, 0)), (std::vector<double>{1, 2, 3, 5, 7, 9}));
  EXPECT_EQ(test::values_of(cumsum(a, -1)), test::values_of(cumsum(a, 1)));
  EXPECT_EQ(cumsum(D::zeros({0, 2}), 0).shape(), (Shape{0, 2}));
}

TEST(Cumsum, GradientIsTheReverseCumsum) {
  D a = D::from({4}, {1, 2, 3, 4}, true);
  cumsum(a, 0).backward(D::from({4}, {1, 10, 100, 1000}));
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{1111, 1110, 1100, 1000}));
}

TEST(Cumsum, GradientsAndSecondDerivatives) {
  check_double_new_reduction_ops([](const D& x) { return cumsum(x, 0); }, {5});
  check_double_new_reduction_ops([](const D& x) { return cumsum(x, 1); }, {2, 3, 4});
  check_double_new_reduction_ops([](const D& x) { return cumsum(x, 0); }, {3, 2});
  check_double_new_reduction_ops([](const D& x) { return cumsum(x, -1); }, {2, 3, 4});
}

TEST(Cumsum, Errors) {
  EXPECT_THROW_WITH(cumsum(D::zeros({2, 3}), 2), ShapeError, "cumsum", "axis 2", "(2, 3)");
  EXPECT_THROW_WITH(cumsum(D::scalar(1.0), 0), ShapeError, "cumsum", "()");
}

}  // namespace
}  // namespace xg
