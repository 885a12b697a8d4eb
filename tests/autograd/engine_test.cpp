// The tape and the engine: ordering, accumulation, release, deep graphs, higher order, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "test_support.hpp"

namespace xg {
namespace {

using T = Tensor<double>;

TEST(Engine, ClosedFormSumOfSquares) {
  T x = T::from({3}, {1.0, -2.0, 3.5}, true);
  sum(x * x).backward();
  ASSERT_TRUE(x.has_grad());
  EXPECT_DOUBLE_EQ(x.grad().value()(0), 2.0);
  EXPECT_DOUBLE_EQ(x.grad().value()(1), -4.0);
  EXPECT_DOUBLE_EQ(x.grad().value()(2), 7.0);
}

TEST(Engine, ReusedTensorReceivesSumOfContributions) {
  // b = a + a; c = b * a  => c = 2a^2, dc/da = 4a
  T a = T::scalar(3.0, true);
  T b = a + a;
  T c = b * a;
  c.backward();
  EXPECT_DOUBLE_EQ(a.grad().item(), 12.0);
}

TEST(Engine, DiamondRunsEachBackwardOnceAfterAllContributions) {
  // h is used by two branches; its backward must run once with the summed gradient.
  T x = T::scalar(0.5, true);
  T h = exp(x);           // h = e^x
  T y = h * h + h * 3.0;  // y = e^2x + 3 e^x
  y.backward();
  EXPECT_NEAR(x.grad().item(), 2 * std::exp(1.0) + 3 * std::exp(0.5), 1e-12);
}

TEST(Engine, GradientsAccumulateUntilZeroGrad) {
  T w = T::scalar(2.0, true);
  (w * 3.0).backward();
  (w * 3.0).backward();
  EXPECT_DOUBLE_EQ(w.grad().item(), 6.0);
  w.zero_grad();
  EXPECT_FALSE(w.has_grad());
  (w * w).backward();
  EXPECT_DOUBLE_EQ(w.grad().item(), 4.0);
}

TEST(Engine, NonScalarBackwardNeedsSeed) {
  T x = T::ones({2, 3}, true);
  T y = x * 2.0;
  EXPECT_THROW_WITH(y.backward(), GraphError, "(2, 3)", "seed");
  auto seed = T::from({2, 3}, {1, 2, 3, 4, 5, 6});
  y.backward(seed);
  EXPECT_DOUBLE_EQ(x.grad().value()(1, 2), 12.0);
  EXPECT_THROW_WITH((x * 2.0).backward(T::ones({3, 2})), ShapeError, "(3, 2)");
}

TEST(Engine, BackwardFromTensorWithoutGradThrows) {
  T x = T::ones({2});
  EXPECT_THROW_WITH(sum(x).backward(), GraphError, "does not require grad");
}

TEST(Engine, SecondBackwardThroughReleasedTapeThrows) {
  T x = T::scalar(1.5, true);
  T y = exp(x) * x;
  y.backward();
  EXPECT_THROW_WITH(y.backward(), GraphError, "released", "retain_graph");
}

TEST(Engine, RetainGraphAllowsSecondBackward) {
  T x = T::scalar(1.5, true);
  T y = exp(x) * x;
  y.backward({.retain_graph = true});
  const double once = x.grad().item();
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 2 * once);
  EXPECT_NEAR(once, std::exp(1.5) * 2.5, 1e-12);
}

TEST(Engine, NoGradGuardRecordsNothing) {
  T x = T::ones({3}, true);
  {
    NoGradGuard guard;
    T y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
  }
  T z = x * 2.0;
  EXPECT_TRUE(z.requires_grad());
  EXPECT_STREQ(z.op_name(), "mul_scalar");
}

TEST(Engine, DetachCutsTheTape) {
  T x = T::scalar(2.0, true);
  T y = x * x;
  T d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  d.requires_grad_();
  (d * x).backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 4.0);  // only through the direct x, not through y
  EXPECT_DOUBLE_EQ(d.grad().item(), 2.0);
}

TEST(Engine, RequiresGradOnlyOnLeaves) {
  T x = T::scalar(2.0, true);
  T y = x * x;
  EXPECT_THROW_WITH(y.requires_grad_(false), GraphError, "mul");
}

TEST(Engine, RetainGradKeepsIntermediateGradient) {
  T x = T::scalar(3.0, true);
  T h = x * x;
  h.retain_grad();
  T y = h * 2.0;
  y.backward();
  EXPECT_DOUBLE_EQ(h.grad().item(), 2.0);
  EXPECT_DOUBLE_EQ(x.grad().item(), 12.0);
}

TEST(Engine, ConstantsGetNoGradient) {
  T x = T::scalar(3.0, true);
  T c = T::scalar(4.0);
  (x * c).backward();
  EXPECT_FALSE(c.has_grad());
  EXPECT_DOUBLE_EQ(x.grad().item(), 4.0);
}

TEST(Engine, FunctionalGradDoesNotTouchLeaves) {
  T x = T::scalar(2.0, true);
  T w = T::scalar(-1.0, true);
  T y = x * x * w;
  auto g = grad<double>({y}, {x, w});
  EXPECT_DOUBLE_EQ(g[0].item(), -4.0);
  EXPECT_DOUBLE_EQ(g[1].item(), 4.0);
  EXPECT_FALSE(x.has_grad());
  EXPECT_FALSE(w.has_grad());
}

TEST(Engine, FunctionalGradOfIntermediate) {
  T x = T::scalar(2.0, true);
  T h = x * 3.0;
  T y = h * h;
  auto g = grad<double>({y}, {h});
  EXPECT_DOUBLE_EQ(g[0].item(), 12.0);
}

TEST(Engine, FunctionalGradUnusedInput) {
  T x = T::scalar(2.0, true);
  T unused = T::scalar(1.0, true);
  T y = x * x;
  EXPECT_THROW_WITH(grad<double>({y}, {unused}, {}, {.retain_graph = true}), GraphError,
                    "allow_unused");
  auto g = grad<double>({y}, {x, unused}, {}, {.allow_unused = true});
  EXPECT_DOUBLE_EQ(g[0].item(), 4.0);
  EXPECT_FALSE(g[1].defined());
}

TEST(Engine, SeveralRootsAtOnce) {
  T x = T::scalar(2.0, true);
  T a = x * x;    // da/dx = 4
  T b = a * 3.0;  // db/dx = 12; a is also an ancestor of b
  backward<double>({a, b}, {T::scalar(1.0), T::scalar(1.0)});
  EXPECT_DOUBLE_EQ(x.grad().item(), 16.0);
}

TEST(Engine, DoubleBackwardOfCubic) {
  T x = T::scalar(1.5, true);
  T y = x * x * x;
  auto g = grad<double>({y}, {x}, {}, {.create_graph = true});
  EXPECT_DOUBLE_EQ(g[0].item(), 3 * 1.5 * 1.5);
  EXPECT_TRUE(g[0].requires_grad());
  auto gg = grad<double>({g[0]}, {x});
  EXPECT_DOUBLE_EQ(gg[0].item(), 6 * 1.5);
}

TEST(Engine, BackwardCreateGraphThenDifferentiateTheGradient) {
  T x = T::scalar(0.7, true);
  T y = exp(x * 2.0);
  y.backward({.create_graph = true});
  T gx = x.grad();  // 2 e^{2x}, itself on the tape
  ASSERT_TRUE(gx.requires_grad());
  x.zero_grad();
  gx.backward();
  EXPECT_NEAR(x.grad().item(), 4 * std::exp(1.4), 1e-12);
}

TEST(Engine, HessianVectorProductOfMlpLossMatchesFiniteDifferences) {
  // L(W1, W2) = mse(sigmoid(X W1) W2, Y). Hv by double backward vs central differences of the
  // gradient along v.
  const T X = test::uniform<double>({5, 3}, -1, 1, 21, false);
  const T Y = test::uniform<double>({5, 2}, -1, 1, 22, false);
  const T w1 = test::uniform<double>({3, 4}, -1, 1, 23);
  const T w2 = test::uniform<double>({4, 2}, -1, 1, 24);
  const T v1 = test::uniform<double>({3, 4}, -1, 1, 25, false);
  const T v2 = test::uniform<double>({4, 2}, -1, 1, 26, false);
  auto loss = [&](const T& a, const T& b) { return mse_loss(matmul(sigmoid(matmul(X, a)), b), Y); };

  auto g = grad<double>({loss(w1, w2)}, {w1, w2}, {}, {.create_graph = true});
  const T gv = sum(g[0] * v1) + sum(g[1] * v2);
  auto hv = grad<double>({gv}, {w1, w2});

  const double eps = 1e-5;
  auto grad_at = [&](double s) {
    T a(xt::xarray<double>(w1.value() + s * v1.value()), true);
    T b(xt::xarray<double>(w2.value() + s * v2.value()), true);
    return grad<double>({loss(a, b)}, {a, b});
  };
  auto plus = grad_at(eps), minus = grad_at(-eps);
  for (int k = 0; k < 2; ++k) {
    const auto numeric = xt::xarray<double>((plus[k].value() - minus[k].value()) / (2 * eps));
    for (std::size_t j = 0; j < numeric.size(); ++j) {
      EXPECT_NEAR(hv[k].value().flat(j), numeric.flat(j), 1e-7)
          << "block " << k << " element " << j;
    }
  }
}

TEST(Engine, GradgradcheckElementwiseChain) {
  auto a = test::uniform<double>({2, 3}, 0.5, 1.5, 5);
  auto b = test::uniform<double>({3}, 0.5, 1.5, 6);
  TensorFunction<double> f = [](auto& x) {
    return log(x[0] * x[1] + 1.0) / x[1] - exp(x[0]) * x[0];
  };
  EXPECT_GRADCHECK(double, f, {a, b});
  EXPECT_GRADGRADCHECK(double, f, {a, b});
}

TEST(Engine, GradcheckReportsAWrongBackwardRule) {
  // A custom op with a deliberately wrong derivative (claims d/dx x^2 = x).
  auto bad_square = [](const T& x) {
    return record<double>(
        "bad_square", xt::xarray<double>(x.value() * x.value()), {x},
        [](BackwardContext<double>& c) { c.input_grads[0] = c.grad * c.inputs[0]; });
  };
  TensorFunction<double> f = [&](auto& x) { return bad_square(x[0]); };
  auto r = gradcheck<double>(f, {T::from({2}, {1.0, 3.0}, true)});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.input, 0u);
  EXPECT_EQ(r.element, 0u);
  EXPECT_NEAR(r.numeric, 2 * r.analytic, 1e-6);
  EXPECT_NE(r.message.find("input 0"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("analytic"), std::string::npos) << r.message;
}

TEST(Engine, GradcheckSkipsInputsWithoutGradAndNeedsOne) {
  TensorFunction<double> f = [](auto& x) { return x[0] * x[1]; };
  auto r = gradcheck<double>(f, {T::ones({2}, true), T::ones({2}, false)});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.checked, 2u);
  auto none = gradcheck<double>(f, {T::ones({2}), T::ones({2})});
  EXPECT_FALSE(none.ok);
}

// ---- Deep graphs: neither backward nor destruction may recurse. ----

/// One dense layer: tanh(h W + b).
T dense_tanh(const T& h, const T& w, const T& b) {
  return tanh(matmul(h, w) + b);
}

TEST(Engine, MillionOpChainBackward) {
  T x = T::scalar(1.0, true);
  T y = x;
  const int n = 1'000'000;
  for (int i = 0; i < n; ++i) y = y * 1.0000001 + 1e-7;
  y.backward();
  // dy/dx = 1.0000001^n
  EXPECT_NEAR(x.grad().item(), std::pow(1.0000001, n), 1e-9);
}

TEST(Engine, MillionOpChainDestroyedWithoutBackward) {
  const long before = live_node_count<double>();
  {
    T x = T::scalar(1.0, true);
    T y = x;
    for (int i = 0; i < 1'000'000; ++i) y = y + 1.0;
    EXPECT_GE(live_node_count<double>() - before, 1'000'000);
  }
  EXPECT_EQ(live_node_count<double>(), before);
}

TEST(Engine, TenThousandLayerNetworkBackward) {
  // 10,000 layers of h = tanh(h W_i + b_i) on a (4, 3) batch, each with its own parameters.
  const int layers = 10'000;
  std::vector<T> ws, bs;
  for (int i = 0; i < layers; ++i) {
    ws.push_back(test::uniform<double>({3, 3}, -0.9, 0.9, 100 + i));
    bs.push_back(T::full({3}, 0.01, true));
  }
  T h = test::uniform<double>({4, 3}, -1, 1, 3, false);
  for (int i = 0; i < layers; ++i) h = dense_tanh(h, ws[i], bs[i]);
  sum(h).backward();
  for (int i : {0, layers / 2, layers - 1}) {
    ASSERT_TRUE(ws[i].has_grad()) << i;
    ASSERT_EQ(ws[i].grad().shape(), (Shape{3, 3}));
    EXPECT_TRUE(std::isfinite(ws[i].grad().value()(0, 0)));
  }
}

TEST(Engine, LastLayersOfDeepNetworkMatchFiniteDifferences) {
  // The gradient at the top of a 10,000-layer tape is exact: gradcheck the last 3 layers with
  // the 9,997 below them as a fixed input.
  T h = test::uniform<double>({4, 3}, -1, 1, 3, false);
  for (int i = 0; i < 9'997; ++i) h = dense_tanh(h, T::full({3, 3}, 0.3), T::full({3}, 0.01));
  auto w = test::uniform<double>({3, 3}, -0.9, 0.9, 5);
  TensorFunction<double> f = [&](auto& x) {
    return dense_tanh(dense_tanh(dense_tanh(h, x[0], x[1]), x[0], x[1]), x[0], x[1]);
  };
  EXPECT_GRADCHECK(double, f, {w, T::full({3}, 0.01, true)});
}

TEST(Engine, ThrowingRuleLeavesTheTapeUsable) {
  // A rule that fails once: the pass aborts, and the next pass over the same leaf is exact.
  static int calls = 0;
  auto flaky = [](const T& x) {
    return record<double>("flaky", xt::xarray<double>(x.value() * 2.0), {x},
                          [](BackwardContext<double>& c) {
                            if (calls++ == 0) throw std::runtime_error("flaky backward");
                            c.input_grads[0] = c.grad * 2.0;
                          });
  };
  T x = T::scalar(1.0, true);
  T y = flaky(x * 3.0) + x;
  EXPECT_THROW(y.backward({.retain_graph = true}), std::runtime_error);
  x.zero_grad();
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 7.0);
}

// ---- Ownership: every node dies; no cycles. ----

TEST(Engine, AllNodesDieAfterBackward) {
  const long before = live_node_count<double>();
  {
    T x = T::from({3}, {1, 2, 3}, true);
    T y = sum(exp(x) * x + x);
    y.backward();
    EXPECT_TRUE(x.has_grad());
  }
  EXPECT_EQ(live_node_count<double>(), before);
}

TEST(Engine, AllNodesDieAfterCreateGraph) {
  const long before = live_node_count<double>();
  {
    T x = T::from({3}, {1, 2, 3}, true);
    T y = sum(exp(x) * x);
    auto g = grad<double>({y}, {x}, {}, {.create_graph = true});
    auto gg = grad<double>({sum(g[0])}, {x}, {}, {.create_graph = true});
    EXPECT_TRUE(gg[0].requires_grad());
  }
  EXPECT_EQ(live_node_count<double>(), before);
}

TEST(Engine, BackwardCreateGraphLeavesNothingAfterZeroGrad) {
  const long before = live_node_count<double>();
  {
    T x = T::from({2}, {0.5, 1.5}, true);
    sum(x * x * x).backward({.create_graph = true});
    EXPECT_TRUE(x.grad().requires_grad());
    x.zero_grad();  // the gradient's graph refers to x: zero_grad breaks that loop
  }
  EXPECT_EQ(live_node_count<double>(), before);
}

TEST(Engine, TapeIsReleasedAfterBackward) {
  T x = T::from({100}, std::vector<double>(100, 1.0), true);
  const long before = live_node_count<double>();
  T loss = sum(exp(x * 2.0) + x);
  EXPECT_GT(live_node_count<double>(), before + 3);
  loss.backward();
  // Only loss itself (kept by the handle) and x's gradient remain.
  EXPECT_LE(live_node_count<double>(), before + 2);
}

TEST(Engine, CreateGraphPassAbortedByARuleLeaksNothing) {
  // The recorded gradients waiting in the nodes' scratch refer back to the nodes; an aborted
  // create_graph pass must clear them, or the graph leaks as a reference cycle.
  const long before = live_node_count<double>();
  {
    auto x = T::from({2}, {1.0, 0.0}, true);
    auto y = sum(mul(x, sqrt(x)));
    // mul's rule leaves x a recorded gradient g * sqrt(x), which refers back to x; then
    // sqrt's recorded rule divides by 2 sqrt(0) and the checked division throws mid-pass.
    EXPECT_THROW(y.backward({.create_graph = true}), DomainError);
    x.zero_grad();
  }
  EXPECT_EQ(live_node_count<double>(), before);
}

TEST(Engine, SqrtGradientAtZeroIsADomainError) {
  // The domain policy (docs/reliability.md): an infinite derivative throws, in every pass.
  auto x = T::from({2}, {4.0, 0.0}, true);
  EXPECT_THROW_WITH(sum(sqrt(x)).backward(), DomainError, "sqrt backward", "element (1)");
  auto y = T::from({1}, {4.0}, true);
  sum(sqrt(y)).backward();
  EXPECT_DOUBLE_EQ(y.grad().value()(0), 0.25);
}

TEST(Engine, SumOfEmptyTensorsIsZero) {
  auto e = T::zeros({0, 3}, true);
  auto s = sum(e);
  EXPECT_EQ(s.item(), 0.0);
  s.backward();
  EXPECT_EQ(e.grad().shape(), (Shape{0, 3}));
  EXPECT_EQ(sum(e, 0).shape(), (Shape{3}));
  EXPECT_EQ(sum(e, 0).value(), (xt::zeros<double>({3})));
  EXPECT_EQ(sum(e, 1).shape(), (Shape{0}));
}

}  // namespace
}  // namespace xg
