// In-place operations and version counters: writes in place bump a tensor's version, a rule that
// saved a value refuses to run once it was written, and in-place operations on the tape record
// their out-of-place form.
#include <gtest/gtest.h>

#include <vector>

#include "test_support.hpp"

namespace {

using Td = xg::Tensor<double>;
using xg::test::expect_close;

TEST(InPlace, WritesTheValueAndCountsEachWrite) {
  auto t = Td::from({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(t.version(), 0u);
  t.add_(1.0);
  expect_close(t.value(), xt::xarray<double>{{2, 3}, {4, 5}}, 0);
  t.mul_(Td::from({2}, {10, 100}));  // broadcast along the rows
  expect_close(t.value(), xt::xarray<double>{{20, 300}, {40, 500}}, 0);
  t.sub_(Td::from({2, 1}, {20, 40}));
  expect_close(t.value(), xt::xarray<double>{{0, 280}, {0, 460}}, 0);
  t.div_(2.0).sub_(10.0);
  expect_close(t.value(), xt::xarray<double>{{-10, 130}, {-10, 220}}, 0);
  t.clamp_(-5.0, 200.0);
  expect_close(t.value(), xt::xarray<double>{{-5, 130}, {-5, 200}}, 0);
  t.div_(Td::from({2, 2}, {5, 10, -5, 8}));
  expect_close(t.value(), xt::xarray<double>{{-1, 13}, {1, 25}}, 0);
  EXPECT_EQ(t.version(), 7u);
  t.copy_(Td::from({2}, {7, 8}));
  expect_close(t.value(), xt::xarray<double>{{7, 8}, {7, 8}}, 0);
  t.fill_(3.0);
  expect_close(t.value(), xt::xarray<double>{{3, 3}, {3, 3}}, 0);
  t.zero_();
  expect_close(t.value(), xt::xarray<double>{{0, 0}, {0, 0}}, 0);
  EXPECT_EQ(t.version(), 10u);
  t.mutable_value();
  t.set_value(xt::xarray<double>{{1, 1}, {1, 1}});
  EXPECT_EQ(t.version(), 12u);
}

TEST(InPlace, AnOperandThatDoesNotBroadcastToTheTensorIsAShapeError) {
  auto t = Td::zeros({2, 3});
  EXPECT_THROW_WITH(t.add_(Td::zeros({2})), xg::ShapeError, "add_");
  EXPECT_THROW_WITH(t.mul_(Td::zeros({4, 2, 3})), xg::ShapeError,
                    "mul_: the operand of shape (4, 2, 3) does not broadcast to the shape of the "
                    "tensor written in place, (2, 3)");
  EXPECT_THROW_WITH(t.copy_(Td::zeros({3, 3})), xg::ShapeError, "copy_");
  EXPECT_EQ(t.version(), 0u);
  EXPECT_THROW_WITH(Td().add_(1.0), xg::GraphError, "add_: undefined tensor argument");
  EXPECT_THROW_WITH(t.add_(Td()), xg::GraphError, "add_: undefined tensor argument");
}

TEST(InPlace, ALeafThatRequiresGradIsRefusedUnderGradMode) {
  auto w = Td::from({2}, {1, 2}, true).set_name("w");
  EXPECT_THROW_WITH(w.add_(1.0), xg::GraphError,
                    "add_: a leaf named 'w' of shape (2) requires grad and cannot be written in "
                    "place while grad mode is on");
  EXPECT_THROW_WITH(w.zero_(), xg::GraphError, "fill_");
  EXPECT_EQ(w.version(), 0u);
  {
    xg::NoGradGuard no_grad;
    w.sub_(Td::from({2}, {0.5, 0.5}));
  }
  expect_close(w.value(), xt::xarray<double>{0.5, 1.5}, 0);
  EXPECT_EQ(w.version(), 1u);
  EXPECT_TRUE(w.is_leaf());
}

TEST(InPlace, OnTheTapeRecordsTheOutOfPlaceOperationAndGradchecks) {
  auto f = [](const std::vector<Td>& in) {
    auto y = in[0] * in[1];
    y.add_(in[1]);
    y.mul_(in[0]);
    y.sub_(0.25).div_(in[1] + 3.0);
    y.clamp_(-2.0, 2.0);
    y.div_(2.0).mul_(3.0).add_(1.0);
    return y;
  };
  auto x = Td::from({2, 3}, {0.3, -0.7, 1.1, 0.4, -0.2, 0.9}, true);
  auto w = Td::from({3}, {0.5, -1.2, 0.8}, true);
  EXPECT_GRADCHECK(double, f, {x, w});
  EXPECT_GRADGRADCHECK(double, f, {x, w});
}

TEST(InPlace, OnTheTapeRebindsTheHandleAndLeavesEarlierUsesTheirValue) {
  auto x = Td::from({2}, {1, 2}, true);
  auto y = xg::exp(x);  // exp saves its output
  auto z = y * 2.0;
  const xt::xarray<double> before = y.value();
  y.add_(10.0).set_name("y");
  EXPECT_EQ(std::string(y.op_name()), "add_scalar");
  expect_close(y.value(), xt::xarray<double>(before + 10.0), 0);
  xg::sum(z + y).backward();  // exp's saved output is the value it computed: no error
  expect_close(x.grad().value(), xt::xarray<double>(3.0 * before), 1e-14);
}

TEST(InPlace, AWriteToAValueARuleSavedIsAGraphErrorNamingBoth) {
  auto a = Td::from({3}, {1, 2, 3}).set_name("a");
  auto w = Td::from({3}, {4, 5, 6}, true);
  auto y = xg::sum(a * w);  // mul saves a for w's gradient
  a.add_(1.0);              // a requires no grad: written in place
  EXPECT_THROW_WITH(y.backward(), xg::GraphError,
                    "backward of 'mul': its input 0, a leaf named 'a' of shape (3), was modified "
                    "in place after 'mul' saved it (version 0 when saved, now 1)");
}

TEST(InPlace, AWriteToAnOutputItsRuleSavedIsAGraphError) {
  auto x = Td::from({2}, {0.5, -0.5}, true);
  auto s = xg::sigmoid(x);
  auto loss = xg::sum(s);
  s.mutable_value() *= 2.0;
  EXPECT_THROW_WITH(loss.backward(), xg::GraphError,
                    "backward of 'sigmoid': its output, the result of 'sigmoid' of shape (2), was "
                    "modified in place after 'sigmoid' saved it (version 0 when saved, now 1)");
}

TEST(InPlace, AWriteToAValueNoRuleReadsIsAllowed) {
  auto a = Td::from({3}, {1, 2, 3});
  auto w = Td::from({3}, {4, 5, 6}, true);
  auto y = xg::sum(a + w);  // add reads no value
  a.mul_(7.0);
  y.backward();
  expect_close(w.grad().value(), xt::xarray<double>{1, 1, 1}, 0);
}

TEST(InPlace, AParameterStepBetweenTwoBackwardPassesIsCaught) {
  auto w = Td::from({2}, {1, 2}, true).set_name("w");
  auto loss = xg::sum(w * w);
  loss.backward({.retain_graph = true});
  {
    xg::NoGradGuard no_grad;
    w.sub_(w.grad() * 0.1);  // what an optimizer step does
  }
  EXPECT_THROW_WITH(loss.backward(), xg::GraphError,
                    "'mul': its input 0, a leaf named 'w' of shape (2), was modified in place");
}

TEST(InPlace, CopyAndFillOnTheTapeGiveZeroToTheOverwrittenValue) {
  auto x = Td::from({2, 2}, {1, 2, 3, 4}, true);
  auto src = Td::from({2}, {5, 6}, true);
  auto y = x * 2.0;
  y.copy_(src);  // broadcast over the rows
  xg::sum(y * Td::from({2, 2}, {1, 2, 3, 4})).backward();
  expect_close(src.grad().value(), xt::xarray<double>{4, 6}, 0);
  expect_close(x.grad().value(), xt::xarray<double>(xt::zeros<double>({2, 2})), 0);

  auto x2 = Td::from({2}, {1, 2}, true);
  auto z = x2 * 3.0;
  z.fill_(9.0);
  EXPECT_TRUE(z.requires_grad());
  expect_close(z.value(), xt::xarray<double>{9, 9}, 0);
  xg::sum(z).backward();
  expect_close(x2.grad().value(), xt::xarray<double>(xt::zeros<double>({2})), 0);
}

TEST(InPlace, ATensorWithoutGradTakesOneThatRequiresIt) {
  auto t = Td::from({2}, {1, 2});
  auto w = Td::from({2}, {3, 4}, true);
  t.mul_(w);  // recorded: t now depends on w
  EXPECT_TRUE(t.requires_grad());
  xg::sum(t).backward();
  expect_close(w.grad().value(), xt::xarray<double>{1, 2}, 0);
}

}  // namespace
