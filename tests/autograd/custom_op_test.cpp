// The custom-operation recipe of docs/autograd.md: a user-defined swish, recorded with
// xg::record and verified with gradcheck and gradgradcheck.
#include <gtest/gtest.h>

#include <xtensor/xmath.hpp>

#include "test_support.hpp"

namespace {

// swish(x) = x * sigmoid(x); swish' = s + x s (1 - s)
xg::Tensor<double> swish(const xg::Tensor<double>& x) {
  xt::xarray<double> s = 1.0 / (1.0 + xt::exp(-x.value()));
  return xg::record<double>("swish", x.value() * s, {x}, [](xg::BackwardContext<double>& c) {
    auto s = xg::sigmoid(c.inputs[0]);
    c.input_grads[0] = c.grad * (s + c.inputs[0] * s * (1.0 - s));
  });
}

TEST(CustomOp, SwishRecordsAndGradchecks) {
  auto x = xg::test::uniform<double>({3, 4}, -3, 3, 17);
  auto y = swish(x);
  EXPECT_STREQ(y.op_name(), "swish");
  EXPECT_NEAR(y.value()(0, 0), x.value()(0, 0) / (1 + std::exp(-x.value()(0, 0))), 1e-15);
  xg::TensorFunction<double> f = [](auto& in) { return swish(in[0]); };
  EXPECT_GRADCHECK(double, f, {x});
  EXPECT_GRADGRADCHECK(double, f, {x});
}

}  // namespace
