// linear(x, W, b) = x W + b as one recorded operation: values against xtensor-blas, gradients
// against finite differences and the closed forms, second derivatives, the fallback for batched
// inputs, and the error messages.
#include <gtest/gtest.h>

#include <utility>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"

namespace xg {
namespace {

using test::expect_close;
using test::Fn;
using test::uniform;
using D = Tensor<double>;

template <class T>
xt::xarray<T> reference_linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
  xt::xarray<T> y = xt::linalg::dot(x.value(), w.value());
  if (b.defined()) y += b.value();
  return y;
}

template <class T>
void check_values(double tol) {
  for (const Shape& xs : {Shape{5, 3}, Shape{3}, Shape{1, 3}, Shape{2, 4, 3}}) {
    SCOPED_TRACE(shape_str(xs));
    auto x = uniform<T>(xs, -1, 1, 1, false);
    auto w = uniform<T>({3, 4}, -1, 1, 2, false);
    auto b = uniform<T>({4}, -1, 1, 3, false);
    Tensor<T> y = linear(x, w, b);
    Shape want = xs;
    want.back() = 4;
    EXPECT_EQ(y.shape(), want);
    expect_close<T>(y.value(), reference_linear(x, w, b), tol);
    expect_close<T>(linear(x, w).value(), reference_linear(x, w, Tensor<T>()), tol);
  }
}

TEST(Linear, ValuesMatchXtensorBlas) {
  check_values<double>(1e-14);
  check_values<float>(1e-6);
}

TEST(Linear, IsOneRecordedOperation) {
  D x = uniform<double>({5, 3}, -1, 1, 1, false);
  D w = uniform<double>({3, 4}, -1, 1, 2);
  D b = uniform<double>({4}, -1, 1, 3);
  D y = linear(x, w, b);
  EXPECT_STREQ(y.op_name(), "linear");
  ASSERT_EQ(xg::NodeView<double>(y).inputs().size(), 3u);
  EXPECT_EQ(xg::NodeView<double>(linear(x, w)).inputs().size(), 2u);
  // Batched input: matmul + add, so the gradients still come from recorded rules.
  EXPECT_STREQ(linear(uniform<double>({2, 5, 3}), w, b).op_name(), "add");
}

TEST(Linear, BackwardMatchesTheClosedForms) {
  D x = uniform<double>({5, 3}, -1, 1, 1);
  D w = uniform<double>({3, 4}, -1, 1, 2);
  D b = uniform<double>({4}, -1, 1, 3);
  D g = uniform<double>({5, 4}, -1, 1, 4, false);
  linear(x, w, b).backward(g);
  expect_close<double>(x.grad().value(), xt::linalg::dot(g.value(), xt::transpose(w.value())),
                       1e-14);
  expect_close<double>(w.grad().value(), xt::linalg::dot(xt::transpose(x.value()), g.value()),
                       1e-14);
  xt::xarray<double> db = xt::sum(g.value(), {0});
  expect_close<double>(b.grad().value(), db, 1e-14);
  EXPECT_TRUE(w.grad().is_leaf());  // plain backward records nothing
}

template <class T>
void check_linear_gradients() {
  const auto w = uniform<T>({3, 4}, -1, 1, 2);
  const auto b = uniform<T>({4}, -1, 1, 3);
  // A nonlinear readout, so that the second derivatives are not all zero.
  Fn<T> with_bias = [](const std::vector<Tensor<T>>& a) {
    Tensor<T> y = linear(a[0], a[1], a[2]);
    return sum(y * y);
  };
  Fn<T> no_bias = [](const std::vector<Tensor<T>>& a) {
    Tensor<T> y = linear(a[0], a[1]);
    return sum(y * y);
  };
  for (const Shape& xs : {Shape{5, 3}, Shape{3}, Shape{1, 3}, Shape{2, 2, 3}}) {
    SCOPED_TRACE(shape_str(xs));
    const auto x = uniform<T>(xs, -1, 1, 1);
    EXPECT_GRADCHECK(T, with_bias, {x, w, b});
    EXPECT_GRADCHECK(T, no_bias, {x, w});
    if constexpr (std::is_same_v<T, double>) {
      EXPECT_GRADGRADCHECK(T, with_bias, {x, w, b});
      EXPECT_GRADGRADCHECK(T, no_bias, {x, w});
    }
  }
  // Only some inputs require grad.
  EXPECT_GRADCHECK(T, with_bias, {uniform<T>({5, 3}, -1, 1, 1, false), w, b});
  EXPECT_GRADCHECK(T, with_bias,
                   {uniform<T>({5, 3}, -1, 1, 1), uniform<T>({3, 4}, -1, 1, 2, false), b});
}

TEST(Linear, GradcheckDouble) {
  check_linear_gradients<double>();
}
TEST(Linear, GradcheckFloat) {
  check_linear_gradients<float>();
}

TEST(Linear, CreateGraphRecordsTheBackward) {
  D x = uniform<double>({5, 3}, -1, 1, 1);
  D w = uniform<double>({3, 4}, -1, 1, 2);
  D b = uniform<double>({4}, -1, 1, 3);
  GradOptions go;
  go.create_graph = true;
  auto g = grad<double>({sum(linear(x, w, b))}, {x, w, b}, {}, go);
  EXPECT_STREQ(g[0].op_name(), "matmul");
  EXPECT_STREQ(g[1].op_name(), "matmul");
  for (double v : g[2].value()) EXPECT_DOUBLE_EQ(v, 5.0);  // db = the 5 rows of g = 1 summed
  // dL/dx = 1 W^T, so sum(dL/dx) = 5 sum(W): its gradient in W is 5 everywhere.
  auto h = grad<double>({sum(g[0])}, {w});
  for (double v : h[0].value()) EXPECT_DOUBLE_EQ(v, 5.0);
}

TEST(Linear, EmptyDimensions) {
  // No output features, no input features, no rows: shapes follow, nothing divides by zero.
  for (const auto& [xs, ws] :
       {std::pair<Shape, Shape>{{2, 3}, {3, 0}}, std::pair<Shape, Shape>{{2, 0}, {0, 4}},
        std::pair<Shape, Shape>{{0, 3}, {3, 4}}}) {
    SCOPED_TRACE(shape_str(xs) + " x " + shape_str(ws));
    D x = D::full(xs, 1.0, true), w = D::full(ws, 1.0, true), b = D::full({ws[1]}, 0.5, true);
    D y = linear(x, w, b);
    EXPECT_EQ(y.shape(), (Shape{xs[0], ws[1]}));
    // Plain loops over the buffers: xtensor's iterators offset a null pointer on empty arrays.
    auto all_equal = [](const D& t, double want) {
      for (std::size_t i = 0; i < t.size(); ++i) EXPECT_DOUBLE_EQ(t.value().data()[i], want);
    };
    all_equal(y, 0.5 + static_cast<double>(ws[0]));
    sum(y).backward();
    EXPECT_EQ(x.grad().shape(), xs);
    EXPECT_EQ(w.grad().shape(), ws);
    all_equal(w.grad(), static_cast<double>(xs[0]));
    all_equal(b.grad(), static_cast<double>(xs[0]));
  }
}

TEST(Linear, Errors) {
  EXPECT_THROW_WITH(linear(D::zeros({2, 3}), D::zeros({4, 5})), ShapeError,
                    "linear: input (2, 3), weight (4, 5)", "end in 4 features");
  EXPECT_THROW_WITH(linear(D::zeros({2, 3}), D::zeros({3, 5}), D::zeros({4})), ShapeError, "linear",
                    "bias (4)", "(5)");
  EXPECT_THROW_WITH(linear(D::zeros({2, 3}), D::zeros({3, 5}), D::zeros({1, 5})), ShapeError,
                    "bias (1, 5)");
  EXPECT_THROW_WITH(linear(D::zeros({2, 3}), D::zeros({3})), ShapeError, "weight (3)", "2-D");
  EXPECT_THROW_WITH(linear(D::scalar(1.0), D::zeros({3, 2})), ShapeError, "input ()");
  EXPECT_THROW(linear(D(), D::zeros({3, 2})), GraphError);
  EXPECT_THROW(linear(D::zeros({2, 3}), D()), GraphError);
}

TEST(Linear, NodesAreFreed) {
  const long before = live_node_count<double>();
  {
    D x = uniform<double>({5, 3});
    D w = uniform<double>({3, 4});
    D b = uniform<double>({4});
    sum(tanh(linear(x, w, b))).backward();
    EXPECT_TRUE(b.has_grad());
  }
  EXPECT_EQ(live_node_count<double>(), before);
}

}  // namespace
}  // namespace xg
