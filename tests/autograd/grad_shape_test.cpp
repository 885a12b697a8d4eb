// Values a user may write (a gradient's or an input's, through mutable_value) that no longer
// fit the tape: backward throws xg::ShapeError naming the tensor and the shapes, never an
// xtensor exception or a silently reshaped gradient.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using xg::Tensor;

/// w of shape (2, 3) named "w", with a gradient from one backward pass.
Tensor<double> leaf_with_grad() {
  auto w = Tensor<double>::ones({2, 3}, true);
  w.set_name("w");
  xg::sum(w * 2.0).backward();
  return w;
}

TEST(GradShape, AGradientGivenANonBroadcastableShapeIsAShapeError) {
  auto w = leaf_with_grad();
  Tensor<double> g = w.grad();
  g.mutable_value() = xt::zeros<double>({4});
  EXPECT_THROW_WITH(xg::sum(w * 2.0).backward(), xg::ShapeError,
                    "backward: cannot accumulate into the gradient of a leaf named 'w' of shape "
                    "(2, 3): its .grad has shape (4) and the new gradient shape (2, 3)");
  EXPECT_EQ(w.grad().shape(), (xg::Shape{4}));  // untouched
}

TEST(GradShape, AGradientGivenABroadcastableShapeIsNotSilentlyResized) {
  auto w = leaf_with_grad();
  Tensor<double> g = w.grad();
  g.mutable_value() = xt::zeros<double>({3});
  EXPECT_THROW_WITH(xg::sum(w * 2.0).backward(), xg::ShapeError, "leaf named 'w'",
                    "its .grad has shape (3)", "new gradient shape (2, 3)");
  EXPECT_EQ(w.grad().shape(), (xg::Shape{3}));
}

TEST(GradShape, AWrongShapedGradientIsAShapeErrorWithCreateGraphToo) {
  auto w = leaf_with_grad();
  Tensor<double> g = w.grad();
  g.mutable_value() = xt::zeros<double>({1});  // add() would broadcast it
  EXPECT_THROW_WITH(xg::sum(w * w).backward({.create_graph = true}), xg::ShapeError,
                    "leaf named 'w'", "its .grad has shape (1)");
  w.zero_grad();
}

TEST(GradShape, ARetainedGradientOfANonLeafIsCheckedToo) {
  auto x = Tensor<double>::ones({2}, true);
  auto h = (x * 3.0).set_name("h");
  h.retain_grad();
  auto loss = xg::sum(h * h);
  loss.backward({.retain_graph = true});
  Tensor<double> g = h.grad();
  g.mutable_value() = xt::zeros<double>({5});
  EXPECT_THROW_WITH(loss.backward(), xg::ShapeError, "named 'h' of shape (2)",
                    "its .grad has shape (5) and the new gradient shape (2)");
}

TEST(GradShape, AnInputValueReshapedAfterRecordingIsAShapeError) {
  auto a = Tensor<double>::ones({3}, true);
  auto b = Tensor<double>::ones({3}, true);
  auto loss = xg::sum(xg::exp(a + b));
  // add's rule reads no value (so the version check lets it run) and hands g, of shape (3), to
  // a, whose new shape (4) it is not a broadcast of.
  a.mutable_value() = xt::ones<double>({4});
  EXPECT_THROW_WITH(
      loss.backward(), xg::ShapeError,
      "the rule of 'add' produced a gradient of shape (3) for its input 0 of shape (4)",
      "an input's value was given another shape after the operation was recorded");
}

TEST(GradShape, AReshapedValueThatARuleReadsIsCaughtByItsVersion) {
  // matmul's rule reads both values: the version check stops it before it multiplies whatever
  // shapes it finds.
  auto a = Tensor<double>::ones({2, 3}, true);
  auto b = Tensor<double>::ones({3, 2}, true);
  auto loss = xg::sum(xg::matmul(a, b) + 1.0);
  b.mutable_value() = xt::ones<double>({4, 2});
  EXPECT_THROW_WITH(loss.backward(), xg::GraphError,
                    "backward of 'matmul': its input 1, a leaf of shape (4, 2), was modified in "
                    "place after 'matmul' saved it (version 0 when saved, now 1)");
}

TEST(GradShape, ARightShapedGradientStillAccumulates) {
  auto w = leaf_with_grad();
  Tensor<double> g = w.grad();
  g.mutable_value() = xt::ones<double>({2, 3});  // replaced, same shape: fine
  xg::sum(w * 2.0).backward();
  EXPECT_EQ(w.grad().value(), xt::xarray<double>(xt::ones<double>({2, 3}) * 3.0));
}

}  // namespace
