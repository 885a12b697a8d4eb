// An optimizer written outside the library, as docs/optim.md describes: only update() and a
// typed state; the base class supplies the step loop and the state dictionaries.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "optim/optim_test_util.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;

template <class T>
struct SignState {
  xt::xarray<T> updates;  ///< how often each element has been updated
};

/// w -= lr * sign(g), counting updates per element.
template <class T>
class SignDescent : public StatefulOptimizer<T, SignState<T>> {
 public:
  SignDescent(std::vector<Tensor<T>> parameters, double lr)
      : StatefulOptimizer<T, SignState<T>>(std::move(parameters), lr, "SignDescent") {
    this->declare_buffer("updates", &SignState<T>::updates);
  }

  std::vector<std::size_t> updated;  ///< parameter indices in update order, over all steps
  bool grad_mode_seen = true;        ///< whether any update ran with grad mode on
  std::vector<std::size_t> steps_seen;

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override {
    updated.push_back(i);
    steps_seen.push_back(this->iterations());
    grad_mode_seen = grad_mode_seen && is_grad_enabled();
    xt::xarray<T>& count = this->state_[i].updates;
    this->create_if_absent(count, i);
    const T lr = static_cast<T>(this->step_lr());
    for (std::size_t k = 0; k < w.size(); ++k) {
      w.data()[k] -= lr * static_cast<T>((g.data()[k] > 0) - (g.data()[k] < 0));
      count.data()[k] += 1;
    }
  }
};

/// A stateless optimizer derived from Optimizer directly: w -= lr * g.
template <class T>
class PlainDescent : public Optimizer<T> {
 public:
  PlainDescent(std::vector<Tensor<T>> parameters, double lr)
      : Optimizer<T>(std::move(parameters), lr, "PlainDescent") {}

 protected:
  void update(std::size_t, xt::xarray<T>& w, const xt::xarray<T>& g) override {
    w -= static_cast<T>(this->step_lr()) * g;
  }
};

TEST(OptimCustom, TheBaseStepSkipsParametersWithoutGradientsAndCountsSteps) {
  auto w = parameter<double>(kProblem.w0);  // gradient a w + b = (1.5, -5, 1.5)
  auto unused = parameter<double>({7.0, 8.0});
  SignDescent<double> opt({unused, w}, 0.25);
  EXPECT_TRUE(opt.grad_mode_seen);
  run(opt, w, kProblem, 2);
  EXPECT_EQ(opt.updated, (std::vector<std::size_t>{1, 1}));  // parameter 0 never has a gradient
  EXPECT_EQ(opt.steps_seen, (std::vector<std::size_t>{0, 1}));
  EXPECT_FALSE(opt.grad_mode_seen);  // update() runs under NoGradGuard
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_EQ(opt.iterations(), 2u);
  // Step 1: w = (0.75, -1.75, 0.25); gradient (1.25, -4.5, 0.75) keeps the signs: step 2 the same.
  EXPECT_EQ(values_of(w), (std::vector<double>{0.5, -1.5, 0.0}));
  EXPECT_EQ(values_of(unused), (std::vector<double>{7.0, 8.0}));
}

TEST(OptimCustom, ItsStateIsSavedUnderItsDeclaredName) {
  auto w = parameter<double>(kProblem.w0);
  auto unused = parameter<double>({7.0, 8.0});
  SignDescent<double> opt({unused, w}, 0.25);
  EXPECT_EQ(opt.state_dict().size(), 2u);  // lr and iterations: nothing created yet
  run(opt, w, kProblem, 3);
  const auto state = opt.state_dict();
  std::vector<std::string> names;
  for (const auto& [name, array] : state) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"iterations", "lr", "updates.1"}));
  EXPECT_EQ(state.at("updates.1"), (xt::xarray<double>{3.0, 3.0, 3.0}));

  // A fresh optimizer resumes the counts.
  auto w2 = parameter<double>(kProblem.w0);
  auto unused2 = parameter<double>({7.0, 8.0});
  SignDescent<double> resumed({unused2, w2}, 0.5);
  EXPECT_TRUE(resumed.load_state_dict(state).empty());
  EXPECT_EQ(resumed.iterations(), 3u);
  EXPECT_EQ(resumed.lr(), 0.25);
  run(resumed, w2, kProblem, 1);
  EXPECT_EQ(resumed.state_dict().at("updates.1"), (xt::xarray<double>{4.0, 4.0, 4.0}));

  // Other optimizers' names are rejected; the message lists this one's.
  auto bad = state;
  bad["exp_avg.1"] = xt::xarray<double>{0.0, 0.0, 0.0};
  EXPECT_THROW_WITH(resumed.load_state_dict(bad), Error, "unexpected 1 entry: 'exp_avg.1'",
                    "lr, iterations, updates.<i> for i < 2");
  bad = state;
  bad["updates.0"] = xt::xarray<double>{1.0, 1.0, 1.0};
  EXPECT_THROW_WITH(resumed.load_state_dict(bad), ShapeError, "'updates.0'", "(3)", "parameter 0",
                    "(2)");
  EXPECT_EQ(resumed.iterations(), 4u);  // the failed loads changed nothing
}

TEST(OptimCustom, AStatelessOptimizerHasOnlyLrAndIterations) {
  auto w = parameter<float>(kProblem.w0);
  PlainDescent<float> opt({w}, 0.5);
  run(opt, w, kProblem, 1);
  // w - 0.5 (a w + b) for w0 = (1, -2, 0.5): (0.25, 0.5, -0.25).
  EXPECT_EQ(values_of(w), (std::vector<double>{0.25, 0.5, -0.25}));
  const auto state = opt.state_dict();
  EXPECT_EQ(state.size(), 2u);
  PlainDescent<float> other({parameter<float>(kProblem.w0)}, 0.1);
  other.load_state_dict(state);
  EXPECT_EQ(other.iterations(), 1u);
  EXPECT_EQ(other.lr(), 0.5);
  auto bad = state;
  bad["momentum_buffer.0"] = xt::xarray<float>{0.0f, 0.0f, 0.0f};
  EXPECT_THROW_WITH(other.load_state_dict(bad), Error, "unexpected 1 entry: 'momentum_buffer.0'");
}

TEST(OptimCustom, LoadChecksLrWithTheOptionCheck) {
  auto w = parameter<double>(kProblem.w0);
  SignDescent<double> opt({w}, 0.25);
  auto state = opt.state_dict();
  state["lr"] = xt::xarray<double>(-2.0);
  EXPECT_THROW_WITH(opt.load_state_dict(state), DomainError,
                    "Optimizer::load_state_dict: entry 'lr' must be a non-negative number, "
                    "finite as double, got -2");
  state["lr"] = xt::xarray<double>(INFINITY);
  EXPECT_THROW_WITH(opt.load_state_dict(state), DomainError, "entry 'lr'", "got inf");
  EXPECT_EQ(opt.lr(), 0.25);
}

}  // namespace
