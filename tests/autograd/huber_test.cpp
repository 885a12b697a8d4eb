// The custom-operation example: a user-written Huber loss has hand-checked values and
// gradients, records under its own name, and passes gradcheck / gradgradcheck.
#include <gtest/gtest.h>

#include "huber_loss.hpp"
#include "test_support.hpp"

namespace {

using Tn = xg::Tensor<double>;

TEST(CustomOp, HuberLossValuesAndGradientsByHand) {
  // d = (0.5, -3, 1): 0.5·0.25, 1·(3 - 0.5), 0.5·1 (|d| = delta is still quadratic).
  auto pred = Tn::from({3}, {0.5, -3.0, 1.0}, true);
  auto target = Tn::from({3}, {0.0, 0.0, 0.0}, true);
  auto loss = huber::huber_loss(pred, target, 1.0);
  EXPECT_STREQ(loss.op_name(), "huber_loss");
  EXPECT_NEAR(loss.item(), (0.125 + 2.5 + 0.5) / 3, 1e-15);
  loss.backward();
  const std::vector<double> want = {0.5 / 3, -1.0 / 3, 1.0 / 3};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(pred.grad().value()(i), want[i], 1e-15) << i;
    EXPECT_NEAR(target.grad().value()(i), -want[i], 1e-15) << i;
  }
}

TEST(CustomOp, HuberLossGradchecksAndRejectsShapeMismatch) {
  auto pred = xg::test::uniform<double>({4, 3}, -3, 3, 11);
  auto target = xg::test::uniform<double>({4, 3}, -1, 1, 12);
  xg::TensorFunction<double> f = [](const std::vector<Tn>& in) {
    return huber::huber_loss(in[0], in[1], 0.8);
  };
  EXPECT_GRADCHECK(double, f, {pred, target});
  EXPECT_GRADGRADCHECK(double, f, {pred, target});
  EXPECT_THROW_WITH(huber::huber_loss(pred, Tn::zeros({3, 4}), 1.0), xg::ShapeError, "huber_loss",
                    "(4, 3)", "(3, 4)");
}

}  // namespace
