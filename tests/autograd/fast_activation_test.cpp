// The float sigmoid and tanh run on vectorised polynomial approximations: check them against
// the double versions over the whole float range, including the denormal tail, 0 and NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_support.hpp"

namespace {

TEST(SigmoidAccuracy, FloatMatchesDoubleWithinTwoUlp) {
  std::vector<float> xs;
  for (float x = -110.0f; x <= 110.0f; x += 0.00731f) xs.push_back(x);
  xs.push_back(0.0f);
  xs.push_back(-0.0f);
  const auto n = xs.size();
  auto yf = xg::sigmoid(xg::Tensor<float>::from({n}, xs));
  std::vector<double> xd(xs.begin(), xs.end());
  auto yd = xg::sigmoid(xg::Tensor<double>::from({n}, xd));
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double exact = yd.value()(i);
    const double got = yf.value()(i);
    if (exact < std::numeric_limits<float>::min()) {  // denormal tail: absolute error of a couple
                                                      // of denormal steps
      EXPECT_NEAR(got, exact, 3e-45) << "x = " << xs[i];
      continue;
    }
    // Relative error in units of float's epsilon, plus the rounding of the input itself.
    worst = std::max(worst, std::abs(got - exact) / exact / std::numeric_limits<float>::epsilon());
  }
  EXPECT_LT(worst, 2.0);
  EXPECT_GT(worst, 0.0);  // the comparison really looks at float results
}

TEST(SigmoidAccuracy, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  auto y = xg::sigmoid(xg::Tensor<float>::from({4}, {inf, -inf, 0.0f, std::nanf("")}));
  EXPECT_EQ(y.value()(0), 1.0f);
  EXPECT_EQ(y.value()(1), 0.0f);
  EXPECT_EQ(y.value()(2), 0.5f);
  EXPECT_TRUE(std::isnan(y.value()(3)));
}

TEST(TanhAccuracy, FloatMatchesDoubleWithinFourUlp) {
  std::vector<float> xs;
  for (float x = -12.0f; x <= 12.0f; x += 0.000731f) xs.push_back(x);
  for (float x = 1e-9f; x < 0.6f; x *= 1.01f) xs.push_back(x);
  const auto n = xs.size();
  auto yf = xg::tanh(xg::Tensor<float>::from({n}, xs));
  std::vector<double> xd(xs.begin(), xs.end());
  auto yd = xg::tanh(xg::Tensor<double>::from({n}, xd));
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float exact = static_cast<float>(yd.value()(i));
    const float got = yf.value()(i);
    const float ulp = std::nextafter(std::abs(exact), 2.0f) - std::abs(exact);
    worst = std::max(worst, std::abs(static_cast<double>(got) - yd.value()(i)) / ulp);
    ASSERT_EQ(std::signbit(got), std::signbit(exact)) << "x = " << xs[i];
  }
  EXPECT_LT(worst, 4.0);
  const float inf = std::numeric_limits<float>::infinity();
  auto s = xg::tanh(xg::Tensor<float>::from({4}, {inf, -inf, -0.0f, std::nanf("")}));
  EXPECT_EQ(s.value()(0), 1.0f);
  EXPECT_EQ(s.value()(1), -1.0f);
  EXPECT_TRUE(s.value()(2) == 0.0f && std::signbit(s.value()(2)));
  EXPECT_TRUE(std::isnan(s.value()(3)));
}

}  // namespace
