// Dropout: identity in evaluation and for p = 0; in training about p of the elements are zeroed,
// the survivors scaled by 1 / (1 - p), and gradients flow through the survivors only.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;

TEST(NnDropout, EvalAndZeroPAreTheIdentity) {
  nn::Dropout<float> drop(0.5);
  EXPECT_DOUBLE_EQ(drop.p(), 0.5);
  auto x = Tensor<float>::full({100}, 3.0f, true);
  drop.eval();
  auto y = drop(x);
  EXPECT_EQ(y.value(), x.value());
  sum(y).backward();
  for (float g : x.grad().value()) EXPECT_EQ(g, 1.0f);

  nn::Dropout<float> none(0.0);
  EXPECT_TRUE(none.is_training());
  EXPECT_EQ(none(x).value(), x.value());
}

TEST(NnDropout, TrainingZeroesAboutPAndScalesSurvivors) {
  for (double p : {0.2, 0.5, 0.9}) {
    nn::Generator gen(31);
    nn::Dropout<double> drop(p, &gen);
    auto x = Tensor<double>::full({100, 100}, 2.0);
    auto y = drop(x);
    std::size_t zeros = 0;
    for (double v : y.value()) {
      if (v == 0.0) {
        ++zeros;
      } else {
        EXPECT_DOUBLE_EQ(v, 2.0 / (1.0 - p));
      }
    }
    // Binomial(10000, p): sd <= 50 elements; allow 4 sd.
    EXPECT_NEAR(static_cast<double>(zeros) / 10000.0, p, 0.02) << "p=" << p;
    // Each call draws a new mask; equal seeds give equal masks.
    auto y2 = drop(x);
    EXPECT_NE(y.value(), y2.value());
    gen.seed(31);
    EXPECT_EQ(drop(x).value(), y.value());
  }
}

TEST(NnDropout, GradientFlowsOnlyThroughKeptElements) {
  nn::Generator gen(5);
  nn::Dropout<double> drop(0.4, &gen);
  std::vector<double> values(200);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.5 + static_cast<double>(i);
  auto x = Tensor<double>::from({20, 10}, values, true);
  auto y = drop(x);
  sum(y).backward();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double yi = y.value().flat(i), gi = x.grad().value().flat(i);
    if (yi == 0.0) {
      EXPECT_EQ(gi, 0.0);
    } else {
      ++kept;
      EXPECT_DOUBLE_EQ(gi, 1.0 / 0.6);
      EXPECT_DOUBLE_EQ(yi, x.value().flat(i) / 0.6);
    }
  }
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, x.size());
}

TEST(NnDropout, ProbabilityOutsideZeroOneIsADomainError) {
  for (double p : {-0.1, 1.0, 1.5, std::nan("")}) {
    EXPECT_THROW_WITH(nn::Dropout<float> d(p), DomainError, "Dropout", "p");
  }
}

}  // namespace
