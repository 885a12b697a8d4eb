// The kernels of large tensors: the same bits for any thread count, the broadcasting loops
// against xtensor's broadcasting, the float exp and log against double, softmax's backward ops
// (values, first and second derivatives) and matmul's transposed operands.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "kernels/fast_math.hpp"
#include "test_support.hpp"
#include "xgrad/threads.hpp"

namespace {

using xg::Tensor;
using xg::test::uniform;
using Tf = Tensor<float>;
using Td = Tensor<double>;

/// Every value a large step computes: forward values and the gradients of both leaves.
std::vector<xt::xarray<float>> large_step() {
  auto x = uniform<float>({300, 700}, -3, 3, 1);
  auto w = uniform<float>({700}, -1, 1, 2);
  auto col = uniform<float>({300, 1}, 0.5, 2, 3);
  std::vector<xt::xarray<float>> out;
  auto keep = [&](const Tf& t) {
    out.push_back(t.value());
    return t;
  };
  auto a = keep(xg::sigmoid(keep(x * w + 0.5f)));
  auto b = keep(xg::tanh(keep(a / col)));
  auto c = keep(xg::exp(b) - xg::log(keep(xg::abs(x) + 1.0f)));
  auto s = keep(xg::softmax(c, -1)) * keep(xg::log_softmax(c, 0));
  auto loss = keep(xg::sum(s)) + keep(xg::sum(keep(xg::logsumexp(c, 1)))) +
              keep(xg::sum(keep(xg::max(c, 0)))) + keep(xg::mean(keep(xg::sum(c, 0))));
  keep(xg::sqrt(keep(xg::relu(c)) + 1.0f));
  loss.backward();
  out.push_back(x.grad().value());
  out.push_back(w.grad().value());
  out.push_back(col.grad().value());
  return out;
}

TEST(ParallelKernels, SameBitsForAnyThreadCount) {
  xg::test::ThreadCountGuard restore;
  xg::set_num_threads(1);
  const auto one = large_step();
  xg::set_num_threads(2);
  const auto two = large_step();
  xg::set_num_threads(3);
  const auto three = large_step();
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    SCOPED_TRACE("value " + std::to_string(i));
    ASSERT_EQ(one[i].shape(), two[i].shape());
    for (std::size_t k = 0; k < one[i].size(); ++k) {
      ASSERT_EQ(one[i].data()[k], two[i].data()[k]) << "element " << k;
      ASSERT_EQ(one[i].data()[k], three[i].data()[k]) << "element " << k;
    }
  }
}

TEST(ParallelKernels, LargeReductionsMatchDoubleReferences) {
  auto x = uniform<float>({400, 600}, -2, 2, 5);
  xt::xarray<double> xd = xt::cast<double>(x.value());
  const double total = xt::sum(xd)();
  EXPECT_NEAR(xg::sum(x).item(), total, 1e-5 * 400 * 600);
  const xt::xarray<double> rows = xt::sum(xd, {1});
  const xt::xarray<double> cols = xt::sum(xd, {0});
  xg::test::expect_close(xt::xarray<double>(xt::cast<double>(xg::sum(x, 1).value())), rows, 1e-4);
  xg::test::expect_close(xt::xarray<double>(xt::cast<double>(xg::sum(x, 0).value())), cols, 1e-4);
  // softmax rows sum to one; logsumexp against double.
  const auto sm = xg::softmax(x, 1).value();
  for (std::size_t r = 0; r < 400; r += 37) {
    double s = 0;
    for (std::size_t c = 0; c < 600; ++c) s += sm(r, c);
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
  const xt::xarray<double> lse = xt::log(xt::sum(xt::exp(xd), {1}));
  xg::test::expect_close(xt::xarray<double>(xt::cast<double>(xg::logsumexp(x, 1).value())), lse,
                         1e-6);
}

TEST(ParallelKernels, BroadcastingMatchesXtensor) {
  const std::vector<std::pair<xg::Shape, xg::Shape>> pairs = {
      {{300, 200}, {300, 1}}, {{300, 1}, {1, 200}}, {{2, 1, 3}, {4, 1}},    {{5, 4, 3}, {4, 1}},
      {{1}, {7, 3}},          {{7, 3}, {}},         {{3, 1, 5}, {3, 4, 1}}, {{0, 3}, {1, 3}},
      {{200, 1, 300}, {300}}, {{2, 3}, {2, 3}}};
  for (const auto& [sa, sb] : pairs) {
    SCOPED_TRACE(xg::shape_str(sa) + " with " + xg::shape_str(sb));
    const auto a = uniform<double>(sa, -1, 1, 8, false);
    const auto b = uniform<double>(sb, 0.5, 1, 9, false);
    const xt::xarray<double> sum = a.value() + b.value();
    const xt::xarray<double> quotient = a.value() / b.value();
    EXPECT_EQ((a + b).value(), sum);
    EXPECT_EQ((a / b).value(), quotient);
    // broadcast_to and its adjoint sum_to.
    const auto full = xg::broadcast_to(b, xg::Shape(sum.shape().begin(), sum.shape().end()));
    const xt::xarray<double> expanded = xt::broadcast(b.value(), sum.shape());
    EXPECT_EQ(full.value(), expanded);
  }
  const auto g = uniform<double>({3, 4, 5}, -1, 1, 10, false);
  for (const xg::Shape& target : {xg::Shape{3, 1, 5}, xg::Shape{4, 1}, xg::Shape{1, 4, 1},
                                  xg::Shape{5}, xg::Shape{}, xg::Shape{3, 4, 1}}) {
    SCOPED_TRACE("sum_to " + xg::shape_str(target));
    const auto got = xg::sum_to(g, target).value();
    xt::xarray<double> want = g.value();
    const std::size_t lead = 3 - target.size();
    for (std::size_t d = 3; d-- > 0;) {
      if (d < lead || target[d - lead] == 1) {
        xt::xarray<double> reduced = xt::sum(want, {d}, xt::keep_dims);
        want = reduced;
      }
    }
    want.reshape(std::vector<std::size_t>(target.begin(), target.end()));
    xg::test::expect_close(got, want, 1e-14);
  }
}

TEST(ParallelKernels, SumToOverLeadingAndTrailingAxesMatchesXtensor) {
  // Batch and spatial axes summed away around kept middle ones (a convolution's bias gradient).
  const auto g = uniform<double>({6, 7, 2, 20}, -1, 1, 11, false);
  for (const xg::Shape& target :
       {xg::Shape{1, 7, 1, 1}, xg::Shape{7, 1, 1}, xg::Shape{1, 7, 2, 1}, xg::Shape{7, 2, 1}}) {
    SCOPED_TRACE("sum_to " + xg::shape_str(target));
    const auto got = xg::sum_to(g, target).value();
    xt::xarray<double> want = xt::sum(g.value(), {0, 3}, xt::keep_dims);
    if (target[target.size() - 2] == 1) {
      xt::xarray<double> reduced = xt::sum(want, {2}, xt::keep_dims);
      want = reduced;
    }
    want.reshape(std::vector<std::size_t>(target.begin(), target.end()));
    xg::test::expect_close(got, want, 1e-13);
  }
  // The same bits for any thread count, on a tensor big enough to be split.
  const auto big = uniform<float>({64, 8, 40, 40}, -1, 1, 12, false);
  const auto one = xg::test::at_threads(1, [&] { return xg::sum_to(big, {1, 8, 1, 1}).value(); });
  const auto two = xg::test::at_threads(2, [&] { return xg::sum_to(big, {1, 8, 1, 1}).value(); });
  EXPECT_EQ(one, two);
  const xt::xarray<double> wide = xt::sum(xt::cast<double>(big.value()), {0, 2, 3}, xt::keep_dims);
  for (std::size_t c = 0; c < 8; ++c) EXPECT_NEAR(one.data()[c], wide.data()[c], 1e-2);
}

TEST(ParallelKernels, FloatExpAndLogWithinTwoUlp) {
  double worst_exp = 0, worst_log = 0;
  for (float x = -87.0f; x < 88.7f; x += 0.0137f) {  // normal results
    const double want = std::exp(static_cast<double>(x));
    worst_exp = std::max(worst_exp, std::abs(xg::detail::exp_float(x) - want) / want);
  }
  for (float x = 1e-37f; x < 1e37f; x *= 1.0173f) {
    const double want = std::log(static_cast<double>(x));
    worst_log = std::max(
        worst_log, std::abs(xg::detail::log_float(x) - want) / std::max(std::abs(want), 1e-30));
  }
  EXPECT_LT(worst_exp, 2.4e-7);  // 2 ulp of float
  EXPECT_LT(worst_log, 2.4e-7);
  EXPECT_NEAR(xg::detail::exp_float(-100.0f), std::exp(-100.0), 1e-45);  // a denormal
  EXPECT_EQ(xg::detail::exp_float(89.0f), INFINITY);
  EXPECT_EQ(xg::detail::exp_float(-200.0f), 0.0f);
  EXPECT_TRUE(std::isnan(xg::detail::exp_float(NAN)));
  EXPECT_EQ(xg::detail::log_float(0.0f), -INFINITY);
  EXPECT_EQ(xg::detail::log_float(INFINITY), INFINITY);
  EXPECT_TRUE(std::isnan(xg::detail::log_float(-1.0f)));
  EXPECT_NEAR(xg::detail::log_float(1e-45f), std::log(1.4012984643e-45), 1e-5);
  EXPECT_EQ(xg::detail::log_float(1.0f), 0.0f);
}

TEST(ParallelKernels, FloatExpm1AndLog1pOfElusAndSoftplusRanges) {
  // elu takes e^x - 1 of x <= 0; softplus ln(1 + u) of u = e^-|z| in (0, 1].
  double worst_expm1 = 0, worst_log1p = 0;
  for (float x = -30.0f; x < 0.0f; x += 0.000731f) {
    const double want = std::expm1(static_cast<double>(x));
    worst_expm1 = std::max(worst_expm1, std::abs(xg::detail::expm1_nonpositive(x) - want) / -want);
  }
  for (float x = -1e-3f; x < -1e-30f; x *= 0.9f) {  // tiny arguments: no cancellation either
    const double want = std::expm1(static_cast<double>(x));
    worst_expm1 = std::max(worst_expm1, std::abs(xg::detail::expm1_nonpositive(x) - want) / -want);
  }
  for (float u = 1e-30f; u <= 1.0f; u *= 1.00173f) {
    const double want = std::log1p(static_cast<double>(u));
    worst_log1p = std::max(worst_log1p, std::abs(xg::detail::log1p_unit(u) - want) / want);
  }
  EXPECT_LT(worst_expm1, 1.8e-7);  // 1.5 ulp of float
  EXPECT_LT(worst_log1p, 3.0e-7);  // 2.5 ulp
  EXPECT_GT(worst_expm1, 0.0);     // the loops ran
  EXPECT_EQ(xg::detail::expm1_nonpositive(0.0f), 0.0f);
  EXPECT_EQ(xg::detail::expm1_nonpositive(-200.0f), -1.0f);
  EXPECT_TRUE(std::isnan(xg::detail::expm1_nonpositive(NAN)));
  EXPECT_EQ(xg::detail::log1p_unit(0.0f), 0.0f);
  EXPECT_NEAR(xg::detail::log1p_unit(1.0f), std::log(2.0), 1e-7);
}

TEST(SoftmaxBackward, ValuesAreTheComposedFormulas) {
  const auto x = uniform<double>({3, 4, 2}, -2, 2, 31, false);
  const auto g = uniform<double>({3, 4, 2}, -1, 1, 32, false);
  for (std::ptrdiff_t ax : {0, 1, 2, -1}) {
    SCOPED_TRACE("axis " + std::to_string(ax));
    const auto y = xg::softmax(x, ax);
    const auto want = xg::mul(y, xg::sub(g, xg::sum(xg::mul(g, y), ax, true)));
    xg::test::expect_close(xg::softmax_backward(g, y, ax).value(), want.value(), 1e-15);
    const auto ly = xg::log_softmax(x, ax);
    const auto lwant = xg::sub(g, xg::mul(xg::exp(ly), xg::sum(g, ax, true)));
    xg::test::expect_close(xg::log_softmax_backward(g, ly, ax).value(), lwant.value(), 1e-15);
  }
  EXPECT_THROW_WITH(xg::softmax_backward(Td::zeros({2, 3}), Td::zeros({3, 2}), 0), xg::ShapeError,
                    "softmax_backward", "(2, 3)", "(3, 2)");
  EXPECT_THROW_WITH(xg::log_softmax_backward(Td::zeros({2, 3}), Td::zeros({2, 3}), 2),
                    xg::ShapeError, "log_softmax_backward");
}

TEST(SoftmaxBackward, GradcheckAndGradgradcheckInDouble) {
  for (std::ptrdiff_t ax : {0, 1, -1}) {
    SCOPED_TRACE("axis " + std::to_string(ax));
    const auto g = uniform<double>({3, 5}, -1, 1, 41);
    const auto y = xg::softmax(uniform<double>({3, 5}, -2, 2, 42, false), ax);
    const auto leaf = Td(y.value(), true);
    const xg::test::Fn<double> soft = [ax](const auto& v) {
      return xg::softmax_backward(v[0], v[1], ax);
    };
    const xg::test::Fn<double> log_soft = [ax](const auto& v) {
      return xg::log_softmax_backward(v[0], v[1], ax);
    };
    EXPECT_GRADCHECK(double, soft, {g, leaf});
    EXPECT_GRADGRADCHECK(double, soft, {g, leaf});
    const auto ly =
        Td(xg::log_softmax(uniform<double>({3, 5}, -2, 2, 43, false), ax).value(), true);
    EXPECT_GRADCHECK(double, log_soft, {g, ly});
    EXPECT_GRADGRADCHECK(double, log_soft, {g, ly});
    // Through the forward ops: softmax and log_softmax twice differentiable.
    const xg::test::Fn<double> f = [ax](const auto& v) {
      return xg::mul(xg::softmax(v[0], ax), xg::log_softmax(v[0], ax));
    };
    const auto x = uniform<double>({3, 5}, -2, 2, 44);
    EXPECT_GRADCHECK(double, f, {x});
    EXPECT_GRADGRADCHECK(double, f, {x});
  }
}

TEST(MatmulOptions, TransposedOperandsAreFlagsWithTheSameValuesAndGradients) {
  struct Case {
    xg::Shape a, b;
    bool ta, tb;
  };
  const std::vector<Case> cases = {
      {{4, 3}, {5, 3}, false, true},    {{3, 4}, {3, 5}, true, false},
      {{3, 4}, {5, 3}, true, true},     {{2, 4, 3}, {2, 5, 3}, false, true},
      {{2, 3, 4}, {3, 5}, true, false}, {{2, 4, 3}, {5, 3}, false, true},
      {{4, 3}, {2, 5, 3}, false, true}, {{2, 1, 3, 4}, {3, 3, 5}, true, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(xg::shape_str(c.a) + " x " + xg::shape_str(c.b));
    const auto a = uniform<double>(c.a, -1, 1, 51);
    const auto b = uniform<double>(c.b, -1, 1, 52);
    auto swap_last = [](const Td& t) {
      std::vector<std::size_t> axes(t.dim());
      for (std::size_t i = 0; i < axes.size(); ++i) axes[i] = i;
      std::swap(axes[axes.size() - 1], axes[axes.size() - 2]);
      return xg::permute(t, axes);
    };
    const auto want = xg::matmul(c.ta ? swap_last(a) : a, c.tb ? swap_last(b) : b);
    const auto got = xg::matmul(a, b, {.transpose_a = c.ta, .transpose_b = c.tb});
    xg::test::expect_close(got.value(), want.value(), 1e-14);
    const xg::test::Fn<double> f = [&c](const auto& v) {
      return xg::matmul(v[0], v[1], {.transpose_a = c.ta, .transpose_b = c.tb});
    };
    EXPECT_GRADCHECK(double, f, {a, b});
    EXPECT_GRADGRADCHECK(double, f, {a, b});
  }
  EXPECT_THROW_WITH(xg::matmul(Td::zeros({3}), Td::zeros({3, 2}), {.transpose_a = true}),
                    xg::ShapeError, "matmul", "(3)", "transposed", "rank 2");
  EXPECT_THROW_WITH(xg::matmul(Td::zeros({4, 3}), Td::zeros({3, 4}), {.transpose_b = true}),
                    xg::ShapeError, "matmul", "(3, 4)", "second transposed", "not aligned");
}

}  // namespace

namespace {

TEST(ParallelKernels, AFewLongRowsGiveTheSameBitsOnAnyThreadCount) {
  xg::test::ThreadCountGuard restore;
  xg::set_num_threads(2);
  // 5 rows of 100,000: split by rows (each row whole in one task), not in blocks of 16 rows.
  auto x = uniform<float>({5, 100000}, -1, 1, 71);
  const auto sums = xg::sum(x, 1).value();
  xt::xarray<double> xd = xt::cast<double>(x.value());
  const xt::xarray<double> want = xt::sum(xd, {1});
  for (std::size_t r = 0; r < 5; ++r) EXPECT_NEAR(sums(r), want(r), 1e-3) << r;
  xg::set_num_threads(1);
  EXPECT_EQ(xg::sum(x, 1).value(), sums);  // the same bits on one thread
}

}  // namespace
