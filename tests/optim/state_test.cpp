// Optimizer state: state_dict contents, resuming from a saved state (bit-identical), load
// errors, option validation and learning-rate schedulers.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <vector>

#include "optim/optim_test_util.hpp"
#include "xgrad/io/npy.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;
using xg::test::TempDir;

// --- state_dict ------------------------------------------------------------------------------

TEST(OptimState, StateDictHoldsLrIterationsAndCreatedBuffers) {
  auto w = parameter<double>(kProblem.w0);
  auto m = Tensor<double>::from({2, 2}, {1.0, 2.0, 3.0, 4.0}, true);
  Adam<double> opt({m, w}, {.lr = 0.05});
  auto state = opt.state_dict();
  EXPECT_EQ(state.size(), 2u);  // nothing created before the first step
  ASSERT_EQ(state.count("lr"), 1u);
  EXPECT_EQ(state.at("lr").dimension(), 0u);
  EXPECT_DOUBLE_EQ(state.at("lr")(), 0.05);
  EXPECT_EQ(state.at("iterations")(), 0.0);

  run(opt, w, kProblem, 2);  // m never gets a gradient
  state = opt.state_dict();
  std::vector<std::string> names;
  for (const auto& [name, array] : state) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"exp_avg.1", "exp_avg_sq.1", "iterations", "lr"}));
  EXPECT_EQ(state.at("iterations").dimension(), 0u);
  EXPECT_EQ(state.at("iterations")(), 2.0);
  EXPECT_EQ(state.at("exp_avg.1").shape(), w.value().shape());
  // exp_avg after two steps is 0.9 * 0.1 g1 + 0.1 g2: non-zero for every element.
  for (double v : state.at("exp_avg.1")) EXPECT_NE(v, 0.0);
}

// Runs `steps` quadratic steps on two parameters with optimizer `make` (a fresh one per run).
template <class T>
using Factory = std::function<std::unique_ptr<Optimizer<T>>(std::vector<Tensor<T>>)>;

const Quadratic kSecond{{0.5, -0.25, 2.0, 1.0}, {4.0, 0.5, 1.0, 2.0}, {-1.0, 0.0, 0.5, 1.0}};

template <class T>
void two_param_steps(Optimizer<T>& opt, const Tensor<T>& w, const Tensor<T>& m, std::size_t n) {
  for (std::size_t s = 0; s < n; ++s) {
    opt.zero_grad();
    const auto m_flat = reshape(m, {4});
    (quadratic_loss(w, kProblem) + quadratic_loss(m_flat, kSecond)).backward();
    opt.step();
  }
}

template <class T>
void expect_resume_is_bit_identical(const Factory<T>& make, bool through_files) {
  auto fresh_params = [] {
    return std::pair{parameter<T>(kProblem.w0), Tensor<T>::from({2, 2}, cast<T>(kSecond.w0), true)};
  };
  // Uninterrupted: 3 steps, an lr change (as a scheduler would make), 3 more steps.
  auto [w1, m1] = fresh_params();
  auto straight = make({w1, m1});
  two_param_steps(*straight, w1, m1, 3);
  straight->set_lr(0.037);
  two_param_steps(*straight, w1, m1, 3);

  // Interrupted after 3 steps and the lr change; parameters and optimizer rebuilt.
  auto [w2, m2] = fresh_params();
  auto first = make({w2, m2});
  two_param_steps(*first, w2, m2, 3);
  first->set_lr(0.037);
  auto w3 = Tensor<T>(w2.value(), true);
  auto m3 = Tensor<T>(m2.value(), true);
  auto resumed = make({w3, m3});
  EXPECT_EQ(resumed->iterations(), 0u);
  if (through_files) {
    TempDir dir("resume");
    first->save(dir.str());
    EXPECT_FALSE(list_arrays(dir.str()).empty());
    resumed->load(dir.str());
  } else {
    resumed->load_state_dict(first->state_dict());
  }
  EXPECT_EQ(resumed->iterations(), 3u);
  EXPECT_EQ(static_cast<T>(resumed->lr()), static_cast<T>(0.037));
  two_param_steps(*resumed, w3, m3, 3);

  ASSERT_EQ(w3.size(), w1.size());
  for (std::size_t k = 0; k < w1.size(); ++k) {
    EXPECT_EQ(w3.value().data()[k], w1.value().data()[k]) << "w element " << k;
  }
  for (std::size_t k = 0; k < m1.size(); ++k) {
    EXPECT_EQ(m3.value().data()[k], m1.value().data()[k]) << "m element " << k;
  }
  // The resumed run really moved (a no-op optimizer would fail the comparison with w2).
  EXPECT_NE(values_of(w3), values_of(w2));
}

template <class T>
class OptimResume : public ::testing::Test {};
TYPED_TEST_SUITE(OptimResume, xg::test::FloatTypes);

TYPED_TEST(OptimResume, AdamThroughFilesIsBitIdentical) {
  using T = TypeParam;
  Factory<T> make = [](std::vector<Tensor<T>> p) {
    return std::make_unique<Adam<T>>(std::move(p), AdamOptions{.lr = 0.05, .amsgrad = true});
  };
  expect_resume_is_bit_identical<T>(make, true);
  expect_resume_is_bit_identical<T>(make, false);
}

TYPED_TEST(OptimResume, SgdMomentumWithDecayThroughFilesIsBitIdentical) {
  using T = TypeParam;
  Factory<T> make = [](std::vector<Tensor<T>> p) {
    return std::make_unique<SGD<T>>(
        std::move(p), SGDOptions{.lr = 0.01, .momentum = 0.9, .nesterov = true, .decay = 0.1});
  };
  expect_resume_is_bit_identical<T>(make, true);
  expect_resume_is_bit_identical<T>(make, false);
}

TYPED_TEST(OptimResume, OtherOptimizersResumeToo) {
  using T = TypeParam;
  expect_resume_is_bit_identical<T>(
      [](std::vector<Tensor<T>> p) {
        return std::make_unique<Adagrad<T>>(
            std::move(p),
            AdagradOptions{.lr = 0.1, .lr_decay = 0.1, .initial_accumulator_value = 0.5});
      },
      true);
  expect_resume_is_bit_identical<T>(
      [](std::vector<Tensor<T>> p) {
        return std::make_unique<RMSprop<T>>(
            std::move(p), RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true});
      },
      true);
  expect_resume_is_bit_identical<T>(
      [](std::vector<Tensor<T>> p) { return std::make_unique<AdamW<T>>(std::move(p)); }, true);
  expect_resume_is_bit_identical<T>(
      [](std::vector<Tensor<T>> p) {
        return std::make_unique<Adamax<T>>(std::move(p), AdamaxOptions{.lr = 0.05});
      },
      true);
  expect_resume_is_bit_identical<T>(
      [](std::vector<Tensor<T>> p) {
        return std::make_unique<NAdam<T>>(std::move(p), NAdamOptions{.lr = 0.05});
      },
      true);
  expect_resume_is_bit_identical<T>(
      [](std::vector<Tensor<T>> p) { return std::make_unique<Adadelta<T>>(std::move(p)); }, false);
}

// --- load errors -----------------------------------------------------------------------------

TEST(OptimState, LoadWithWrongShapeThrowsNamingTheEntryAndChangesNothing) {
  auto a = parameter<double>({1.0, 2.0, 3.0});
  Adam<double> source({a}, {.lr = 0.5});
  run(source, a, kProblem, 1);

  auto b = parameter<double>({1.0, 2.0, 3.0, 4.0});
  Adam<double> target({b}, {.lr = 0.1});
  run(target, b, {{1.0, 2.0, 3.0, 4.0}, {1.0, 1.0, 1.0, 1.0}, {0.0, 0.0, 0.0, 0.0}}, 2);
  const auto before = target.state_dict();
  EXPECT_THROW_WITH(target.load_state_dict(source.state_dict()), ShapeError, "exp_avg.0", "(3)",
                    "(4)", "parameter 0");
  EXPECT_EQ(target.lr(), 0.1);
  EXPECT_EQ(target.iterations(), 2u);
  const auto after = target.state_dict();
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [name, array] : before) EXPECT_EQ(after.at(name), array) << name;
}

TEST(OptimState, LoadRejectsUnknownMissingAndInvalidEntries) {
  auto w = parameter<double>(kProblem.w0);
  SGD<double> sgd({w}, {.lr = 0.1, .momentum = 0.9});
  run(sgd, w, kProblem, 1);
  Adam<double> adam({w});
  EXPECT_THROW_WITH(adam.load_state_dict(sgd.state_dict()), Error, "Optimizer::load_state_dict",
                    "unexpected 1 entry: 'momentum_buffer.0'", "exp_avg.<i>", "exp_avg_sq.<i>");
  EXPECT_EQ(adam.iterations(), 0u);

  auto state = sgd.state_dict();
  state.erase("lr");
  EXPECT_THROW_WITH(sgd.load_state_dict(state), Error, "missing 1 entry: 'lr'");

  state = sgd.state_dict();
  state["lr"] = xt::xarray<double>(-1.0);
  EXPECT_THROW_WITH(sgd.load_state_dict(state), DomainError, "'lr'", "-1");

  state = sgd.state_dict();
  state["iterations"] = xt::xarray<double>(2.5);
  EXPECT_THROW_WITH(sgd.load_state_dict(state), DomainError, "'iterations'", "2.5");

  state = sgd.state_dict();
  state["iterations"] = xt::xarray<double>({1.0, 2.0});
  EXPECT_THROW_WITH(sgd.load_state_dict(state), ShapeError, "'iterations'", "(2)");

  state = sgd.state_dict();
  state["momentum_buffer.7"] = xt::xarray<double>({1.0, 2.0, 3.0});
  EXPECT_THROW_WITH(sgd.load_state_dict(state), Error, "unexpected 1 entry: 'momentum_buffer.7'",
                    "for i < 1");

  state = sgd.state_dict();
  state["momentum_buffer"] = xt::xarray<double>({1.0, 2.0, 3.0});
  EXPECT_THROW_WITH(sgd.load_state_dict(state), Error, "'momentum_buffer'");
  EXPECT_EQ(sgd.iterations(), 1u);  // none of the failed loads changed anything
}

TEST(OptimState, NonStrictLoadSkipsAndReportsWhatDoesNotMatch) {
  auto w = parameter<double>(kProblem.w0);
  SGD<double> sgd({w}, {.lr = 0.1, .momentum = 0.9});
  run(sgd, w, kProblem, 2);
  auto state = sgd.state_dict();
  state["momentum_buffer.7"] = xt::xarray<double>({1.0, 2.0, 3.0});
  state["exp_avg.0"] = xt::xarray<double>({1.0, 2.0});
  state.erase("lr");

  auto w2 = parameter<double>(kProblem.w0);
  SGD<double> target({w2}, {.lr = 0.5, .momentum = 0.9});
  EXPECT_THROW_WITH(target.load_state_dict(state), Error, "missing 1 entry: 'lr'",
                    "unexpected 2 entries: 'exp_avg.0', 'momentum_buffer.7'");
  EXPECT_EQ(target.iterations(), 0u);
  const IncompatibleKeys keys = target.load_state_dict(state, /*strict=*/false);
  EXPECT_EQ(keys.missing_keys, (std::vector<std::string>{"lr"}));
  EXPECT_EQ(keys.unexpected_keys, (std::vector<std::string>{"exp_avg.0", "momentum_buffer.7"}));
  EXPECT_EQ(target.lr(), 0.5);  // kept: not in the state
  EXPECT_EQ(target.iterations(), 2u);
  EXPECT_EQ(target.state_dict().at("momentum_buffer.0"), sgd.state_dict().at("momentum_buffer.0"));
  // Shapes are checked in either mode.
  state["momentum_buffer.0"] = xt::xarray<double>({1.0});
  EXPECT_THROW_WITH(target.load_state_dict(state, false), ShapeError, "momentum_buffer.0");
  EXPECT_TRUE(sgd.load_state_dict(sgd.state_dict()).empty());
}

TEST(OptimState, AFreshOptimizerSavedOverAnOldDirectoryLoadsFresh) {
  TempDir dir("reused");
  auto w = parameter<double>(kProblem.w0);
  Adam<double> old_run({w}, {.lr = 0.05});
  run(old_run, w, kProblem, 3);
  old_run.save(dir.str());
  auto w_new = parameter<double>(kProblem.w0);
  Adam<double> new_run({w_new}, {.lr = 0.05});
  new_run.save(dir.str());  // iteration 0, no buffers yet

  auto w_loaded = parameter<double>(kProblem.w0);
  Adam<double> loaded({w_loaded}, {.lr = 0.05});
  run(loaded, w_loaded, kProblem, 1);
  loaded.load(dir.str());
  EXPECT_EQ(loaded.iterations(), 0u);
  EXPECT_EQ(list_arrays(dir.str()), (std::vector<std::string>{"iterations", "lr"}));
  EXPECT_EQ(loaded.state_dict().size(), 2u);  // no exp_avg of the old run
}

TEST(OptimState, LoadFromFilesIsStrictAndNamesTheFiles) {
  auto w = parameter<double>(kProblem.w0);
  SGD<double> sgd({w}, {.lr = 0.1, .momentum = 0.9});
  run(sgd, w, kProblem, 1);
  TempDir dir("strict");
  sgd.save(dir.str());
  Adam<double> adam({parameter<double>(kProblem.w0)}, {.lr = 0.01});
  EXPECT_THROW_WITH(adam.load(dir.str()), Error, "Optimizer::load", dir.str(),
                    "'momentum_buffer.0'", "momentum_buffer.0.npy");
  EXPECT_EQ(adam.iterations(), 0u);
  const auto keys = adam.load(dir.str(), /*strict=*/false);
  EXPECT_EQ(keys.unexpected_keys, (std::vector<std::string>{"momentum_buffer.0"}));
  EXPECT_TRUE(keys.missing_keys.empty());
  EXPECT_EQ(adam.iterations(), 1u);
  EXPECT_EQ(adam.lr(), 0.1);
  // Files this optimizer does not take are not even read: a corrupt one is skipped.
  std::ofstream(dir.file("momentum_buffer.0.npy"), std::ios::trunc) << "garbage";
  EXPECT_NO_THROW(adam.load(dir.str(), false));
}

TEST(OptimState, LoadResetsBuffersAbsentFromTheState) {
  auto w = parameter<double>(kProblem.w0);
  SGD<double> opt({w}, {.lr = 0.1, .momentum = 0.9});
  const auto empty = opt.state_dict();  // before any step: lr and iterations only
  run(opt, w, kProblem, 2);
  opt.load_state_dict(empty);
  EXPECT_EQ(opt.iterations(), 0u);
  EXPECT_EQ(opt.state_dict().size(), 2u);
  // The next step starts the momentum afresh (v = g): it is plain SGD's step.
  auto w_plain = Tensor<double>(w.value(), true);
  SGD<double> plain({w_plain}, {.lr = 0.1});
  run(opt, w, kProblem, 1);
  run(plain, w_plain, kProblem, 1);
  EXPECT_EQ(values_of(w), values_of(w_plain));
}

TEST(OptimState, LoadFromFilesChecksTheDirectoryAndElementType) {
  auto w = parameter<double>(kProblem.w0);
  SGD<double> opt({w}, {.lr = 0.1, .momentum = 0.9});
  TempDir empty("empty");
  EXPECT_THROW_WITH(opt.load(empty.str()), Error, "no .npy files", empty.str());

  auto wf = parameter<float>(kProblem.w0);
  SGD<float> opt_f({wf}, {.lr = 0.1, .momentum = 0.9});
  run(opt_f, wf, kProblem, 1);
  TempDir dir("float");
  opt_f.save(dir.str());
  EXPECT_EQ(list_arrays(dir.str()),
            (std::vector<std::string>{"iterations", "lr", "momentum_buffer.0"}));
  EXPECT_THROW(opt.load(dir.str()), Error);  // float files into a double optimizer
  EXPECT_EQ(opt.iterations(), 0u);
}

// --- option validation -----------------------------------------------------------------------

TEST(OptimErrors, ParametersMustBeDefinedLeavesThatRequireGrad) {
  auto ok = parameter<double>({1.0, 2.0});
  auto no_grad = Tensor<double>::from({3}, {1.0, 2.0, 3.0});
  EXPECT_THROW_WITH(SGD<double>({ok, no_grad}), GraphError, "parameter 1", "(3)",
                    "does not require grad");
  EXPECT_THROW_WITH(Adam<double>({ok, Tensor<double>()}), GraphError, "parameter 1", "undefined");
  const auto derived = ok * 2.0;
  EXPECT_THROW_WITH(SGD<double>({derived}), GraphError, "parameter 0", "not a leaf");
  EXPECT_THROW_WITH(SGD<double>({ok, ok}), GraphError, "parameter 1", "more than once");
  no_grad.set_name("bias");
  EXPECT_THROW_WITH(SGD<double>({no_grad}), GraphError, "parameter 0 ('bias')");
}

TEST(OptimErrors, SgdOptions) {
  auto w = parameter<double>({1.0});
  EXPECT_THROW_WITH(SGD<double>({w}, {.lr = -0.1}), DomainError, "SGD", "lr", "-0.1");
  EXPECT_THROW_WITH(SGD<double>({w}, {.momentum = -0.5}), DomainError, "SGD", "momentum", "-0.5");
  EXPECT_THROW_WITH(SGD<double>({w}, {.dampening = -1}), DomainError, "dampening", "-1");
  EXPECT_THROW_WITH(SGD<double>({w}, {.weight_decay = -1e-4}), DomainError, "weight_decay",
                    "-0.0001");
  EXPECT_THROW_WITH(SGD<double>({w}, {.decay = -1e-6}), DomainError, "decay", "-1e-06");
  EXPECT_THROW_WITH(SGD<double>({w}, {.lr = NAN}), DomainError, "lr", "nan");
  EXPECT_THROW_WITH(SGD<double>({w}, {.nesterov = true}), DomainError, "nesterov", "momentum > 0",
                    "momentum = 0");
  EXPECT_THROW_WITH(SGD<double>({w}, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                    DomainError, "nesterov", "dampening = 0.1");
  EXPECT_NO_THROW(SGD<double>({w}, {.momentum = 0.9, .nesterov = true}));
}

TEST(OptimErrors, AdaptiveOptions) {
  auto w = parameter<double>({1.0});
  EXPECT_THROW_WITH(Adagrad<double>({w}, {.lr_decay = -1}), DomainError, "Adagrad", "lr_decay",
                    "-1");
  EXPECT_THROW_WITH(Adagrad<double>({w}, {.initial_accumulator_value = -0.1}), DomainError,
                    "initial_accumulator_value");
  EXPECT_THROW_WITH(Adagrad<double>({w}, {.eps = -1}), DomainError, "eps");
  EXPECT_THROW_WITH(RMSprop<double>({w}, {.alpha = 1.5}), DomainError, "RMSprop", "alpha", "1.5");
  EXPECT_THROW_WITH(RMSprop<double>({w}, {.momentum = -0.9}), DomainError, "momentum", "-0.9");
  EXPECT_THROW_WITH(Adam<double>({w}, {.beta1 = 1.0}), DomainError, "Adam", "beta1", "[0, 1)");
  EXPECT_THROW_WITH(Adam<double>({w}, {.beta2 = -0.1}), DomainError, "beta2", "-0.1");
  EXPECT_THROW_WITH(Adam<double>({w}, {.weight_decay = -1}), DomainError, "weight_decay");
  EXPECT_THROW_WITH(AdamW<double>({w}, {.lr = -1e-3}), DomainError, "AdamW", "lr", "-0.001");
  EXPECT_THROW_WITH(Adam<float>({parameter<float>({1.0})}, {.eps = INFINITY}), DomainError, "eps",
                    "inf");
}

TEST(OptimErrors, SetLrRejectsNegativeValues) {
  auto w = parameter<double>({1.0});
  Adam<double> opt({w});
  EXPECT_THROW_WITH(opt.set_lr(-0.5), DomainError, "lr", "-0.5");
  EXPECT_EQ(opt.lr(), 1e-3);
  opt.set_lr(0.25);
  EXPECT_EQ(opt.lr(), 0.25);
}

// --- schedulers ------------------------------------------------------------------------------

TEST(OptimScheduler, StepLRHalvesEveryTwoEpochs) {
  auto w = parameter<double>({1.0});
  SGD<double> opt({w}, {.lr = 0.1});
  StepLR<double> sched(opt, 2, 0.5);
  EXPECT_EQ(sched.base_lr(), 0.1);
  const std::vector<double> expected = {0.1, 0.05, 0.05, 0.025, 0.025, 0.0125};
  for (std::size_t e = 1; e <= expected.size(); ++e) {
    sched.step();
    EXPECT_EQ(sched.epoch(), e);
    EXPECT_DOUBLE_EQ(opt.lr(), expected[e - 1]) << "epoch " << e;
  }
}

TEST(OptimScheduler, ExponentialLR) {
  auto w = parameter<double>({1.0});
  Adam<double> opt({w}, {.lr = 0.2});
  ExponentialLR<double> sched(opt, 0.9);
  double expected = 0.2;
  for (int e = 1; e <= 5; ++e) {
    sched.step();
    expected *= 0.9;
    EXPECT_NEAR(opt.lr(), expected, 1e-15) << "epoch " << e;
  }
  EXPECT_NEAR(opt.lr(), 0.2 * 0.59049, 1e-15);
}

TEST(OptimScheduler, InverseTimeLR) {
  auto w = parameter<double>({1.0});
  SGD<double> opt({w}, {.lr = 0.1});
  InverseTimeLR<double> sched(opt, 0.5);
  const std::vector<double> expected = {0.1 / 1.5, 0.1 / 2.0, 0.1 / 2.5, 0.1 / 3.0};
  for (std::size_t e = 1; e <= expected.size(); ++e) {
    sched.step();
    EXPECT_DOUBLE_EQ(opt.lr(), expected[e - 1]) << "epoch " << e;
    EXPECT_DOUBLE_EQ(sched.lr_at(e), expected[e - 1]);
  }
  EXPECT_DOUBLE_EQ(sched.lr_at(0), 0.1);
}

TEST(OptimScheduler, TheOptimizerStepsWithTheScheduledLr) {
  // One plain SGD step after two StepLR epochs uses lr = 0.1 * 0.5: w1 = w0 - 0.05 g0.
  auto w = parameter<double>(kProblem.w0);
  SGD<double> opt({w}, {.lr = 0.1});
  StepLR<double> sched(opt, 1, 0.5);
  sched.step();
  run(opt, w, kProblem, 1);
  EXPECT_NEAR(w.value()(0), 1.0 - 0.05 * 1.5, 1e-15);
  EXPECT_NEAR(w.value()(1), -2.0 + 0.05 * 5.0, 1e-15);
}

TEST(OptimScheduler, InvalidArgumentsThrow) {
  auto w = parameter<double>({1.0});
  SGD<double> opt({w});
  EXPECT_THROW_WITH(StepLR<double>(opt, 0), DomainError, "StepLR", "step_size");
  EXPECT_THROW_WITH(StepLR<double>(opt, 1, -0.1), DomainError, "gamma");
  EXPECT_THROW_WITH(ExponentialLR<double>(opt, 0.0), DomainError, "ExponentialLR", "gamma");
  EXPECT_THROW_WITH(InverseTimeLR<double>(opt, -1.0), DomainError, "InverseTimeLR", "decay");
}

}  // namespace
