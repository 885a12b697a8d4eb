// Anomaly mode: the first NaN/Inf of a forward value or a backward gradient throws AnomalyError
// naming the operation, the shapes and where the node was created; finite graphs are untouched.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>

#include <xtensor/xio.hpp>

#include "test_support.hpp"
#include "xgrad/tools/anomaly.hpp"

namespace {

using namespace xg;
using D = Tensor<double>;

D named(D t, const char* name) {
  t.set_name(name);
  return t;
}

TEST(Anomaly, LogOfNegativeIsADomainErrorWithOrWithoutAnomalyMode) {
  auto x = D::from({2}, {1.0, -1.0}, true);
  EXPECT_THROW_WITH(log(x), DomainError, "log");
  DetectAnomaly<double> anomaly;
  EXPECT_THROW_WITH(log(x), DomainError, "log");
}

TEST(Anomaly, ForwardOverflowToInfNamesTheOperationAndShapes) {
  auto x = named(D::from({2, 3}, {0, 1, 2, 800, 4, 5}, true), "x");
  DetectAnomaly<double> anomaly;
  EXPECT_THROW_WITH(exp(x * 1.0), AnomalyError, "forward of 'exp'", "+Inf at element 3 of (2, 3)",
                    "input shapes (2, 3) -> output (2, 3)", "exp(mul_scalar(x))");
}

TEST(Anomaly, ForwardNaNFromDataNamesTheInputThatAlreadyHeldIt) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto data = named(D::from({2, 2}, {1.0, nan, 3.0, 4.0}), "batch");
  auto w = named(D::from({2, 1}, {0.5, -0.5}, true), "0.weight");
  DetectAnomaly<double> anomaly;
  EXPECT_THROW_WITH(matmul(data, w), AnomalyError, "forward of 'matmul'",
                    "NaN at element 0 of (2, 1)", "(2, 2), (2, 1) -> output (2, 1)",
                    "input 0 already holds NaN at element 1", "matmul(batch, 0.weight)");
}

TEST(Anomaly, InfGradientOfDivisionByATinyNumberNamesTheNodeAndItsCreation) {
  auto x = named(D::from({1, 2}, {0.3, -0.2}), "input");
  auto w = named(D::from({2, 2}, {0.5, -0.5, 0.25, 1.0}, true), "0.weight");
  auto b = named(D::from({2}, {0.1, 0.2}, true), "0.bias");
  DetectAnomaly<double> anomaly;
  auto h = sigmoid(matmul(x, w) + b);
  // Forward stays finite (about 2e200) but d(1/v)/dv = -1/v^2 overflows to -Inf.
  auto loss = sum(1.0 / (h * 1e-200));
  EXPECT_TRUE(std::isfinite(loss.item()));
  EXPECT_THROW_WITH(
      loss.backward(), AnomalyError, "backward of 'rdiv_scalar'", "-Inf at element 0 of (1, 2)",
      "gradient of input 0 (mul_scalar(...))", "incoming gradient finite",
      "rdiv_scalar(mul_scalar(sigmoid(add(matmul(input, 0.weight), 0.bias))))", "created at:");
}

TEST(Anomaly, InfGradientOfAReciprocal) {
  // 1 / x is finite at x = 1e-200, its derivative -1 / x^2 overflows to -Inf.
  auto x = named(D::from({3}, {4.0, 1e-200, 1.0}, true), "x");
  DetectAnomaly<double> anomaly({.backtrace = false});
  auto loss = sum(rdiv(1.0, x));
  try {
    loss.backward();
    FAIL() << "no exception; grad " << x.grad().value();
  } catch (const AnomalyError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("backward of 'rdiv_scalar'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("-Inf at element 1 of (3)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("rdiv_scalar(x)"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("created at:"), std::string::npos) << msg;  // backtrace off
  }
}

TEST(Anomaly, FiniteGraphsGiveTheSameGradientsAndAreNotHeldAlive) {
  auto run = [](bool observed) {
    auto x = test::uniform<double>({4, 3}, -1, 1, 1, false);
    auto w = test::uniform<double>({3, 2}, -1, 1, 2);
    auto b = test::uniform<double>({2}, -1, 1, 3);
    std::optional<DetectAnomaly<double>> anomaly;
    if (observed) anomaly.emplace();
    auto loss = cross_entropy(tanh(matmul(x, w) + b), {0, 1, 1, 0});
    loss.backward();
    return std::pair{w.grad().value(), b.grad().value()};
  };
  const auto plain = run(false);
  const auto watched = run(true);
  EXPECT_EQ(plain.first, watched.first);
  EXPECT_EQ(plain.second, watched.second);

  // Records are weak and pruned: a long loop of small graphs does not grow them without bound.
  const long live = live_node_count<double>();
  DetectAnomaly<double> anomaly({.backtrace = false});
  {
    auto w = D::from({2}, {0.5, 1.5}, true);
    for (int i = 0; i < 5000; ++i) {
      auto l = sum(exp(w * 0.5) + w);
      l.backward();
    }
    const xt::xarray<double> want = {5000 * (0.5 * std::exp(0.25) + 1),
                                     5000 * (0.5 * std::exp(0.75) + 1)};
    EXPECT_TRUE(xt::allclose(w.grad().value(), want, 1e-12)) << w.grad().value();
  }
  EXPECT_EQ(live_node_count<double>(), live);
  EXPECT_LT(anomaly.tracked(), 2048u);
}

TEST(Anomaly, GuardsNestAndCostNothingOnceGone) {
  const double inf = std::numeric_limits<double>::infinity();
  auto x = D::from({2}, {1.0, inf}, true);
  EXPECT_EQ(detail::observer_count, 0);
  EXPECT_NO_THROW(x * 2.0);  // off: nothing is checked
  {
    DetectAnomaly<double> outer;
    {
      DetectAnomaly<double> inner;
      EXPECT_EQ(detail::observer_count, 2);
      EXPECT_THROW(x * 2.0, AnomalyError);
    }
    EXPECT_EQ(detail::observer_count, 1);
    EXPECT_THROW(x * 2.0, AnomalyError);
    // A float guard does not watch double tensors.
    DetectAnomaly<float> other_type;
    EXPECT_THROW(x * 2.0, AnomalyError);
  }
  EXPECT_EQ(detail::observer_count, 0);
  EXPECT_NO_THROW(x * 2.0);
}

TEST(Anomaly, ThrowingInBackwardLeavesTheEngineUsable) {
  auto w = D::from({2}, {1e-200, 1.0}, true);
  DetectAnomaly<double> anomaly;
  auto bad = sum(1.0 / w);
  EXPECT_THROW(bad.backward(), AnomalyError);
  w.zero_grad();
  auto good = sum(w * w);
  good.backward();
  EXPECT_EQ(w.grad().value(), (xt::xarray<double>{2e-200, 2.0}));
}

TEST(Anomaly, SeedHoldingNaNIsReportedAtTheRoot) {
  auto w = named(D::from({2}, {1.0, 2.0}, true), "w");
  DetectAnomaly<double> anomaly;
  auto y = w * 3.0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW_WITH(y.backward(D::from({2}, {1.0, nan})), AnomalyError,
                    "gradient arriving at 'mul_scalar'", "NaN at element 1 of (2)",
                    "mul_scalar(w)");
}

}  // namespace
