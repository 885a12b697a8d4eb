// SGD: three-step traces against the formulas of sgd.hpp written out in plain double arithmetic.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "optim/optim_test_util.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;

/// PyTorch's SGD with Keras' decay, written out from the formulas (independent of the library).
Trace sgd_reference(const Quadratic& q, double lr, double momentum, double dampening,
                    double weight_decay, bool nesterov, double decay, std::size_t steps) {
  std::vector<double> w = q.w0, v(w.size(), 0.0);
  Trace trace;
  for (std::size_t t = 0; t < steps; ++t) {
    const double lr_t = lr / (1.0 + decay * static_cast<double>(t));
    const std::vector<double> g0 = q.grad(w);
    for (std::size_t k = 0; k < w.size(); ++k) {
      double g = g0[k] + weight_decay * w[k];
      if (momentum != 0) {
        v[k] = t == 0 ? g : momentum * v[k] + (1.0 - dampening) * g;
        g = nesterov ? g + momentum * v[k] : v[k];
      }
      w[k] = w[k] - lr_t * g;
    }
    trace.push_back(w);
  }
  return trace;
}

template <class T>
class OptimSGDTrace : public ::testing::Test {};
TYPED_TEST_SUITE(OptimSGDTrace, xg::test::FloatTypes);

TYPED_TEST(OptimSGDTrace, PlainMatchesHandComputedNumbers) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  SGD<T> opt({w}, {.lr = 0.1});
  const Trace actual = run(opt, w, kProblem, 3);
  // By hand: g = a w + b = (1.5, -5, 1.5) -> w1 = (0.85, -1.5, 0.35);
  // g = (1.35, -4, 1.05) -> w2 = (0.715, -1.1, 0.245); g = (1.215, -3.2, 0.735) ->
  // w3 = (0.5935, -0.78, 0.1715).
  const Trace by_hand = {{0.85, -1.5, 0.35}, {0.715, -1.1, 0.245}, {0.5935, -0.78, 0.1715}};
  expect_trace_near<T>(actual, by_hand);
  expect_trace_near<T>(actual, sgd_reference(kProblem, 0.1, 0, 0, 0, false, 0, 3));
  EXPECT_EQ(opt.iterations(), 3u);
}

TYPED_TEST(OptimSGDTrace, Momentum) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  SGD<T> opt({w}, {.lr = 0.1, .momentum = 0.9});
  const Trace expected = sgd_reference(kProblem, 0.1, 0.9, 0, 0, false, 0, 3);
  expect_moves(expected, kProblem.w0);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  // Momentum changes the trajectory from step 2 on (the test would notice a plain SGD).
  const Trace plain = sgd_reference(kProblem, 0.1, 0, 0, 0, false, 0, 3);
  EXPECT_GT(std::abs(plain[2][1] - expected[2][1]), 0.1);
}

TYPED_TEST(OptimSGDTrace, MomentumWithDampeningStartsFromTheFullGradient) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  SGD<T> opt({w}, {.lr = 0.1, .momentum = 0.5, .dampening = 0.3});
  const Trace expected = sgd_reference(kProblem, 0.1, 0.5, 0.3, 0, false, 0, 3);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  // Step 1 uses v = g (not (1 - dampening) g): w1 = w0 - 0.1 g0 exactly as plain SGD.
  EXPECT_NEAR(expected[0][0], 0.85, 1e-15);
}

TYPED_TEST(OptimSGDTrace, NesterovWithWeightDecayAndKerasDecay) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  SGD<T> opt({w},
             {.lr = 0.1, .momentum = 0.8, .weight_decay = 0.05, .nesterov = true, .decay = 0.5});
  const Trace expected = sgd_reference(kProblem, 0.1, 0.8, 0, 0.05, true, 0.5, 3);
  expect_moves(expected, kProblem.w0);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  // Decay 0.5 makes step 3 use lr 0.1 / 2: the trace differs from the undecayed one.
  const Trace undecayed = sgd_reference(kProblem, 0.1, 0.8, 0, 0.05, true, 0, 3);
  EXPECT_GT(std::abs(undecayed[2][1] - expected[2][1]), 0.01);
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1);  // decay does not touch the base lr
}

// The MNIST recipe's Keras SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True).
TYPED_TEST(OptimSGDTrace, Seed004KerasRecipe) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  SGD<T> opt({w}, {.lr = 0.01, .momentum = 0.9, .nesterov = true, .decay = 1e-6});
  // Written out: lr_t = 0.01 / (1 + 1e-6 t), t = 0, 1, 2; v1 = g1, v = 0.9 v + g;
  // w -= lr_t (g + 0.9 v).
  std::vector<double> wr = kProblem.w0, v(3, 0.0);
  Trace expected;
  for (int t = 0; t < 3; ++t) {
    const double lr_t = 0.01 / (1.0 + 1e-6 * t);
    for (int k = 0; k < 3; ++k) {
      const double g = kProblem.a[k] * wr[k] + kProblem.b[k];
      v[k] = t == 0 ? g : 0.9 * v[k] + g;
      wr[k] -= lr_t * (g + 0.9 * v[k]);
    }
    expected.push_back(wr);
  }
  // First step by hand: w1 = w0 - 0.01 * 1.9 * g0 with g0 = (1.5, -5, 1.5).
  EXPECT_NEAR(expected[0][0], 1.0 - 0.01 * 1.9 * 1.5, 1e-15);
  EXPECT_NEAR(expected[0][1], -2.0 + 0.01 * 1.9 * 5.0, 1e-15);
  expect_trace_near<T>(run(opt, w, kProblem, 3), expected);
  expect_trace_near<T>(expected, sgd_reference(kProblem, 0.01, 0.9, 0, 0, true, 1e-6, 3));
}

TYPED_TEST(OptimSGDTrace, SkipsParametersWithoutGradient) {
  using T = TypeParam;
  auto used = parameter<T>(kProblem.w0);
  auto unused = parameter<T>({3.0, -4.0});
  SGD<T> opt({unused, used}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1});
  const Trace actual = run(opt, used, kProblem, 3);
  expect_trace_near<T>(actual, sgd_reference(kProblem, 0.1, 0.9, 0, 0.1, false, 0, 3));
  EXPECT_EQ(values_of(unused), (std::vector<double>{3.0, -4.0}));  // no decay either
  EXPECT_FALSE(unused.has_grad());
  const auto state = opt.state_dict();
  EXPECT_EQ(state.count("momentum_buffer.0"), 0u);
  ASSERT_EQ(state.count("momentum_buffer.1"), 1u);
  EXPECT_EQ(opt.iterations(), 3u);
}

TYPED_TEST(OptimSGDTrace, UpdatesInPlaceWithoutRecording) {
  using T = TypeParam;
  auto w = parameter<T>(kProblem.w0);
  SGD<T> opt({w}, {.lr = 0.1, .momentum = 0.9});
  quadratic_loss(w, kProblem).backward();
  const T* data = w.value().data();
  const long nodes = live_node_count<T>();
  opt.step();  // grad mode is on here: the step must still record nothing
  EXPECT_EQ(live_node_count<T>(), nodes);
  EXPECT_EQ(w.value().data(), data);
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(is_grad_enabled());
  opt.zero_grad();
  EXPECT_FALSE(w.has_grad());
}

TEST(OptimSGD, GradientShapeMismatchThrowsBeforeAnyUpdate) {
  auto a = parameter<double>({1.0, 2.0});
  auto b = parameter<double>({3.0, 4.0, 5.0});
  SGD<double> opt({a, b}, {.lr = 0.1});
  a.set_grad(Tensor<double>::from({2}, {1.0, 1.0}));
  b.set_grad(Tensor<double>::from({3}, {1.0, 1.0, 1.0}));
  Tensor<double>(b.grad()).mutable_value() = xt::xarray<double>{1.0, 1.0};  // wrong shape
  EXPECT_THROW_WITH(opt.step(), ShapeError, "SGD", "parameter 1", "(2)", "(3)");
  EXPECT_EQ(values_of(a), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(opt.iterations(), 0u);
}

TEST(OptimSGD, ZeroLearningRateLeavesParametersUnchanged) {
  auto w = parameter<double>(kProblem.w0);
  SGD<double> opt({w}, {.lr = 0.0, .momentum = 0.9});
  run(opt, w, kProblem, 2);
  EXPECT_EQ(values_of(w), kProblem.w0);
  opt.set_lr(0.1);
  run(opt, w, kProblem, 1);
  EXPECT_NE(values_of(w), kProblem.w0);
}

}  // namespace
