// Optimizers write parameters in place through mutable_value(): each step bumps the version of
// every parameter it updates exactly once (and of none it skips), so that a value a recorded
// rule saved before the step is detected as stale at backward.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <vector>

#include "optim/optim_test_util.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;

using Make = std::function<std::unique_ptr<Optimizer<double>>(std::vector<Tensor<double>>)>;

std::vector<std::pair<const char*, Make>> every_optimizer() {
  return {
      {"SGD",
       [](auto p) {
         return std::make_unique<SGD<double>>(std::move(p), SGDOptions{.momentum = 0.9});
       }},
      {"Adagrad", [](auto p) { return std::make_unique<Adagrad<double>>(std::move(p)); }},
      {"RMSprop", [](auto p) { return std::make_unique<RMSprop<double>>(std::move(p)); }},
      {"Adam", [](auto p) { return std::make_unique<Adam<double>>(std::move(p)); }},
      {"AdamW", [](auto p) { return std::make_unique<AdamW<double>>(std::move(p)); }},
      {"Adamax", [](auto p) { return std::make_unique<Adamax<double>>(std::move(p)); }},
      {"NAdam", [](auto p) { return std::make_unique<NAdam<double>>(std::move(p)); }},
      {"Adadelta", [](auto p) { return std::make_unique<Adadelta<double>>(std::move(p)); }},
  };
}

TEST(OptimVersion, EachStepBumpsAnUpdatedParameterOnceAndASkippedOneNever) {
  for (const auto& [name, make] : every_optimizer()) {
    SCOPED_TRACE(name);
    auto w = parameter<double>(kProblem.w0);
    auto unused = parameter<double>({1.0});
    auto opt = make({w, unused});
    for (std::uint32_t s = 1; s <= 3; ++s) {
      opt->zero_grad();
      quadratic_loss(w, kProblem).backward();
      const std::uint32_t before = w.version();
      opt->step();
      EXPECT_EQ(w.version(), before + 1) << "step " << s;
      EXPECT_EQ(unused.version(), 0u);
    }
  }
}

TEST(OptimVersion, AValueSavedBeforeTheStepIsStaleAfterIt) {
  for (const auto& [name, make] : every_optimizer()) {
    SCOPED_TRACE(name);
    auto w = parameter<double>(kProblem.w0);
    auto opt = make({w});
    quadratic_loss(w, kProblem).backward();
    auto later = sum(w * w);  // mul saves w (version 0)
    opt->step();
    EXPECT_GT(w.version(), 0u);
    EXPECT_THROW_WITH(later.backward(), GraphError, "modified in place", "version 0 when saved");
  }
}

TEST(OptimVersion, LbfgsCountsEveryWrite) {
  // Without a line search: one write per iteration. Two iterations on sum(w^2) (the second
  // lands on the minimum, see lbfgs_test.cpp): version 2.
  auto w = parameter<double>({3.0, -1.0});
  LBFGS<double> opt({w}, {.max_iter = 2, .max_eval = 5});
  opt.step([&] {
    opt.zero_grad();
    auto loss = sum(w * w);
    loss.backward();
    return loss;
  });
  EXPECT_EQ(w.version(), 2u);
}

}  // namespace
