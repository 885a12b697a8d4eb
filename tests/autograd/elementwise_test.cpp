// Elementwise operations: values, gradients (double and float), second derivatives, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;

// Shape pairs that exercise NumPy broadcasting: equal, size-1 axes, missing leading axes, 0-d.
const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {{{3, 4}, {3, 4}}, {{3, 4}, {1, 4}},
                                                              {{3, 1}, {1, 4}}, {{2, 3, 4}, {4}},
                                                              {{3, 4}, {}},     {{}, {2, 2}}};

template <class T>
void check_binary(Tensor<T> (*op)(const Tensor<T>&, const Tensor<T>&), double lo, double hi) {
  unsigned seed = 1;
  for (const auto& [sa, sb] : kBroadcastPairs) {
    auto a = uniform<T>(sa, lo, hi, seed++);
    auto b = uniform<T>(sb, lo, hi, seed++);
    Fn<T> f = [op](const std::vector<Tensor<T>>& x) { return op(x[0], x[1]); };
    SCOPED_TRACE(shape_str(sa) + " with " + shape_str(sb));
    EXPECT_GRADCHECK(T, f, {a, b});
    if constexpr (std::is_same_v<T, double>) EXPECT_GRADGRADCHECK(T, f, {a, b});
  }
}

TEST(Elementwise, AddGradcheck) {
  check_binary<double>(&add<double>, -2, 2);
  check_binary<float>(&add<float>, -2, 2);
}
TEST(Elementwise, SubGradcheck) {
  check_binary<double>(&sub<double>, -2, 2);
  check_binary<float>(&sub<float>, -2, 2);
}
TEST(Elementwise, MulGradcheck) {
  check_binary<double>(&mul<double>, -2, 2);
  check_binary<float>(&mul<float>, -2, 2);
}
TEST(Elementwise, DivGradcheck) {
  check_binary<double>(&div<double>, 0.5, 2);
  check_binary<float>(&div<float>, 0.5, 2);
}
TEST(Elementwise, PowTensorGradcheck) {
  check_binary<double>(
      static_cast<Tensor<double> (*)(const Tensor<double>&, const Tensor<double>&)>(&pow<double>),
      0.5, 2);
}
TEST(Elementwise, MaximumMinimumGradcheck) {
  // Distinct values (ties are a kink); seeds give distinct draws.
  check_binary<double>(&maximum<double>, -2, 2);
  check_binary<double>(&minimum<double>, -2, 2);
}

template <class T>
void check_unary_elementwise(const Fn<T>& f, const Shape& shape, double lo, double hi,
                             bool second = true) {
  auto a = uniform<T>(shape, lo, hi, 11);
  EXPECT_GRADCHECK(T, f, {a});
  if (second) EXPECT_GRADGRADCHECK(T, f, {a});
}

TEST(Elementwise, UnaryGradchecks) {
  for (const Shape& s : {Shape{}, Shape{5}, Shape{2, 3}}) {
    SCOPED_TRACE(shape_str(s));
    check_unary_elementwise<double>([](auto& x) { return neg(x[0]); }, s, -2, 2);
    check_unary_elementwise<double>([](auto& x) { return exp(x[0]); }, s, -2, 2);
    check_unary_elementwise<double>([](auto& x) { return log(x[0]); }, s, 0.2, 3);
    check_unary_elementwise<double>([](auto& x) { return sqrt(x[0]); }, s, 0.2, 3);
    check_unary_elementwise<double>([](auto& x) { return abs(x[0]); }, s, 0.1, 2);
    check_unary_elementwise<double>([](auto& x) { return abs(x[0]); }, s, -2, -0.1);
    check_unary_elementwise<double>([](auto& x) { return pow(x[0], 3.0); }, s, -2, 2);
    check_unary_elementwise<double>([](auto& x) { return pow(x[0], -1.5); }, s, 0.3, 2);
    check_unary_elementwise<double>([](auto& x) { return pow(x[0], 0.0); }, s, 0.3, 2);
    check_unary_elementwise<double>([](auto& x) { return x[0] * 2.5 + 1.0; }, s, -2, 2);
    check_unary_elementwise<double>([](auto& x) { return 1.0 - x[0]; }, s, -2, 2);
    check_unary_elementwise<double>([](auto& x) { return 3.0 / x[0]; }, s, 0.5, 2);
    check_unary_elementwise<double>([](auto& x) { return x[0] / 4.0 - 2.0; }, s, -2, 2);
    check_unary_elementwise<double>([](auto& x) { return clamp(x[0], -0.5, 0.5); }, s, -2, 2);
    check_unary_elementwise<float>([](auto& x) { return exp(x[0]); }, s, -2, 2, false);
    check_unary_elementwise<float>([](auto& x) { return log(x[0]); }, s, 0.2, 3, false);
    check_unary_elementwise<float>([](auto& x) { return sqrt(x[0]); }, s, 0.2, 3, false);
    check_unary_elementwise<float>([](auto& x) { return 3.0f / x[0]; }, s, 0.5, 2, false);
    check_unary_elementwise<float>([](auto& x) { return pow(x[0], 2.0f); }, s, -2, 2, false);
  }
}

TEST(Elementwise, ClosedForms) {
  auto a = Tensor<double>::from({3}, {0.5, 1.0, 2.0}, true);
  auto b = Tensor<double>::from({3}, {3.0, -1.0, 0.5}, true);
  sum(div(a, b)).backward();
  for (int i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(a.grad().value()(i), 1.0 / b.value()(i));
    EXPECT_DOUBLE_EQ(b.grad().value()(i), -a.value()(i) / (b.value()(i) * b.value()(i)));
  }
  auto x = Tensor<double>::from({2}, {1.0, 4.0}, true);
  sum(log(x) + sqrt(x) + exp(x)).backward();
  EXPECT_DOUBLE_EQ(x.grad().value()(0), 1.0 + 0.5 + std::exp(1.0));
  EXPECT_DOUBLE_EQ(x.grad().value()(1), 0.25 + 0.25 + std::exp(4.0));
}

TEST(Elementwise, BroadcastGradientIsSummedToInputShape) {
  auto a = Tensor<double>::ones({3, 4}, true);
  auto b = Tensor<double>::from({1, 4}, {1, 2, 3, 4}, true);
  auto s = Tensor<double>::scalar(2.0, true);
  sum((a * b) * s).backward();
  ASSERT_EQ(b.grad().shape(), (Shape{1, 4}));
  for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(b.grad().value()(0, j), 6.0);  // 3 rows x s
  ASSERT_EQ(s.grad().shape(), Shape{});
  EXPECT_DOUBLE_EQ(s.grad().item(), 30.0);  // 3 * (1+2+3+4)
  EXPECT_DOUBLE_EQ(a.grad().value()(2, 3), 8.0);
}

TEST(Elementwise, MaximumSplitsTiesEvenly) {
  auto a = Tensor<double>::from({3}, {1, 2, 3}, true);
  auto b = Tensor<double>::from({3}, {3, 2, 1}, true);
  sum(maximum(a, b)).backward();
  EXPECT_DOUBLE_EQ(a.grad().value()(0), 0.0);
  EXPECT_DOUBLE_EQ(a.grad().value()(1), 0.5);
  EXPECT_DOUBLE_EQ(a.grad().value()(2), 1.0);
  EXPECT_DOUBLE_EQ(b.grad().value()(1), 0.5);
}

TEST(Elementwise, WhereRoutesGradient) {
  auto a = test::uniform<double>({2, 3}, -1, 1, 3);
  auto b = test::uniform<double>({3}, -1, 1, 4);
  xt::xarray<bool> cond = {{true, false, true}, {false, false, true}};
  Fn<double> f = [cond](auto& x) { return xg::where(cond, x[0], x[1]); };
  EXPECT_GRADCHECK(double, f, {a, b});
  sum(xg::where(cond, a, b)).backward();
  EXPECT_DOUBLE_EQ(a.grad().value()(0, 1), 0.0);
  EXPECT_DOUBLE_EQ(a.grad().value()(0, 2), 1.0);
  EXPECT_DOUBLE_EQ(b.grad().value()(1), 2.0);  // both rows take b at column 1
  EXPECT_DOUBLE_EQ(b.grad().value()(2), 0.0);
}

TEST(Elementwise, ErrorsNameOpAndShapes) {
  auto a = Tensor<double>::ones({2, 3});
  auto b = Tensor<double>::ones({4, 3});
  EXPECT_THROW_WITH(add(a, b), ShapeError, "add", "(2, 3)", "(4, 3)");
  EXPECT_THROW_WITH(mul(a, Tensor<double>::ones({2})), ShapeError, "mul", "(2, 3)", "(2)");
  auto neg_vals = Tensor<double>::from({3}, {1.0, -2.0, 3.0});
  EXPECT_THROW_WITH(log(neg_vals), DomainError, "log", "element (1)", "-2");
  EXPECT_THROW_WITH(sqrt(neg_vals), DomainError, "sqrt", "element (1)");
  EXPECT_THROW_WITH(div(a, Tensor<double>::zeros({3})), DomainError, "div", "zero");
  EXPECT_THROW_WITH(pow(neg_vals, 0.5), DomainError, "pow");
  EXPECT_THROW_WITH(clamp(a, 1.0, 0.0), DomainError, "clamp");
  EXPECT_THROW_WITH(add(a, Tensor<double>()), GraphError, "add", "undefined");
}

}  // namespace
}  // namespace xg
