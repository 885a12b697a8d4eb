// Hyper-parameter validation in the parameters' element type, and empty parameter lists.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "optim/optim_test_util.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;

TEST(OptimValidation, OptionsMustBeFiniteInTheElementType) {
  // 1e300 is a finite double but an infinite float: a float optimizer refuses it, by name.
  const double huge = 1e300;
  auto f = parameter<float>({1.0});
  EXPECT_THROW_WITH(SGD<float>({f}, {.lr = huge}), DomainError, "SGD: lr", "finite as float",
                    "1e+300", "3.4028");
  EXPECT_THROW_WITH(SGD<float>({f}, {.momentum = huge}), DomainError, "SGD: momentum", "float");
  EXPECT_THROW_WITH(SGD<float>({f}, {.dampening = huge}), DomainError, "SGD: dampening");
  EXPECT_THROW_WITH(SGD<float>({f}, {.weight_decay = huge}), DomainError, "SGD: weight_decay");
  EXPECT_THROW_WITH(SGD<float>({f}, {.decay = huge}), DomainError, "SGD: decay");
  EXPECT_THROW_WITH(Adagrad<float>({f}, {.lr = huge}), DomainError, "Adagrad: lr", "float");
  EXPECT_THROW_WITH(Adagrad<float>({f}, {.lr_decay = huge}), DomainError, "Adagrad: lr_decay");
  EXPECT_THROW_WITH(Adagrad<float>({f}, {.weight_decay = huge}), DomainError,
                    "Adagrad: weight_decay");
  EXPECT_THROW_WITH(Adagrad<float>({f}, {.initial_accumulator_value = huge}), DomainError,
                    "Adagrad: initial_accumulator_value");
  EXPECT_THROW_WITH(Adagrad<float>({f}, {.eps = huge}), DomainError, "Adagrad: eps");
  EXPECT_THROW_WITH(RMSprop<float>({f}, {.lr = huge}), DomainError, "RMSprop: lr");
  EXPECT_THROW_WITH(RMSprop<float>({f}, {.eps = huge}), DomainError, "RMSprop: eps");
  EXPECT_THROW_WITH(RMSprop<float>({f}, {.weight_decay = huge}), DomainError,
                    "RMSprop: weight_decay");
  EXPECT_THROW_WITH(RMSprop<float>({f}, {.momentum = huge}), DomainError, "RMSprop: momentum");
  EXPECT_THROW_WITH(Adam<float>({f}, {.lr = huge}), DomainError, "Adam: lr", "float");
  EXPECT_THROW_WITH(Adam<float>({f}, {.eps = huge}), DomainError, "Adam: eps");
  EXPECT_THROW_WITH(Adam<float>({f}, {.weight_decay = huge}), DomainError, "Adam: weight_decay");
  EXPECT_THROW_WITH(AdamW<float>({f}, {.lr = huge}), DomainError, "AdamW: lr");
  EXPECT_THROW_WITH(AdamW<float>({f}, {.beta2 = 1.0}), DomainError, "AdamW: beta2", "[0, 1)");
  // A beta below 1 as a double but 1 as a float (its moment would never move) is out of range.
  const double almost_one = 1 - 1e-9;
  EXPECT_THROW_WITH(Adam<float>({f}, {.beta1 = almost_one}), DomainError, "Adam: beta1",
                    "in [0, 1), finite as float", "0.999999999");
  EXPECT_THROW_WITH(Adam<float>({f}, {.beta2 = almost_one}), DomainError, "beta2");
  EXPECT_THROW_WITH(RMSprop<float>({f}, {.alpha = 1 + 1e-9}), DomainError, "RMSprop: alpha",
                    "in [0, 1]");
  // The same values are fine in double.
  auto d = parameter<double>({1.0});
  EXPECT_NO_THROW(SGD<double>({d}, {.lr = huge}));
  EXPECT_NO_THROW(Adam<double>({d}, {.beta1 = almost_one, .beta2 = almost_one}));
  // Infinity and NaN are refused in either type.
  EXPECT_THROW_WITH(SGD<double>({d}, {.lr = INFINITY}), DomainError, "SGD: lr", "double", "inf");
  EXPECT_THROW_WITH(Adam<double>({d}, {.eps = NAN}), DomainError, "Adam: eps", "nan");
}

TEST(OptimValidation, AFloatStepNeverSeesAnInfiniteLr) {
  // What a hostile lr did before: accepted, and the weight became -inf after one step.
  auto w = parameter<float>({1.0f});
  sum(mul(w, w)).backward();
  bool refused = false;
  try {
    SGD<float> opt({w}, {.lr = 1e300});
    opt.step();
  } catch (const DomainError&) {
    refused = true;
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(w.value()(0), 1.0f);
}

TEST(OptimValidation, SetLrAndSchedulersUseTheSameCheck) {
  auto w = parameter<float>({1.0f});
  SGD<float> opt({w}, {.lr = 1e-3});
  EXPECT_THROW_WITH(opt.set_lr(1e300), DomainError, "Optimizer::set_lr: lr",
                    "a non-negative number, finite as float", "1e+300");
  EXPECT_THROW_WITH(opt.set_lr(-1), DomainError, "lr", "-1");
  EXPECT_EQ(opt.lr(), 1e-3);
  // lr = 1e-3 * (1e20)^epoch: 1e17, 1e37, then 1e57, which a float cannot hold.
  ExponentialLR<float> schedule(opt, 1e20);
  schedule.step();
  schedule.step();
  EXPECT_DOUBLE_EQ(opt.lr(), 1e37);
  EXPECT_THROW_WITH(schedule.step(), DomainError, "lr", "float", "1e+57");
  EXPECT_DOUBLE_EQ(opt.lr(), 1e37);  // nothing changed
  EXPECT_EQ(schedule.epoch(), 2u);
  EXPECT_THROW_WITH(ExponentialLR<float>(opt, 1e300), DomainError, "ExponentialLR: gamma",
                    "positive", "float");
  EXPECT_THROW_WITH(StepLR<float>(opt, 1, NAN), DomainError, "StepLR: gamma", "nan");
  EXPECT_THROW_WITH(InverseTimeLR<float>(opt, 1e300), DomainError, "InverseTimeLR: decay");
}

TEST(OptimValidation, AnEmptyParameterListIsAnError) {
  // As PyTorch: "optimizer got an empty parameter list".
  const std::vector<Tensor<double>> none;
  EXPECT_THROW_WITH(SGD<double> opt(none), GraphError, "SGD: got an empty parameter list");
  EXPECT_THROW_WITH(Adagrad<double> opt(none), GraphError, "Adagrad: got an empty parameter list");
  EXPECT_THROW_WITH(RMSprop<double> opt(none), GraphError, "RMSprop: got an empty parameter list");
  EXPECT_THROW_WITH(Adam<double> opt(none), GraphError, "Adam: got an empty parameter list");
  EXPECT_THROW_WITH(AdamW<float>({}), GraphError, "AdamW: got an empty parameter list");
  // The other parameter-list errors name the optimizer too.
  EXPECT_THROW_WITH(RMSprop<double>({parameter<double>({1.0}), Tensor<double>()}), GraphError,
                    "RMSprop: parameter 1 is undefined");
}

}  // namespace
