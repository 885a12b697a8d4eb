// The ice-cream network: the output-bias derivative written out with the chain rule equals the
// tape's.
#include <gtest/gtest.h>

#include "ice_cream_data.hpp"
#include "test_support.hpp"

namespace xg {
namespace {

using Tn = Tensor<double>;

TEST(IceCream, OutputBiasDerivativeByHandEqualsTape) {
  const Tn x = ice_cream::inputs<double>();
  const Tn y = ice_cream::targets<double>();
  for (double bias : {0.0, 0.1, 0.25, 0.45}) {
    auto p = ice_cream::true_params<double>(true);
    p.b_out.mutable_value()(0) = bias;
    auto loss = mse_loss(ice_cream::predict(p, x), y);
    loss.backward();

    // By hand: dMSE/db = sum_i dMSE/dr_i * dr_i/dz_i * dz_i/db
    //        = sum_i (2/N)(r_i - y_i) * relu'(z_i) * 1, with z the output neuron's input.
    const auto& w1 = p.w_hidden.value();
    const auto& b1 = p.b_hidden.value();
    const auto& w2 = p.w_out.value();
    double by_hand = 0;
    for (std::size_t i = 0; i < ice_cream::kRows; ++i) {
      double z = bias;
      for (std::size_t j = 0; j < 2; ++j) {
        double hidden = b1(j) + x.value()(i, 0) * w1(0, j) + x.value()(i, 1) * w1(1, j);
        z += std::max(hidden, 0.0) * w2(j, 0);
      }
      const double r = std::max(z, 0.0);
      const double dmse_dr = 2.0 / ice_cream::kRows * (r - y.value()(i, 0));
      const double dr_dz = z > 0 ? 1.0 : 0.0;
      by_hand += dmse_dr * dr_dz * 1.0;
    }
    EXPECT_NEAR(p.b_out.grad().item(), by_hand, 1e-14) << "bias " << bias;
  }
}

TEST(IceCream, MseIsLowestNearTheTrueBias) {
  const Tn x = ice_cream::inputs<double>();
  const Tn y = ice_cream::targets<double>();
  auto p = ice_cream::true_params<double>();
  std::vector<double> curve;
  for (int k = 0; k <= 5; ++k) {
    p.b_out.mutable_value()(0) = 0.1 * k;
    curve.push_back(mse_loss(ice_cream::predict(p, x), y).item());
  }
  // Falls to the minimum at 0.3, then rises again (the brute-force scan of examples/ice_cream.cpp).
  for (int k = 0; k < 3; ++k) EXPECT_GT(curve[k], curve[k + 1]) << k;
  for (int k = 3; k < 5; ++k) EXPECT_LT(curve[k], curve[k + 1]) << k;
}

TEST(IceCream, WholeNetworkGradcheck) {
  const Tn x = ice_cream::inputs<double>();
  const Tn y = ice_cream::targets<double>();
  auto p = ice_cream::true_params<double>(true);
  TensorFunction<double> f = [&](const std::vector<Tn>& q) {
    return mse_loss(ice_cream::predict<double>({q[0], q[1], q[2], q[3]}, x), y);
  };
  EXPECT_GRADCHECK(double, f, {p.w_hidden, p.b_hidden, p.w_out, p.b_out});
}

}  // namespace
}  // namespace xg
