// Gradients in broadcast form (xg::GradShape): sum's gradient is one value and the gradient of a
// sum along an axis keeps that axis at 1, read with a stride of 0 by the rules that take such a
// gradient; every other rule, every leaf's .grad, xg::grad's results and observers see the full
// shape.
#include <gtest/gtest.h>

#include <xtensor/xmath.hpp>

#include "test_support.hpp"

namespace {

using xg::Tensor;

/// y = 2 x, recorded with a rule that stores the shape of the gradient it is handed.
Tensor<double> twice(const Tensor<double>& x, xg::Shape* seen, xg::GradShape form) {
  return xg::record<double>(
      "twice", x.value() * 2.0, {x},
      [seen](xg::BackwardContext<double>& c) {
        *seen = c.grad.shape();
        c.input_grads[0] = c.grad * 2.0;
      },
      form);
}

TEST(BroadcastGrad, ARuleThatTakesTheBroadcastFormGetsSumsGradientAsOneValue) {
  auto x = Tensor<double>::ones({3, 4}, true);
  xg::Shape seen{99};
  xg::sum(twice(x, &seen, xg::GradShape::broadcast)).backward();
  EXPECT_EQ(seen, xg::Shape{});  // not materialised to (3, 4)
  EXPECT_EQ(x.grad().value(), xt::xarray<double>(xt::ones<double>({3, 4}) * 2.0));
}

TEST(BroadcastGrad, AnyOtherRuleGetsTheFullShape) {
  auto x = Tensor<double>::ones({3, 4}, true);
  xg::Shape seen;
  xg::sum(twice(x, &seen, xg::GradShape::full)).backward();
  EXPECT_EQ(seen, (xg::Shape{3, 4}));
  // The default of xg::record is the full shape.
  auto y =
      xg::record<double>("plain", x.value() * 1.0, {x}, [&seen](xg::BackwardContext<double>& c) {
        seen = c.grad.shape();
        c.input_grads[0] = c.grad;
      });
  x.zero_grad();
  xg::sum(y).backward();
  EXPECT_EQ(seen, (xg::Shape{3, 4}));
  EXPECT_EQ(x.grad().value(), xt::xarray<double>(xt::ones<double>({3, 4})));
}

TEST(BroadcastGrad, AnAxisSumsGradientKeepsTheAxisAtOne) {
  auto x = Tensor<double>::from({2, 3}, {1, 2, 3, 4, 5, 6}, true);
  xg::Shape seen;
  xg::sum(xg::sum(twice(x, &seen, xg::GradShape::broadcast), 1) * 3.0).backward();
  EXPECT_EQ(seen, (xg::Shape{2, 1}));
  EXPECT_EQ(x.grad().value(), xt::xarray<double>(xt::ones<double>({2, 3}) * 6.0));
}

TEST(BroadcastGrad, LeavesNonLeavesAndGradResultsAreFull) {
  auto x = Tensor<double>::from({2, 2}, {1, 2, 3, 4}, true);
  auto h = x * 1.0;  // takes the broadcast form and passes it on
  h.retain_grad();
  auto loss = xg::sum(h);
  auto grads = xg::grad<double>({loss}, {x, h}, {}, {.retain_graph = true});
  EXPECT_EQ(grads[0].shape(), (xg::Shape{2, 2}));
  EXPECT_EQ(grads[1].shape(), (xg::Shape{2, 2}));
  EXPECT_EQ(grads[0].value(), xt::xarray<double>(xt::ones<double>({2, 2})));
  loss.backward();
  EXPECT_EQ(x.grad().value(), xt::xarray<double>(xt::ones<double>({2, 2})));
  EXPECT_EQ(h.grad().value(), xt::xarray<double>(xt::ones<double>({2, 2})));
}

TEST(BroadcastGrad, AScalarGradientMeetsAFullOneAtASharedInput) {
  // x reaches the loss through sum(x) (one value) and through sum(x * x) (2x, full).
  auto x = Tensor<double>::from({3}, {1, -2, 5}, true);
  auto loss = xg::sum(x) + xg::sum(xg::exp(x));
  loss.backward();
  EXPECT_NEAR(x.grad().value()(0), 1 + std::exp(1.0), 1e-15);
  EXPECT_NEAR(x.grad().value()(1), 1 + std::exp(-2.0), 1e-15);
  EXPECT_NEAR(x.grad().value()(2), 1 + std::exp(5.0), 1e-12);
}

TEST(BroadcastGrad, BinaryRulesSumAndBroadcastAsTheForwardDid) {
  // a (2, 3) * b (3): a's gradient g * b is (3) and stands for its broadcast; b's is summed.
  auto a = Tensor<double>::from({2, 3}, {1, 2, 3, 4, 5, 6}, true);
  auto b = Tensor<double>::from({3}, {10, 20, 30}, true);
  xg::sum(a * b / 2.0 - a).backward();
  EXPECT_EQ(a.grad().value(), (xt::xarray<double>{{4, 9, 14}, {4, 9, 14}}));
  EXPECT_EQ(b.grad().value(), (xt::xarray<double>{2.5, 3.5, 4.5}));
}

TEST(BroadcastGrad, SecondDerivativesThroughTheBroadcastForm) {
  xg::TensorFunction<double> f = [](auto& in) {
    const auto& a = in[0];
    const auto& b = in[1];
    return xg::sum(xg::exp(a * b) / b + xg::log(xg::sum(a * a, 0)) - 2.0 * a);
  };
  auto a = xg::test::uniform<double>({3, 4}, 0.5, 1.5, 5);
  auto b = xg::test::uniform<double>({4}, 0.5, 1.5, 6);
  EXPECT_GRADCHECK(double, f, {a, b});
  EXPECT_GRADGRADCHECK(double, f, {a, b});
}

TEST(BroadcastGrad, MeanAndMaxAlongAnAxis) {
  xg::TensorFunction<double> f = [](auto& in) {
    const auto& x = in[0];
    return xg::sum(x / xg::sqrt(xg::mean(x * x, -1, true) + 1e-5) +
                   xg::max(x, 0, true) * xg::logsumexp(x, 1, true));
  };
  auto x = xg::test::uniform<double>({3, 5}, -2, 2, 9);
  EXPECT_GRADCHECK(double, f, {x});
  EXPECT_GRADGRADCHECK(double, f, {x});
}

TEST(MulSumTo, IsTheProductSummedDownToTheShape) {
  using Td = Tensor<double>;
  const auto a = xg::test::uniform<double>({2, 3, 4}, -1, 1, 31);
  const auto b = xg::test::uniform<double>({2, 3, 4}, -1, 1, 32);
  // One run of summed axes (leading, middle, trailing), two runs, everything, and nothing.
  for (const xg::Shape& s : {xg::Shape{4}, xg::Shape{3, 4}, xg::Shape{2, 1, 4}, xg::Shape{2, 3, 1},
                             xg::Shape{1, 3, 1}, xg::Shape{}, xg::Shape{2, 3, 4}}) {
    SCOPED_TRACE("to " + xg::shape_str(s));
    const Td fused = xg::mul_sum_to(a, b, s);
    EXPECT_EQ(fused.shape(), s);
    xg::test::expect_close(fused.value(), xg::sum_to(a * b, s).value(), 1e-15);
    const xg::test::Fn<double> f = [s](const auto& v) { return xg::mul_sum_to(v[0], v[1], s); };
    EXPECT_GRADCHECK(double, f, {a, b});
    EXPECT_GRADGRADCHECK(double, f, {a, b});
  }
  // Float, a column sum of 1000 rows: the same additions in the same order as sum_to's.
  const auto fa = xg::test::uniform<float>({1000, 24}, -1, 1, 33);
  const auto fb = xg::test::uniform<float>({1000, 24}, -1, 1, 34);
  xg::test::expect_close(xg::mul_sum_to(fa, fb, {24}).value(), xg::sum_to(fa * fb, {24}).value(),
                         0);
  EXPECT_THROW_WITH(xg::mul_sum_to(a, Td::zeros({3, 4}), {4}), xg::ShapeError, "mul_sum_to",
                    "(2, 3, 4)", "(3, 4)");
  EXPECT_THROW_WITH(xg::mul_sum_to(a, b, {5}), xg::ShapeError, "mul_sum_to", "(5)");
}

TEST(MulSumTo, ABroadcastFactorsGradientIsSummedAsItIsMade) {
  // x * gamma and x / s with gamma a row and s a column: the factors' gradients equal the
  // product summed down, with and without create_graph.
  const auto x = xg::test::uniform<double>({5, 6}, -1, 1, 41);
  const auto gamma = xg::test::uniform<double>({6}, 0.5, 1.5, 42);
  const auto s = xg::test::uniform<double>({5, 1}, 0.5, 1.5, 43);
  const auto r = xg::test::uniform<double>({5, 6}, -1, 1, 44);
  const xg::test::Fn<double> f = [r](const auto& v) { return xg::sum(v[0] / v[2] * v[1] * r); };
  EXPECT_GRADCHECK(double, f, {x, gamma, s});
  EXPECT_GRADGRADCHECK(double, f, {x, gamma, s});
  auto xs = Tensor<double>(x.value(), true), gs = Tensor<double>(gamma.value(), true),
       ss = Tensor<double>(s.value(), true);
  xg::sum(xs / ss * gs * r).backward();
  const xt::xarray<double> t = x.value() / s.value();
  xg::test::expect_close(gs.grad().value(), xt::xarray<double>(xt::sum(t * r.value(), {0})), 1e-14);
  xg::test::expect_close(
      ss.grad().value(),
      xt::xarray<double>(xt::sum(-(r.value() * gamma.value()) * t / s.value(), {1}, xt::keep_dims)),
      1e-14);
}

}  // namespace
