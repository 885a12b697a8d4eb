// fashion_mnist's --min-accuracy gate (examples/accuracy_gate.hpp): what cannot be evaluated fails.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "accuracy_gate.hpp"

namespace {

TEST(AccuracyGate, FailsWithoutAnAccuracyToCompare) {
  // What `--runs 0 --min-accuracy 0.99` did: a mean of nothing (NaN) that passed the gate.
  EXPECT_TRUE(std::isnan(examples::mean_accuracy({})));
  const auto none = examples::accuracy_gate_failure({}, 0.99);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(*none, "no test accuracy to compare with --min-accuracy 0.9900");
  // A run whose accuracy is not a number (an empty test set) fails too, even with a 0 gate.
  const auto nan_run = examples::accuracy_gate_failure({0.9, NAN}, 0.0);
  ASSERT_TRUE(nan_run.has_value());
  EXPECT_EQ(*nan_run, "a run has no test accuracy to compare with --min-accuracy 0.0000");
}

TEST(AccuracyGate, ComparesTheMean) {
  EXPECT_DOUBLE_EQ(examples::mean_accuracy({0.8, 0.9}), 0.85);
  EXPECT_FALSE(examples::accuracy_gate_failure({0.8, 0.9}, 0.85).has_value());
  const auto low = examples::accuracy_gate_failure({0.8, 0.9}, 0.86);
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ(*low, "mean accuracy below --min-accuracy 0.8600");
}

}  // namespace
