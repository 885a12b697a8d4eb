// The backward operations (xgrad/ops/backward.hpp): their values, their own first and second
// derivatives, and that each forward op's rule is exactly its backward op, the same with and
// without create_graph.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace {

using xg::Tensor;
using xg::test::Fn;
using xg::test::uniform;
using Td = Tensor<double>;

/// Values in [lo, hi) at least 0.05 away from 0 (finite differences never straddle the kink).
Td away_from_zero(const xg::Shape& shape, unsigned seed) {
  auto t = uniform<double>(shape, -1, 1, seed);
  for (auto& x : t.mutable_value()) {
    if (std::abs(x) < 0.05) x = x >= 0 ? 0.05 : -0.05;
  }
  return t;
}

/// u of a's shape with values from (0.1, 0.9), so sigmoid/bce inputs stay away from the edges.
Td probabilities(const xg::Shape& shape, unsigned seed) {
  return uniform<double>(shape, 0.1, 0.9, seed);
}

TEST(BackwardOps, ValuesFollowTheirFormulas) {
  const auto g = Td::from({3}, {2.0, -1.0, 0.5});
  const auto y = Td::from({3}, {0.25, 0.5, 0.75});
  xg::test::expect_close(xg::sigmoid_backward(g, y).value(),
                         xt::xarray<double>{2.0 * 0.25 * 0.75, -0.25, 0.5 * 0.75 * 0.25}, 0);
  xg::test::expect_close(xg::tanh_backward(g, y).value(),
                         xt::xarray<double>{2.0 * (1 - 0.0625), -0.75, 0.5 * (1 - 0.5625)}, 0);
  xg::test::expect_close(xg::sqrt_backward(g, y).value(), xt::xarray<double>{4.0, -1.0, 0.5 / 1.5},
                         1e-15);
  const auto x = Td::from({3}, {-1.0, 0.0, 3.0});
  xg::test::expect_close(xg::threshold_backward(g, x).value(), xt::xarray<double>{0, 0, 0.5}, 0);
  xg::test::expect_close(xg::threshold_backward(g, x, -2.0).value(),
                         xt::xarray<double>{2.0, -1.0, 0.5}, 0);
}

TEST(BackwardOps, LossBackwardsTakeAScalarOrAnElementwiseGradient) {
  const auto p = Td::from({2}, {0.25, 1.0});
  const auto t = Td::from({2}, {1.0, 0.0});
  // mse: 2 s g (p - t)
  xg::test::expect_close(xg::mse_loss_backward(Td::scalar(3.0), p, t, 0.5).value(),
                         xt::xarray<double>{3.0 * -0.75, 3.0}, 1e-15);
  xg::test::expect_close(xg::mse_loss_backward(Td::from({2}, {1.0, -2.0}), p, t, 1.0).value(),
                         xt::xarray<double>{-1.5, -4.0}, 1e-15);
  // bce: s g ((1 - t) / (1 - p) - t / p); at p = 1 the clamped log(1 - p) has derivative 0.
  xg::test::expect_close(xg::bce_loss_backward(Td::scalar(2.0), p, t, 0.5).value(),
                         xt::xarray<double>{-4.0, 0.0}, 1e-15);
}

TEST(BackwardOps, RejectMismatchedShapesNamingTheOperation) {
  const auto g = Td::zeros({2, 3});
  const auto y = Td::zeros({3, 2});
  EXPECT_THROW_WITH(xg::sigmoid_backward(g, y), xg::ShapeError, "sigmoid_backward", "(2, 3)",
                    "(3, 2)");
  EXPECT_THROW_WITH(xg::threshold_backward(g, y), xg::ShapeError, "threshold_backward");
  EXPECT_THROW_WITH(xg::mse_loss_backward(Td::zeros({3}), g, g, 1.0), xg::ShapeError,
                    "mse_loss_backward", "(3)");
  EXPECT_THROW_WITH(xg::bce_loss_backward(Td::scalar(1.0), g, y, 1.0), xg::ShapeError,
                    "bce_loss_backward", "(2, 3)", "(3, 2)");
  EXPECT_THROW_WITH(xg::sqrt_backward(Td::ones({2}), Td::from({2}, {1.0, 0.0})), xg::DomainError,
                    "sqrt backward");
}

TEST(BackwardOps, GradcheckAndGradgradcheckInDouble) {
  for (const xg::Shape& s : {xg::Shape{}, xg::Shape{5}, xg::Shape{2, 3}}) {
    SCOPED_TRACE("shape " + xg::shape_str(s));
    const auto g = uniform<double>(s, -1, 1, 11);
    const auto y = probabilities(s, 12);
    const auto t = probabilities(s, 13);
    const auto x = away_from_zero(s, 14);
    const std::vector<std::pair<std::string, Fn<double>>> binary = {
        {"sigmoid_backward", [](const auto& v) { return xg::sigmoid_backward(v[0], v[1]); }},
        {"tanh_backward", [](const auto& v) { return xg::tanh_backward(v[0], v[1]); }},
        {"sqrt_backward", [](const auto& v) { return xg::sqrt_backward(v[0], v[1]); }},
        {"threshold_backward", [](const auto& v) { return xg::threshold_backward(v[0], v[1]); }},
    };
    for (const auto& [name, f] : binary) {
      SCOPED_TRACE(name);
      const auto& second = name == "threshold_backward" ? x : y;
      EXPECT_GRADCHECK(double, f, {g, second});
      EXPECT_GRADGRADCHECK(double, f, {g, second});
    }
    const std::vector<std::pair<std::string, Fn<double>>> losses = {
        {"mse_loss_backward",
         [](const auto& v) { return xg::mse_loss_backward(v[0], v[1], v[2], 0.25); }},
        {"bce_loss_backward",
         [](const auto& v) { return xg::bce_loss_backward(v[0], v[1], v[2], 0.25); }},
    };
    for (const auto& [name, f] : losses) {
      SCOPED_TRACE(name);
      EXPECT_GRADCHECK(double, f, {g, y, t});
      EXPECT_GRADGRADCHECK(double, f, {g, y, t});
      const auto g0 = Td::scalar(0.7, true);  // the gradient of a summed loss
      EXPECT_GRADCHECK(double, f, {g0, y, t});
      EXPECT_GRADGRADCHECK(double, f, {g0, y, t});
    }
  }
}

/// d f(inputs) / d inputs with seed g, as plain arrays.
template <class F>
std::vector<xt::xarray<double>> gradients(F f, const std::vector<Td>& inputs, const Td& seed,
                                          bool create_graph) {
  std::vector<Td> leaves;
  for (const auto& in : inputs) leaves.push_back(Td(in.value(), true));
  const Td out = f(leaves);
  const auto grads = xg::grad<double>({out}, leaves, {seed}, {.create_graph = create_graph});
  std::vector<xt::xarray<double>> values;
  for (const auto& g : grads) values.push_back(g.value());
  return values;
}

TEST(BackwardOps, EachRuleIsItsBackwardOpWithAndWithoutCreateGraph) {
  const auto x = uniform<double>({3, 4}, -2, 2, 21, false);
  const auto p = probabilities({3, 4}, 22);
  const auto t = probabilities({3, 4}, 23);
  const auto g = uniform<double>({3, 4}, -1, 1, 24, false);
  const auto one = Td::scalar(1.0);
  struct Case {
    std::string name;
    std::function<Td(const std::vector<Td>&)> f;
    std::vector<Td> inputs;
    Td seed;
    std::vector<xt::xarray<double>> expected;
  };
  const auto sx = xg::sigmoid(x), tx = xg::tanh(x), rx = xg::sqrt(p);
  const std::vector<Case> cases = {
      {"sigmoid",
       [](const auto& v) { return xg::sigmoid(v[0]); },
       {x},
       g,
       {xg::sigmoid_backward(g, sx).value()}},
      {"tanh",
       [](const auto& v) { return xg::tanh(v[0]); },
       {x},
       g,
       {xg::tanh_backward(g, tx).value()}},
      {"relu",
       [](const auto& v) { return xg::relu(v[0]); },
       {x},
       g,
       {xg::threshold_backward(g, x).value()}},
      {"sqrt",
       [](const auto& v) { return xg::sqrt(v[0]); },
       {p},
       g,
       {xg::sqrt_backward(g, rx).value()}},
      {"mse_loss",
       [](const auto& v) { return xg::mse_loss(v[0], v[1]); },
       {x, t},
       one,
       {xg::mse_loss_backward(one, x, t, 1.0 / 12).value(),
        xt::xarray<double>(-xg::mse_loss_backward(one, x, t, 1.0 / 12).value())}},
      {"bce_loss",
       [](const auto& v) { return xg::bce_loss(v[0], v[1], xg::Reduction::sum); },
       {p, t},
       one,
       {xg::bce_loss_backward(one, p, t, 1.0).value()}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto plain = gradients(c.f, c.inputs, c.seed, false);
    const auto recorded = gradients(c.f, c.inputs, c.seed, true);
    ASSERT_EQ(plain.size(), recorded.size());
    for (std::size_t i = 0; i < c.expected.size(); ++i) {
      xg::test::expect_close(plain[i], c.expected[i], 0);
      xg::test::expect_close(recorded[i], c.expected[i], 0);
    }
  }
}

TEST(BackwardOps, LinearGradientsAreTheSameWithAndWithoutCreateGraph) {
  const auto x = uniform<double>({4, 3}, -1, 1, 31, false);
  const auto w = uniform<double>({3, 2}, -1, 1, 32, false);
  const auto b = uniform<double>({2}, -1, 1, 33, false);
  const auto g = uniform<double>({4, 2}, -1, 1, 34, false);
  auto f = [](const std::vector<Td>& v) { return xg::linear(v[0], v[1], v[2]); };
  const auto plain = gradients(f, {x, w, b}, g, false);
  const auto recorded = gradients(f, {x, w, b}, g, true);
  ASSERT_EQ(plain.size(), 3u);
  xt::xarray<double> dx = xt::zeros<double>({4, 3});  // g W^T by hand
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 2; ++k) dx(i, j) += g.value()(i, k) * w.value()(j, k);
  xg::test::expect_close(plain[0], dx, 1e-14);
  for (std::size_t i = 0; i < 3; ++i) xg::test::expect_close(recorded[i], plain[i], 0);
}

TEST(BackwardOps, EveryBackwardOpHasItsRuleText) {
  for (const std::string op : {"sigmoid_backward", "tanh_backward", "threshold_backward",
                               "sqrt_backward", "mse_loss_backward", "bce_loss_backward"}) {
    EXPECT_EQ(xg::derivative_rule(op).rfind(op + ": ", 0), 0u) << op;
  }
}

}  // namespace

namespace {

TEST(BackwardOps, EluAndSoftplusBackwardValuesAndDerivatives) {
  const auto g = Td::from({4}, {2.0, -1.0, 0.5, 3.0});
  const auto x = Td::from({4}, {-1.0, 0.5, -0.25, 2.0});
  const double alpha = 0.7;
  const auto y = xg::elu(x, alpha);
  const auto got = xg::elu_backward(g, x, y, alpha).value();
  for (std::size_t i = 0; i < 4; ++i) {
    const double xi = x.value()(i);
    const double want = g.value()(i) * (xi > 0 ? 1.0 : alpha * std::exp(xi));
    EXPECT_NEAR(got(i), want, 1e-15) << i;
  }
  // softplus with beta 2 and threshold 1: linear (derivative 1) where 2 x > 1.
  const auto sp = xg::softplus_backward(g, x, 2.0, 1.0).value();
  for (std::size_t i = 0; i < 4; ++i) {
    const double z = 2.0 * x.value()(i);
    const double want = g.value()(i) * (z > 1.0 ? 1.0 : 1.0 / (1.0 + std::exp(-z)));
    EXPECT_NEAR(sp(i), want, 1e-15) << i;
  }
  EXPECT_THROW_WITH(xg::elu_backward(g, Td::zeros({3}), y, alpha), xg::ShapeError, "elu_backward",
                    "(4)", "(3)");
  EXPECT_THROW_WITH(xg::softplus_backward(g, Td::zeros({2, 2}), 1.0, 20.0), xg::ShapeError,
                    "softplus_backward");
  for (const xg::Shape& s : {xg::Shape{}, xg::Shape{5}, xg::Shape{2, 3}}) {
    SCOPED_TRACE("shape " + xg::shape_str(s));
    const auto gg = uniform<double>(s, -1, 1, 61);
    const auto xx = away_from_zero(s, 62);
    const auto yy = Td(xg::elu(xx, alpha).value(), true);
    const Fn<double> elu_b = [alpha](const auto& v) {
      return xg::elu_backward(v[0], v[1], v[2], alpha);
    };
    EXPECT_GRADCHECK(double, elu_b, {gg, xx, yy});
    EXPECT_GRADGRADCHECK(double, elu_b, {gg, xx, yy});
    const Fn<double> sp_b = [](const auto& v) {
      return xg::softplus_backward(v[0], v[1], 1.5, 1.0);
    };
    EXPECT_GRADCHECK(double, sp_b, {gg, xx});
    EXPECT_GRADGRADCHECK(double, sp_b, {gg, xx});
    // Through the forward ops: twice differentiable.
    const Fn<double> f = [alpha](const auto& v) {
      return xg::mul(xg::elu(v[0], alpha), xg::softplus(v[0], 1.5, 1.0));
    };
    EXPECT_GRADCHECK(double, f, {xx});
    EXPECT_GRADGRADCHECK(double, f, {xx});
  }
}

}  // namespace

namespace {

TEST(BackwardOps, MaximumAndMinimumBackwardShareTheGradient) {
  const auto g = Td::from({5}, {2.0, -1.0, 0.5, 3.0, 4.0});
  const auto a = Td::from({5}, {1.0, 0.0, 2.0, -1.0, NAN});
  const auto b = Td::from({5}, {0.0, 0.0, 3.0, -1.0, 1.0});
  xg::test::expect_close(xg::maximum_backward(g, a, b).value(),
                         xt::xarray<double>{2.0, -0.5, 0.0, 1.5, 4.0}, 0);
  xg::test::expect_close(xg::maximum_backward(g, b, a).value(),
                         xt::xarray<double>{0.0, -0.5, 0.5, 1.5, 4.0}, 0);
  xg::test::expect_close(xg::minimum_backward(g, a, b).value(),
                         xt::xarray<double>{0.0, -0.5, 0.5, 1.5, 4.0}, 0);
  xg::test::expect_close(xg::minimum_backward(g, b, a).value(),
                         xt::xarray<double>{2.0, -0.5, 0.0, 1.5, 4.0}, 0);
  EXPECT_THROW_WITH(xg::maximum_backward(g, a, Td::zeros({4})), xg::ShapeError, "maximum_backward",
                    "(5)", "(4)");
  EXPECT_THROW_WITH(xg::minimum_backward(Td::zeros({2}), a, b), xg::ShapeError, "minimum_backward");
  for (const xg::Shape& s : {xg::Shape{}, xg::Shape{5}, xg::Shape{2, 3}}) {
    SCOPED_TRACE("shape " + xg::shape_str(s));
    const auto gg = uniform<double>(s, -1, 1, 71);
    const auto x = uniform<double>(s, -1, 1, 72);
    const auto y = uniform<double>(s, -1, 1, 73);
    const Fn<double> max_b = [](const auto& v) { return xg::maximum_backward(v[0], v[1], v[2]); };
    const Fn<double> min_b = [](const auto& v) { return xg::minimum_backward(v[0], v[1], v[2]); };
    EXPECT_GRADCHECK(double, max_b, {gg, x, y});
    EXPECT_GRADGRADCHECK(double, max_b, {gg, x, y});
    EXPECT_GRADCHECK(double, min_b, {gg, x, y});
    EXPECT_GRADGRADCHECK(double, min_b, {gg, x, y});
    // maximum and minimum of same-shaped inputs go through them, with or without broadcasting.
    const Fn<double> f = [](const auto& v) {
      return xg::mul(xg::maximum(v[0], v[1]), xg::minimum(v[0], v[1]) + v[0]);
    };
    EXPECT_GRADCHECK(double, f, {x, y});
    EXPECT_GRADGRADCHECK(double, f, {x, y});
  }
  const auto row = uniform<double>({3}, -1, 1, 74);
  const auto m = uniform<double>({2, 3}, -1, 1, 75);
  const Fn<double> broadcast = [](const auto& v) { return xg::maximum(v[0], v[1]) * v[1]; };
  EXPECT_GRADCHECK(double, broadcast, {m, row});
  EXPECT_GRADGRADCHECK(double, broadcast, {m, row});
  EXPECT_EQ(xg::derivative_rule("maximum_backward").rfind("maximum_backward: ", 0), 0u);
  EXPECT_EQ(xg::derivative_rule("minimum_backward").rfind("minimum_backward: ", 0), 0u);
}

TEST(BackwardOps, LogsumexpBackwardIsTheGradientScaledSoftmax) {
  // softmax of {0, ln 3} is {1/4, 3/4}; of {1, 1} one half each.
  const auto x = Td::from({2, 2}, {0.0, std::log(3.0), 1.0, 1.0});
  xg::test::expect_close(xg::logsumexp_backward(Td::from({2, 1}, {4.0, -2.0}), x, 1).value(),
                         xt::xarray<double>{{1.0, 3.0}, {-1.0, -1.0}}, 1e-15);
  xg::test::expect_close(
      xg::logsumexp_backward(Td::from({1, 2}, {2.0, 1.0}), x, 0).value(),
      xt::xarray<double>{{2.0 / (1.0 + std::exp(1.0)), 1.0 / (1.0 + std::exp(1.0 - std::log(3.0)))},
                         {2.0 * std::exp(1.0) / (1.0 + std::exp(1.0)),
                          1.0 / (1.0 + std::exp(std::log(3.0) - 1.0))}},
      1e-15);
  // The gradient must keep the reduced axis at 1: (2) is refused, not broadcast.
  EXPECT_THROW_WITH(xg::logsumexp_backward(Td::zeros({2}), x, 1), xg::ShapeError,
                    "logsumexp_backward", "(2)", "(2, 1)");
  EXPECT_THROW_WITH(xg::logsumexp_backward(Td::zeros({2, 1}), x, 2), xg::ShapeError,
                    "logsumexp_backward");
  // Large logits: shifted by the slice maximum, no overflow (float).
  const auto big = Tensor<float>::from({1, 3}, {1e4f, 1e4f, 0.0f});
  xg::test::expect_close(
      xg::logsumexp_backward(Tensor<float>::from({1, 1}, {2.0f}), big, 1).value(),
      xt::xarray<float>{{1.0f, 1.0f, 0.0f}}, 0);
  for (std::ptrdiff_t axis : {0, 1, 2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    xg::Shape gs{2, 3, 4};
    gs[static_cast<std::size_t>(axis)] = 1;
    const auto g = uniform<double>(gs, -1, 1, 81);
    const auto a = uniform<double>({2, 3, 4}, -2, 2, 82);
    const Fn<double> f = [axis](const auto& v) { return xg::logsumexp_backward(v[0], v[1], axis); };
    EXPECT_GRADCHECK(double, f, {g, a});
    EXPECT_GRADGRADCHECK(double, f, {g, a});
    // logsumexp's own rule goes through it, keepdims or not.
    const Fn<double> lse = [axis](const auto& v) {
      const auto l = xg::logsumexp(v[0], axis, false);
      return l * l;
    };
    const Fn<double> lse_keepdims = [axis](const auto& v) {
      return xg::exp(xg::logsumexp(v[0], axis, true));
    };
    EXPECT_GRADGRADCHECK(double, lse, {a});
    EXPECT_GRADGRADCHECK(double, lse_keepdims, {a});
  }
  EXPECT_EQ(xg::derivative_rule("logsumexp_backward").rfind("logsumexp_backward: ", 0), 0u);
}

TEST(BackwardOps, AbsBackwardIsTheGradientTimesTheSign) {
  const auto g = Td::from({5}, {2.0, -1.0, 0.5, 3.0, 4.0});
  const auto x = Td::from({5}, {1.5, -0.25, 0.0, -3.0, NAN});
  xg::test::expect_close(xg::abs_backward(g, x).value(),
                         xt::xarray<double>{2.0, 1.0, 0.0, -3.0, 0.0}, 0);
  EXPECT_THROW_WITH(xg::abs_backward(g, Td::zeros({2, 3})), xg::ShapeError, "abs_backward", "(5)",
                    "(2, 3)");
  for (const xg::Shape& s : {xg::Shape{}, xg::Shape{4}, xg::Shape{2, 3}}) {
    SCOPED_TRACE("shape " + xg::shape_str(s));
    const auto gg = uniform<double>(s, -1, 1, 91);
    const auto a = away_from_zero(s, 92);
    const Fn<double> f = [](const auto& v) { return xg::abs_backward(v[0], v[1]); };
    EXPECT_GRADCHECK(double, f, {gg, a});
    EXPECT_GRADGRADCHECK(double, f, {gg, a});
    // abs's rule goes through it: d/da of |a| * a is 2 |a|, its second derivative 2 sign(a).
    const Fn<double> h = [](const auto& v) { return xg::abs(v[0]) * v[0]; };
    EXPECT_GRADGRADCHECK(double, h, {a});
  }
  EXPECT_EQ(xg::derivative_rule("abs_backward").rfind("abs_backward: ", 0), 0u);
}

}  // namespace
