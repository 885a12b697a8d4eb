// A user's GoogleTest suite for a custom operation, with xgrad/testing.hpp from the installed
// package. MustFail.* has a wrong backward rule: check_install.sh runs it apart and checks that
// it fails with gradcheck's message.
#include <xgrad/autograd.hpp>
#include <xgrad/testing.hpp>

#include <vector>

namespace {

using Td = xg::Tensor<double>;

Td cube(const Td& x, double slope) {
  return xg::record<double>("cube", xt::xarray<double>(x.value() * x.value() * x.value()), {x},
                            [slope](xg::BackwardContext<double>& c) {
                              c.input_grads[0] = c.grad * c.inputs[0] * c.inputs[0] * slope;
                            });
}

// snippet-begin: suite
TEST(Cube, GradientIsRight) {
  const Td x = Td::from({3}, {0.5, -1.5, 2.0}, true);
  auto f = [](const std::vector<Td>& in) { return xg::sum(cube(in[0], 3.0)); };
  EXPECT_GRADCHECK(f, {x});
  EXPECT_GRADCHECK(f, {x}, {.atol = 1e-7, .rtol = 1e-5});  // with GradcheckOptions
  EXPECT_GRADGRADCHECK(f, {x});
  EXPECT_THAT(cube(x, 3.0), xg::testing::TensorNear(Td::from({3}, {0.125, -3.375, 8.0}),
                                                    /*atol=*/1e-12, /*rtol=*/1e-9));
}
// snippet-end: suite

TEST(MustFail, WrongBackwardRule) {
  const Td x = Td::from({3}, {0.5, -1.5, 2.0}, true);
  auto f = [](const std::vector<Td>& in) { return xg::sum(cube(in[0], 2.0)); };
  EXPECT_GRADCHECK(f, {x});
}

}  // namespace
