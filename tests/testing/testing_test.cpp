// xgrad/testing.hpp as a user's suite uses it: the assertions pass on correct rules, and fail,
// with the messages promised, on a wrong rule and on tensors that differ.
#include "xgrad/testing.hpp"

#include <gtest/gtest-spi.h>

#include <string>
#include <vector>

#include "xgrad/autograd.hpp"

namespace {

using Td = xg::Tensor<double>;
using ::testing::HasSubstr;
using ::testing::Not;
using xg::testing::TensorNear;

/// x^2 with the derivative 3x instead of 2x: the bug a gradcheck exists to catch.
Td wrong_square(const Td& x) {
  return xg::record<double>(
      "wrong_square", xt::xarray<double>(x.value() * x.value()), {x},
      [](xg::BackwardContext<double>& c) { c.input_grads[0] = c.grad * c.inputs[0] * 3.0; });
}

Td leaf() {
  return Td::from({3}, {0.5, -1.25, 2.0}, true);
}

TEST(Gradcheck, PassesOnCorrectRulesWithBracedOrVectorInputsAndOptions) {
  const Td x = leaf(), w = Td::from({3}, {0.3, 0.1, -0.7}, true);
  auto f = [](const std::vector<Td>& in) { return xg::sum(xg::tanh(in[0] * in[1])); };
  EXPECT_GRADCHECK(f, {x, w});
  ASSERT_GRADCHECK(f, std::vector<Td>{x, w}, {.eps = 1e-6, .atol = 1e-7, .rtol = 1e-5});
  EXPECT_GRADGRADCHECK(f, {x, w});
  ASSERT_GRADGRADCHECK(f, {x, w});
}

/// EXPECT_FATAL_FAILURE's statement may not use the test's local variables.
void assert_gradcheck_of_wrong_square() {
  const Td x = leaf();
  auto f = [](const std::vector<Td>& in) { return xg::sum(wrong_square(in[0])); };
  ASSERT_GRADCHECK(f, {x});
  ADD_FAILURE() << "ASSERT_GRADCHECK did not return";
}

TEST(Gradcheck, AWrongRuleFailsWithTheArgumentsAndTheElement) {
  const Td x = leaf();
  auto f = [](const std::vector<Td>& in) { return xg::sum(wrong_square(in[0])); };
  EXPECT_NONFATAL_FAILURE(EXPECT_GRADCHECK(f, {x}), "gradcheck(f, {x}) failed: ");
  EXPECT_NONFATAL_FAILURE(EXPECT_GRADCHECK(f, {x}), "input 0");
  EXPECT_FATAL_FAILURE(assert_gradcheck_of_wrong_square(), "gradcheck(f, {x}) failed");
}

TEST(TensorNearMatcher, MatchesWithinTolerance) {
  const Td a = Td::from({2, 2}, {1.0, 2.0, 3.0, 4.0});
  const Td b = Td::from({2, 2}, {1.0, 2.0 + 1e-9, 3.0, 4.0});
  EXPECT_THAT(b, TensorNear(a, 1e-8, 0));
  EXPECT_THAT(b, Not(TensorNear(a, 1e-10, 0)));
  EXPECT_THAT(Td::from({1}, {std::nan("")}), TensorNear(Td::from({1}, {std::nan("")})));
}

TEST(TensorNearMatcher, ExplainsTheShapeAndTheWorstElements) {
  const Td want = Td::from({2, 3}, {0, 1, 2, 3, 4, 5});
  const Td got = Td::from({2, 3}, {0, 1.5, 2, 3, 4, 9});
  const std::string m = ::testing::DescribeMatcher<const Td&>(TensorNear(want, 1e-6, 0));
  EXPECT_THAT(m, HasSubstr("shape (2, 3)"));
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(TensorNear(want, 1e-6, 0), got, &listener));
  const std::string why = listener.str();
  EXPECT_THAT(why, HasSubstr("2 of 6 elements outside atol"));
  // The worst first, with its multi-index and both values.
  EXPECT_THAT(why, HasSubstr("[1, 2]: got 9, expected 5 (difference 4)"));
  EXPECT_LT(why.find("[1, 2]"), why.find("[0, 1]"));
  ::testing::StringMatchResultListener shapes;
  EXPECT_FALSE(::testing::ExplainMatchResult(TensorNear(want), Td::from({3, 2}, {0, 1, 2, 3, 4, 5}),
                                             &shapes));
  EXPECT_THAT(shapes.str(), HasSubstr("which has shape (3, 2)"));
}

}  // namespace
