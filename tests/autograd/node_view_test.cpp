// The public read-only view of the tape (xg::NodeView), Tensor::set_grad, and the inputs a custom
// operation's rule reads (xg::InputSpan).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"
#include "xgrad/node_view.hpp"

namespace {

using D = xg::Tensor<double>;
using View = xg::NodeView<double>;

TEST(NodeView, ShowsALeaf) {
  D w = D::from({2}, {1.5, -2.0}, true).set_name("w");
  const View v(w);
  EXPECT_TRUE(v.is_leaf());
  EXPECT_STREQ(v.op_name(), "leaf");
  EXPECT_TRUE(v.requires_grad());
  EXPECT_FALSE(v.retains_grad());
  EXPECT_FALSE(v.released());
  EXPECT_EQ(v.name(), "w");
  EXPECT_DOUBLE_EQ(v.value()(1), -2.0);
  EXPECT_FALSE(v.grad().defined());
  EXPECT_TRUE(v.inputs().empty());
  EXPECT_EQ(v.identity(), w.identity());
  EXPECT_EQ(View(D(w)).identity(), w.identity());  // every handle: the same node
}

TEST(NodeView, ShowsAnOperationItsInputsAndWhatBackwardLeaves) {
  D a = D::from({2}, {1.0, 2.0}, true).set_name("a");
  D c = D::from({2}, {10.0, 20.0}).set_name("c");
  D m = (a * c).set_name("m");
  m.retain_grad();
  D f = xg::sum(m);
  const View vm(m);
  EXPECT_FALSE(vm.is_leaf());
  EXPECT_STREQ(vm.op_name(), "mul");
  EXPECT_TRUE(vm.requires_grad());
  EXPECT_TRUE(vm.retains_grad());
  EXPECT_EQ(vm.name(), "m");
  EXPECT_DOUBLE_EQ(vm.value()(1), 40.0);
  ASSERT_EQ(vm.inputs().size(), 2u);
  EXPECT_EQ(vm.inputs()[0].identity(), a.identity());
  EXPECT_EQ(vm.inputs()[1].identity(), c.identity());
  std::vector<std::string> names;
  for (const D& in : vm.inputs()) names.push_back(in.name());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c"}));
  EXPECT_FALSE(View(vm.inputs()[1]).requires_grad());

  f.backward();
  EXPECT_TRUE(vm.released());  // no retain_graph: the tape let go of m's inputs
  EXPECT_TRUE(vm.inputs().empty());
  ASSERT_TRUE(vm.grad().defined());
  EXPECT_DOUBLE_EQ(vm.grad().value()(0), 1.0);
  EXPECT_DOUBLE_EQ(View(a).grad().value()(1), 20.0);
}

TEST(NodeView, OfAnUndefinedTensorIsAGraphError) {
  EXPECT_THROW_WITH((void)View(D{}), xg::GraphError, "NodeView", "undefined");
}

TEST(SetGrad, ReplacesTheGradientAndBackwardAddsToIt) {
  D w = D::from({2}, {3.0, 4.0}, true);
  w.set_grad(D::from({2}, {1.0, 1.0}));
  EXPECT_EQ(w.grad().value(), (xt::xarray<double>{1.0, 1.0}));
  xg::sum(w * w).backward();
  EXPECT_EQ(w.grad().value(), (xt::xarray<double>{7.0, 9.0}));  // 1 + 2w
  w.set_grad(D());                                              // like p.grad = None
  EXPECT_FALSE(w.has_grad());
}

TEST(SetGrad, RejectsAnotherShapeNamingTheTensor) {
  D w = D::zeros({2, 3}, true).set_name("fc1.weight");
  EXPECT_THROW_WITH(w.set_grad(D::zeros({3, 2})), xg::ShapeError, "set_grad", "'fc1.weight'",
                    "(2, 3)", "(3, 2)");
  EXPECT_THROW_WITH(w.set_grad(D::zeros({6})), xg::ShapeError, "set_grad", "(6)");
  EXPECT_FALSE(w.has_grad());
  EXPECT_THROW_WITH(D().set_grad(D::zeros({1})), xg::GraphError, "set_grad", "undefined");
}

/// A custom operation of three inputs (a list on the heap of the node): the rule sees them
/// through c.inputs as a read-only span, in order.
D weighted_sum(const std::vector<D>& xs) {
  xt::xarray<double> total = xt::zeros<double>(xs[0].value().shape());
  for (std::size_t i = 0; i < xs.size(); ++i) total += double(i + 1) * xs[i].value();
  return xg::record<double>("weighted_sum", std::move(total), xs,
                            [](xg::BackwardContext<double>& c) {
                              std::size_t i = 0;
                              for (const D& in : c.inputs) {
                                EXPECT_EQ(in.identity(), c.inputs[i].identity());
                                if (c.needs(i)) c.input_grads[i] = c.grad * double(i + 1);
                                ++i;
                              }
                              EXPECT_EQ(i, c.inputs.size());
                            });
}

TEST(InputSpan, ACustomRuleReadsEveryInputInOrder) {
  std::vector<D> xs;
  for (int i = 0; i < 3; ++i) xs.push_back(D::full({2}, 1.0, i != 1));
  D y = weighted_sum(xs);
  EXPECT_DOUBLE_EQ(y.value()(0), 6.0);
  ASSERT_EQ(View(y).inputs().size(), 3u);
  xg::sum(y).backward();
  EXPECT_DOUBLE_EQ(xs[0].grad().value()(0), 1.0);
  EXPECT_FALSE(xs[1].has_grad());
  EXPECT_DOUBLE_EQ(xs[2].grad().value()(1), 3.0);
}

}  // namespace
