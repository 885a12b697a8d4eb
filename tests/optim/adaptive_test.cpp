// Adagrad, RMSprop, Adam, AdamW: three-step traces against the formulas of adaptive.hpp written
// out in plain double arithmetic, plus one convergence check.
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
class OptimAdaptiveTrace : public ::testing::Test {};
TYPED_TEST_SUITE(OptimAdaptiveTrace, xg::test::FloatTypes);

// --- Adagrad ---------------------------------------------------------------------------------

Trace adagrad_reference(const Quadratic& q, const AdagradOptions& o, std::size_t steps) {
  std::vector<double> w = q.w0, s(w.size(), o.initial_accumulator_value);
  Trace trace;
  for (std::size_t t = 1; t <= steps; ++t) {
    const double clr = o.lr / (1.0 + (static_cast<double>(t) - 1.0) * o.lr_decay);
    const std::vector<double> g0 = q.grad(w);
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double g = g0[k] + o.weight_decay * w[k];
      s[k] = s[k] + g * g;
      w[k] = w[k] - clr * g / (std::sqrt(s[k]) + o.eps);
    }
    trace.push_back(w);
  }
  return trace;
}

TYPED_TEST(OptimAdaptiveTrace, AdagradWithLrDecayAndWeightDecay) {
  using T = TypeParam;
  const AdagradOptions o{.lr = 0.5,
                         .lr_decay = 0.25,
                         .weight_decay = 0.1,
                         .initial_accumulator_value = 0.2,
                         .eps = 1e-10};
  auto w = parameter<T>(kProblem.w0);
  Adagrad<T> opt({w}, o);
  const Trace expected = adagrad_reference(kProblem, o, 3);
  expect_moves(expected, kProblem.w0);
  // First element of step 1 by hand: g = 1.5 + 0.1 = 1.6, s = 0.2 + 2.56 = 2.76,
  // w = 1 - 0.5 * 1.6 / (sqrt(2.76) + eps).
  EXPECT_NEAR(expected[0][0], 1.0 - 0.8 / (std::sqrt(2.76) + 1e-10), 1e-15);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  EXPECT_EQ(opt.state_dict().count("sum.0"), 1u);
}

// --- RMSprop ---------------------------------------------------------------------------------

Trace rmsprop_reference(const Quadratic& q, const RMSpropOptions& o, std::size_t steps) {
  const std::size_t n = q.w0.size();
  std::vector<double> w = q.w0, v(n, 0.0), m(n, 0.0), b(n, 0.0);
  Trace trace;
  for (std::size_t t = 1; t <= steps; ++t) {
    const std::vector<double> g0 = q.grad(w);
    for (std::size_t k = 0; k < n; ++k) {
      const double g = g0[k] + o.weight_decay * w[k];
      v[k] = o.alpha * v[k] + (1.0 - o.alpha) * g * g;
      double d;
      if (o.centered) {
        m[k] = o.alpha * m[k] + (1.0 - o.alpha) * g;
        d = std::sqrt(v[k] - m[k] * m[k]) + o.eps;
      } else {
        d = std::sqrt(v[k]) + o.eps;
      }
      if (o.momentum > 0) {
        b[k] = o.momentum * b[k] + g / d;
        w[k] = w[k] - o.lr * b[k];
      } else {
        w[k] = w[k] - o.lr * g / d;
      }
    }
    trace.push_back(w);
  }
  return trace;
}

TYPED_TEST(OptimAdaptiveTrace, RMSpropPlain) {
  using T = TypeParam;
  const RMSpropOptions o{.lr = 0.01, .alpha = 0.9};
  auto w = parameter<T>(kProblem.w0);
  RMSprop<T> opt({w}, o);
  const Trace expected = rmsprop_reference(kProblem, o, 3);
  // Step 1 by hand: v = 0.1 g^2, so w1 = w0 - 0.01 sign(g) / sqrt(0.1) (eps aside).
  EXPECT_NEAR(expected[0][1], -2.0 + 0.01 / std::sqrt(0.1), 1e-8);
  expect_moves(expected, kProblem.w0);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
}

TYPED_TEST(OptimAdaptiveTrace, RMSpropCenteredWithMomentumAndWeightDecay) {
  using T = TypeParam;
  const RMSpropOptions o{.lr = 0.01,
                         .alpha = 0.9,
                         .eps = 1e-8,
                         .weight_decay = 0.1,
                         .momentum = 0.5,
                         .centered = true};
  auto w = parameter<T>(kProblem.w0);
  RMSprop<T> opt({w}, o);
  const Trace expected = rmsprop_reference(kProblem, o, 3);
  expect_moves(expected, kProblem.w0);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  // Centering and momentum matter: the plain trace is far from this one.
  const Trace plain = rmsprop_reference(kProblem, {.lr = 0.01, .alpha = 0.9}, 3);
  EXPECT_GT(std::abs(plain[2][0] - expected[2][0]), 1e-3);
  const auto state = opt.state_dict();
  EXPECT_EQ(state.count("square_avg.0"), 1u);
  EXPECT_EQ(state.count("grad_avg.0"), 1u);
  EXPECT_EQ(state.count("momentum_buffer.0"), 1u);
}

// --- Adam / AdamW ----------------------------------------------------------------------------

/// PyTorch's Adam (decoupled = false) or AdamW (decoupled = true), written out.
Trace adam_reference(const Quadratic& q, const AdamOptions& o, bool decoupled, std::size_t steps,
                     bool* max_mattered = nullptr) {
  const std::size_t n = q.w0.size();
  std::vector<double> w = q.w0, m(n, 0.0), v(n, 0.0), vmax(n, 0.0);
  Trace trace;
  for (std::size_t t = 1; t <= steps; ++t) {
    const std::vector<double> g0 = q.grad(w);
    const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
    const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
    for (std::size_t k = 0; k < n; ++k) {
      double g = g0[k];
      if (decoupled) {
        w[k] = w[k] - o.lr * o.weight_decay * w[k];
      } else {
        g = g + o.weight_decay * w[k];
      }
      m[k] = o.beta1 * m[k] + (1.0 - o.beta1) * g;
      v[k] = o.beta2 * v[k] + (1.0 - o.beta2) * g * g;
      double second = v[k];
      if (o.amsgrad) {
        if (vmax[k] > v[k] && max_mattered) *max_mattered = true;
        vmax[k] = std::max(vmax[k], v[k]);
        second = vmax[k];
      }
      const double m_hat = m[k] / bc1;
      const double v_hat = second / bc2;
      w[k] = w[k] - o.lr * m_hat / (std::sqrt(v_hat) + o.eps);
    }
    trace.push_back(w);
  }
  return trace;
}

TYPED_TEST(OptimAdaptiveTrace, Adam) {
  using T = TypeParam;
  const AdamOptions o{.lr = 0.1};
  auto w = parameter<T>(kProblem.w0);
  Adam<T> opt({w}, o);
  const Trace expected = adam_reference(kProblem, o, false, 3);
  // Step 1 of Adam moves every element by lr against the gradient's sign (eps aside).
  EXPECT_NEAR(expected[0][0], 0.9, 1e-8);
  EXPECT_NEAR(expected[0][1], -1.9, 1e-8);
  EXPECT_NEAR(expected[0][2], 0.4, 1e-8);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
}

TYPED_TEST(OptimAdaptiveTrace, AdamWithL2WeightDecay) {
  using T = TypeParam;
  const AdamOptions o{.lr = 0.1, .beta1 = 0.8, .beta2 = 0.9, .eps = 1e-6, .weight_decay = 0.5};
  auto w = parameter<T>(kProblem.w0);
  Adam<T> opt({w}, o);
  const Trace expected = adam_reference(kProblem, o, false, 3);
  expect_moves(expected, kProblem.w0);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
}

TYPED_TEST(OptimAdaptiveTrace, AdamAmsgrad) {
  using T = TypeParam;
  // A large step and a small beta2 make v shrink, so the running maximum takes over.
  const AdamOptions o{.lr = 0.4, .beta1 = 0.9, .beta2 = 0.5, .amsgrad = true};
  auto w = parameter<T>(kProblem.w0);
  Adam<T> opt({w}, o);
  bool max_mattered = false;
  const Trace expected = adam_reference(kProblem, o, false, 3, &max_mattered);
  ASSERT_TRUE(max_mattered) << "the amsgrad trace must exercise the maximum";
  AdamOptions no_ams = o;
  no_ams.amsgrad = false;
  const Trace without = adam_reference(kProblem, no_ams, false, 3);
  EXPECT_GT(std::abs(without[2][2] - expected[2][2]), 1e-3);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  EXPECT_EQ(opt.state_dict().count("max_exp_avg_sq.0"), 1u);
}

TYPED_TEST(OptimAdaptiveTrace, AdamWDecoupledWeightDecay) {
  using T = TypeParam;
  const AdamOptions o{
      .lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.5, .amsgrad = false};
  auto w = parameter<T>(kProblem.w0);
  AdamW<T> opt({w}, o);
  const Trace expected = adam_reference(kProblem, o, true, 3);
  // Step 1 by hand: w = 1 * (1 - 0.1 * 0.5) = 0.95, then Adam's first step of -0.1.
  EXPECT_NEAR(expected[0][0], 0.85, 1e-8);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  // Decoupled decay differs from Adam's L2 decay.
  const Trace coupled = adam_reference(kProblem, o, false, 3);
  EXPECT_GT(std::abs(coupled[2][0] - expected[2][0]), 1e-3);
}

TEST(OptimAdamW, DefaultWeightDecayIsOneHundredth) {
  auto w = parameter<double>(kProblem.w0);
  AdamW<double> opt({w});
  const AdamOptions o{.lr = 1e-3, .weight_decay = 1e-2};
  expect_trace_near<double>(run(opt, w, kProblem, 3), adam_reference(kProblem, o, true, 3));
}

TEST(OptimAdaptive, SkippedParametersGetNoStateAndNoDecay) {
  auto used = parameter<double>(kProblem.w0);
  auto unused = parameter<double>({3.0, -4.0});
  AdamW<double> adamw({unused, used}, {.lr = 0.1, .weight_decay = 0.5});
  const AdamOptions o{.lr = 0.1, .weight_decay = 0.5};
  expect_trace_near<double>(run(adamw, used, kProblem, 3), adam_reference(kProblem, o, true, 3));
  EXPECT_EQ(values_of(unused), (std::vector<double>{3.0, -4.0}));
  const auto state = adamw.state_dict();
  EXPECT_EQ(state.count("exp_avg.0"), 0u);
  EXPECT_EQ(state.count("exp_avg.1"), 1u);

  auto unused2 = parameter<double>({1.0});
  auto used2 = parameter<double>(kProblem.w0);
  Adagrad<double> adagrad({used2, unused2}, {.lr = 0.1, .weight_decay = 0.5});
  run(adagrad, used2, kProblem, 2);
  EXPECT_EQ(values_of(unused2), (std::vector<double>{1.0}));
  RMSprop<double> rmsprop({used2, unused2}, {.lr = 0.1, .weight_decay = 0.5, .momentum = 0.9});
  run(rmsprop, used2, kProblem, 2);
  EXPECT_EQ(values_of(unused2), (std::vector<double>{1.0}));
  EXPECT_EQ(rmsprop.state_dict().count("momentum_buffer.1"), 0u);
}

// A parameter that first gets a gradient at step 3 uses the optimizer's step count t = 3 in its
// bias correction (Keras' convention; documented in adaptive.hpp).
TEST(OptimAdaptive, LateParameterUsesTheGlobalStepCount) {
  auto early = parameter<double>({1.0});
  auto late = parameter<double>({2.0});
  Adam<double> opt({early, late}, {.lr = 0.1, .beta1 = 0.5, .beta2 = 0.5});
  for (int s = 0; s < 2; ++s) {
    opt.zero_grad();
    sum(early * early).backward();
    opt.step();
  }
  opt.zero_grad();
  sum(late * late).backward();  // g = 4
  opt.step();
  // m = 0.5 * 4, v = 0.5 * 16, t = 3: m^ = 2 / (1 - 0.125), v^ = 8 / (1 - 0.125).
  const double m_hat = 2.0 / 0.875, v_hat = 8.0 / 0.875;
  EXPECT_NEAR(late.value()(0), 2.0 - 0.1 * m_hat / (std::sqrt(v_hat) + 1e-8), 1e-12);
}

// In addition to the traces: Adam walks the Rosenbrock valley to its minimum at (1, 1).
TEST(OptimAdaptive, AdamMinimisesRosenbrock) {
  auto x = Tensor<double>::scalar(-1.5, true);
  auto y = Tensor<double>::scalar(2.0, true);
  Adam<double> opt({x, y}, {.lr = 0.02});
  auto f = [&] {
    const auto a = 1.0 - x;
    const auto b = y - x * x;
    return a * a + 100.0 * b * b;
  };
  const double start = f().item();
  for (int s = 0; s < 4000; ++s) {
    opt.zero_grad();
    f().backward();
    opt.step();
  }
  EXPECT_GT(start, 10.0);
  EXPECT_LT(f().item(), 1e-4);
  EXPECT_NEAR(x.item(), 1.0, 2e-2);
  EXPECT_NEAR(y.item(), 1.0, 4e-2);
}

}  // namespace
