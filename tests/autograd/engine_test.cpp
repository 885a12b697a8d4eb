// The tape and the engine: order, accumulation, release, deep graphs, errors.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace xg {
namespace {

using T = Tensor<double>;

TEST(Engine, ClosedFormSumOfSquares) {
  T x = T::from({3}, {1.0, -2.0, 3.5}, true);
  sum(x * x).backward();
  ASSERT_TRUE(x.has_grad());
  EXPECT_DOUBLE_EQ(x.grad().value()(0), 2.0);
  EXPECT_DOUBLE_EQ(x.grad().value()(1), -4.0);
  EXPECT_DOUBLE_EQ(x.grad().value()(2), 7.0);
}

TEST(Engine, ReusedTensorReceivesSumOfContributions) {
  // b = a + a; c = b * a  => dc/da = 2a + b = 4a
  T a = T::scalar(3.0, true);
  T b = a + a;
  T c = b * a;
  c.backward();
  EXPECT_DOUBLE_EQ(a.grad().item(), 12.0);
}

}  // namespace
}  // namespace xg
