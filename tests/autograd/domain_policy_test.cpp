// One domain policy for every form of an operation (docs/reliability.md, "Domain errors"): an
// ordinary number outside the domain throws DomainError at the operation, in tensor/tensor,
// tensor/scalar and broadcast forms alike; a derivative that is infinite at a point of the
// domain throws DomainError naming the backward, the same with and without create_graph; NaN
// is never a domain error and propagates. One test per row of the table.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_support.hpp"

namespace xg {
namespace {

template <class T>
class DomainPolicy : public ::testing::Test {};
TYPED_TEST_SUITE(DomainPolicy, test::FloatTypes);

template <class T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();

/// Runs backward from sum(f(x)) three ways: plain, create_graph, and xg::grad with create_graph.
template <class T, class F>
void expect_backward_throws(F f, const Tensor<T>& x, const std::string& what) {
  {
    SCOPED_TRACE("plain backward");
    auto y = sum(f(x));
    EXPECT_THROW_WITH(y.backward(), DomainError, what);
  }
  {
    SCOPED_TRACE("backward with create_graph");
    auto y = sum(f(x));
    EXPECT_THROW_WITH(y.backward({.retain_graph = true, .create_graph = true}), DomainError, what);
  }
  {
    SCOPED_TRACE("xg::grad with create_graph");
    auto y = sum(f(x));
    EXPECT_THROW_WITH(grad<T>({y}, {x}, {}, {.create_graph = true}), DomainError, what);
  }
}

TYPED_TEST(DomainPolicy, DivisionByZeroInEveryForm) {
  using T = TypeParam;
  auto a = Tensor<T>::from({2, 2}, {1, 2, 3, 4});
  auto zero_row = Tensor<T>::from({1, 2}, {1, 0});  // broadcast over the rows
  EXPECT_THROW_WITH(div(a, zero_row), DomainError, "div:", "division by zero", "(0, 1)");
  EXPECT_THROW_WITH(a / Tensor<T>::scalar(0), DomainError, "div:", "division by zero");
  // The scalar form gave Inf silently (it multiplied by 1 / 0).
  EXPECT_THROW_WITH(a / T(0), DomainError, "div:", "division by zero", "(2, 2)");
  EXPECT_THROW_WITH(div(a, T(-0.0)), DomainError, "div:", "division by zero");
  EXPECT_THROW_WITH(T(1) / zero_row, DomainError, "rdiv:", "division by zero");
  // Not a zero: a tiny divisor stays a division, not a multiplication by an overflowed 1 / s.
  const T tiny = std::numeric_limits<T>::denorm_min();
  EXPECT_EQ((Tensor<T>::scalar(tiny) / tiny).item(), T(1));
}

TYPED_TEST(DomainPolicy, DivisionByAScalarHasAGradient) {
  using T = TypeParam;
  auto x = Tensor<T>::from({3}, {1, -2, 4}, true);
  auto y = x / T(4);
  EXPECT_EQ(y.value()(2), T(1));
  sum(y).backward();
  for (auto g : x.grad().value()) EXPECT_EQ(g, T(0.25));
  if constexpr (std::is_same_v<T, double>) {
    test::Fn<T> f = [](const std::vector<Tensor<T>>& v) { return v[0] / T(-3); };
    EXPECT_GRADCHECK(T, f, {test::uniform<T>({2, 3})});
    EXPECT_GRADGRADCHECK(T, f, {test::uniform<T>({2, 3})});
  }
}

TYPED_TEST(DomainPolicy, LogOfNonPositiveValues) {
  using T = TypeParam;
  EXPECT_THROW_WITH(log(Tensor<T>::from({2}, {1, 0})), DomainError, "log:", "element (1)");
  EXPECT_THROW_WITH(log(Tensor<T>::from({2}, {-1, 1})), DomainError, "log:", "is -1");
}

TYPED_TEST(DomainPolicy, SqrtOfNegativeValues) {
  using T = TypeParam;
  EXPECT_THROW_WITH(sqrt(Tensor<T>::from({2}, {4, -1})), DomainError, "sqrt:", "is -1");
  EXPECT_EQ(sqrt(Tensor<T>::from({1}, {0})).value()(0), T(0));  // 0 is in the domain
}

TYPED_TEST(DomainPolicy, SqrtBackwardAtZeroIsTheSameErrorInEveryPass) {
  using T = TypeParam;
  // Plain backward gave +Inf, create_graph blamed 'div'.
  auto x = Tensor<T>::from({2}, {4, 0}, true);
  expect_backward_throws<T>([](const Tensor<T>& t) { return sqrt(t); }, x,
                            "sqrt backward: element (1)");
}

TYPED_TEST(DomainPolicy, PowOutsideTheRealDomainInEveryForm) {
  using T = TypeParam;
  auto neg = Tensor<T>::from({2}, {4, -2});
  EXPECT_THROW_WITH(pow(neg, T(0.5)), DomainError, "pow:", "base -2 with exponent 0.5",
                    "negative base needs an integer exponent");
  // The tensor form gave NaN.
  EXPECT_THROW_WITH(pow(neg, Tensor<T>::scalar(0.5)), DomainError, "pow:", "base -2",
                    "integer exponent");
  EXPECT_THROW_WITH(pow(Tensor<T>::scalar(-2), Tensor<T>::from({2}, {2, 0.5})), DomainError,
                    "pow:", "exponent 0.5");
  auto zero = Tensor<T>::from({2}, {1, 0});
  EXPECT_THROW_WITH(pow(zero, T(-1)), DomainError, "pow:", "zero base needs a non-negative");
  EXPECT_THROW_WITH(pow(zero, Tensor<T>::scalar(-1)), DomainError, "pow:", "zero base");
  // Integer exponents of negative bases are real.
  EXPECT_EQ(pow(neg, T(3)).value()(1), T(-8));
  EXPECT_EQ(pow(neg, Tensor<T>::scalar(2)).value()(1), T(4));
}

TYPED_TEST(DomainPolicy, PowBackwardWithAnInfiniteDerivative) {
  using T = TypeParam;
  auto x = Tensor<T>::from({2}, {4, 0}, true);
  // Before: pow's forward check fired inside backward ("a non-zero base for a negative one").
  expect_backward_throws<T>([](const Tensor<T>& t) { return pow(t, T(0.5)); }, x,
                            "pow backward: base 0 with exponent 0.5");
  expect_backward_throws<T>([](const Tensor<T>& t) { return pow(t, Tensor<T>::scalar(0.5)); }, x,
                            "pow backward: base 0 with exponent 0.5");
}

TYPED_TEST(DomainPolicy, PowBackwardAtAZeroBaseWhereTheDerivativeExists) {
  using T = TypeParam;
  // d(a^b)/da at a = 0: 0 for b = 2, 1 for b = 1, 0 for b = 0; d/db there is 0.
  for (auto [b, want] : {std::pair<T, T>{2, 0}, {1, 1}, {0, 0}, {2.5, 0}}) {
    auto a = Tensor<T>::from({1}, {0}, true);
    auto e = Tensor<T>::from({1}, {b}, true);
    sum(pow(a, e)).backward();
    EXPECT_EQ(a.grad().value()(0), want) << "b = " << b;
    EXPECT_EQ(e.grad().value()(0), T(0)) << "b = " << b;
    auto s = Tensor<T>::from({1}, {0}, true);
    sum(pow(s, b)).backward();
    EXPECT_EQ(s.grad().value()(0), want) << "scalar b = " << b;
  }
}

TYPED_TEST(DomainPolicy, PowExponentGradientOfANegativeBase) {
  using T = TypeParam;
  auto a = Tensor<T>::from({2}, {2, -2});
  auto b = Tensor<T>::from({2}, {2, 2}, true);
  // (-2)^2 is real, but a^b ln(a) is not: an error naming the backward, not a NaN.
  auto y = sum(pow(a, b));
  EXPECT_EQ(y.item(), T(8));
  EXPECT_THROW_WITH(y.backward(), DomainError, "pow backward", "is -2", "exponent");
  // Only when the exponent requires grad: the base's gradient is fine.
  auto a2 = Tensor<T>::from({2}, {2, -2}, true);
  sum(pow(a2, Tensor<T>::scalar(2))).backward();
  EXPECT_EQ(a2.grad().value()(1), T(-4));
}

TYPED_TEST(DomainPolicy, NaNIsNeverADomainErrorAndPropagates) {
  using T = TypeParam;
  auto x = Tensor<T>::from({2}, {kNaN<T>, 4}, true);
  // log(NaN) threw "log needs positive values" before; sqrt and pow likewise.
  EXPECT_TRUE(std::isnan(log(x).value()(0)));
  EXPECT_TRUE(std::isnan(sqrt(x).value()(0)));
  EXPECT_TRUE(std::isnan(pow(x, T(0.5)).value()(0)));
  EXPECT_TRUE(std::isnan(pow(x, Tensor<T>::scalar(0.5)).value()(0)));
  EXPECT_TRUE(std::isnan(pow(Tensor<T>::scalar(-2), Tensor<T>::scalar(kNaN<T>)).item()));
  EXPECT_TRUE(std::isnan((x / kNaN<T>).value()(1)));
  auto y = sum(sqrt(x));
  y.backward();
  EXPECT_TRUE(std::isnan(x.grad().value()(0)));
  EXPECT_EQ(x.grad().value()(1), T(0.25));
}

}  // namespace
}  // namespace xg
