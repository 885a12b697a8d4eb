// Adamax, NAdam, Adadelta: three-step traces against the formulas of adam_variants.hpp written
// out in plain double arithmetic, with the first step worked out by hand (PyTorch's own traces
// are checked in golden_optim_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "optim/optim_test_util.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;

template <class T>
class OptimAdamVariantTrace : public ::testing::Test {};
TYPED_TEST_SUITE(OptimAdamVariantTrace, xg::test::FloatTypes);

// kProblem's gradient at w0 = (1, -2, 0.5) is a w0 + b = (1.5, -5, 1.5).
const std::vector<double> kSign0{1.0, -1.0, 1.0};

// --- Adamax ----------------------------------------------------------------------------------

Trace adamax_reference(const Quadratic& q, const AdamaxOptions& o, std::size_t steps) {
  std::vector<double> w = q.w0, m(w.size(), 0.0), u(w.size(), 0.0);
  Trace trace;
  for (std::size_t t = 1; t <= steps; ++t) {
    const std::vector<double> g0 = q.grad(w);
    const double clr = o.lr / (1.0 - std::pow(o.beta1, static_cast<double>(t)));
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double g = g0[k] + o.weight_decay * w[k];
      m[k] = o.beta1 * m[k] + (1.0 - o.beta1) * g;
      u[k] = std::max(o.beta2 * u[k], std::abs(g) + o.eps);
      w[k] -= clr * m[k] / u[k];
    }
    trace.push_back(w);
  }
  return trace;
}

TYPED_TEST(OptimAdamVariantTrace, AdamaxDefaults) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  Adamax<T> opt({w});
  const Trace expected = adamax_reference(kProblem, {}, 3);
  // Step 1 by hand: m = 0.1 g, u = |g| + eps, lr / (1 - 0.9) = 0.02, so every element moves by
  // 0.02 * 0.1 = lr = 2e-3 against the gradient's sign (eps aside).
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_NEAR(expected[0][k], kProblem.w0[k] - 2e-3 * kSign0[k], 1e-10) << k;
  }
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
}

TYPED_TEST(OptimAdamVariantTrace, AdamaxWithWeightDecay) {
  using T = TypeParam;
  const AdamaxOptions o{.lr = 0.1, .beta1 = 0.8, .beta2 = 0.9, .eps = 1e-6, .weight_decay = 0.5};
  auto w = parameter<T>(kProblem.w0);
  Adamax<T> opt({w}, o);
  const Trace expected = adamax_reference(kProblem, o, 3);
  expect_moves(expected, kProblem.w0);
  // Step 2 of element 1 by hand: g1 = -5 - 1 = -6, w1 = -2 + 0.1 = -1.9, m1 = -1.2, u1 = 6;
  // g2 = 2 (-1.9) - 1 - 0.95 = -5.75, m2 = 0.8 (-1.2) + 0.2 (-5.75) = -2.11,
  // u2 = max(0.9 * 6, 5.75) = 5.75, w2 = -1.9 + (0.1 / 0.36) 2.11 / 5.75 (eps aside).
  EXPECT_NEAR(expected[1][1], -1.9 + (0.1 / 0.36) * 2.11 / 5.75, 1e-6);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  EXPECT_EQ(opt.state_dict().count("exp_inf.0"), 1u);
}

// --- NAdam -----------------------------------------------------------------------------------

Trace nadam_reference(const Quadratic& q, const NAdamOptions& o, std::size_t steps) {
  const std::size_t n = q.w0.size();
  std::vector<double> w = q.w0, m(n, 0.0), v(n, 0.0);
  auto mu = [&](double t) { return o.beta1 * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay)); };
  double product = 1.0;
  Trace trace;
  for (std::size_t step = 1; step <= steps; ++step) {
    const double t = static_cast<double>(step);
    product *= mu(t);
    const double next = product * mu(t) * mu(t + 1.0);  // PyTorch 1.13 (see adam_variants.hpp)
    const std::vector<double> g0 = q.grad(w);
    for (std::size_t k = 0; k < n; ++k) {
      const double g = g0[k] + o.weight_decay * w[k];
      m[k] = o.beta1 * m[k] + (1.0 - o.beta1) * g;
      v[k] = o.beta2 * v[k] + (1.0 - o.beta2) * g * g;
      const double d = std::sqrt(v[k] / (1.0 - std::pow(o.beta2, t))) + o.eps;
      w[k] -= o.lr * (1.0 - mu(t)) / (1.0 - product) * g / d;
      w[k] -= o.lr * mu(t + 1.0) / (1.0 - next) * m[k] / d;
    }
    trace.push_back(w);
  }
  return trace;
}

TYPED_TEST(OptimAdamVariantTrace, NAdamDefaults) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  NAdam<T> opt({w});
  const Trace expected = nadam_reference(kProblem, {}, 3);
  // Step 1 by hand: v / (1 - b2) = g^2, so d = |g|; P_1 = mu_1, and the two terms are
  // lr sign(g) and lr mu_2 / (1 - mu_1 mu_1 mu_2) * 0.1 sign(g) (mu_1 twice, as PyTorch 1.13).
  const double mu1 = 0.9 * (1.0 - 0.5 * std::pow(0.96, 0.004));
  const double mu2 = 0.9 * (1.0 - 0.5 * std::pow(0.96, 0.008));
  const double move = 2e-3 * (1.0 + 0.1 * mu2 / (1.0 - mu1 * mu1 * mu2));
  // PyTorch 1.13's first NAdam step from this point, element 0 (golden_optim.json).
  EXPECT_NEAR(expected[0][0], 0.99790093767477528, 1e-15);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_NEAR(expected[0][k], kProblem.w0[k] - move * kSign0[k], 1e-10) << k;
  }
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
}

TYPED_TEST(OptimAdamVariantTrace, NAdamWithWeightDecayAndMomentumDecay) {
  using T = TypeParam;
  const NAdamOptions o{.lr = 0.1,
                       .beta1 = 0.8,
                       .beta2 = 0.9,
                       .eps = 1e-6,
                       .weight_decay = 0.5,
                       .momentum_decay = 0.5};
  auto w = parameter<T>(kProblem.w0);
  NAdam<T> opt({w}, o);
  const Trace expected = nadam_reference(kProblem, o, 3);
  expect_moves(expected, kProblem.w0);
  // momentum_decay matters: with PyTorch's default (4e-3) the trace differs.
  NAdamOptions other = o;
  other.momentum_decay = 4e-3;
  const Trace slow = nadam_reference(kProblem, other, 3);
  double largest = 0;
  for (std::size_t k = 0; k < 3; ++k)
    largest = std::max(largest, std::abs(slow[2][k] - expected[2][k]));
  EXPECT_GT(largest, 1e-4);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
}

TEST(OptimNAdam, TheMomentumProductFollowsALoadedStepCount) {
  // A state loaded with a smaller step count restarts the running product: the resumed
  // update equals a fresh run's.
  auto w1 = parameter<double>(kProblem.w0);
  NAdam<double> straight({w1}, {.lr = 0.1});
  run(straight, w1, kProblem, 2);
  const auto saved = straight.state_dict();
  const auto w_saved = values_of(w1);
  run(straight, w1, kProblem, 3);  // the product now covers five steps
  const auto after_five = values_of(w1);
  straight.load_state_dict(saved);
  w1.mutable_value() = Tensor<double>::from({3}, w_saved).value();
  run(straight, w1, kProblem, 3);
  EXPECT_EQ(values_of(w1), after_five);
}

// --- Adadelta --------------------------------------------------------------------------------

Trace adadelta_reference(const Quadratic& q, const AdadeltaOptions& o, std::size_t steps) {
  std::vector<double> w = q.w0, v(w.size(), 0.0), u(w.size(), 0.0);
  Trace trace;
  for (std::size_t t = 1; t <= steps; ++t) {
    const std::vector<double> g0 = q.grad(w);
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double g = g0[k] + o.weight_decay * w[k];
      v[k] = o.rho * v[k] + (1.0 - o.rho) * g * g;
      const double delta = std::sqrt(u[k] + o.eps) / std::sqrt(v[k] + o.eps) * g;
      u[k] = o.rho * u[k] + (1.0 - o.rho) * delta * delta;
      w[k] -= o.lr * delta;
    }
    trace.push_back(w);
  }
  return trace;
}

TYPED_TEST(OptimAdamVariantTrace, AdadeltaDefaults) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  Adadelta<T> opt({w});  // lr = 1, rho = 0.9, eps = 1e-6
  const Trace expected = adadelta_reference(kProblem, {}, 3);
  // Step 1 of element 1 by hand: v = 0.1 * 25 = 2.5, delta = sqrt(1e-6) / sqrt(2.5 + 1e-6) (-5).
  EXPECT_NEAR(expected[0][1], -2.0 + 1e-3 * 5.0 / std::sqrt(2.5 + 1e-6), 1e-15);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
}

TYPED_TEST(OptimAdamVariantTrace, AdadeltaWithWeightDecay) {
  using T = TypeParam;
  const AdadeltaOptions o{.lr = 0.5, .rho = 0.5, .eps = 1e-4, .weight_decay = 0.5};
  auto w = parameter<T>(kProblem.w0);
  Adadelta<T> opt({w}, o);
  const Trace expected = adadelta_reference(kProblem, o, 3);
  // Step 1 of element 0 by hand: g = 1.5 + 0.5 = 2, v = 0.5 * 4 = 2,
  // delta = sqrt(1e-4) / sqrt(2 + 1e-4) * 2, w = 1 - 0.5 delta.
  EXPECT_NEAR(expected[0][0], 1.0 - 0.5 * 0.01 / std::sqrt(2.0001) * 2.0, 1e-15);
  expect_moves(expected, kProblem.w0);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  const auto state = opt.state_dict();
  EXPECT_EQ(state.count("square_avg.0"), 1u);
  EXPECT_EQ(state.count("acc_delta.0"), 1u);
}

TEST(OptimAdamVariants, OptionsAreChecked) {
  auto w = parameter<double>(kProblem.w0);
  EXPECT_THROW_WITH(Adamax<double>({w}, {.beta1 = 1.0}), DomainError, "Adamax", "beta1");
  EXPECT_THROW_WITH(NAdam<double>({w}, {.momentum_decay = -1.0}), DomainError, "NAdam",
                    "momentum_decay");
  EXPECT_THROW_WITH(Adadelta<double>({w}, {.rho = 1.5}), DomainError, "Adadelta", "rho");
  EXPECT_THROW_WITH(Adadelta<double>({w}, {.lr = -1.0}), DomainError, "Adadelta", "lr");
}

}  // namespace
