// Shape operations: reshape family, broadcast_to / sum_to, transpose, permute, narrow,
// slice_rows, index_select, gather, concat, stack. Values against hand-written expectations,
// gradients (double and float), second derivatives through the recorded backward ops, errors.
#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;

/// 0, 1, 2, ... in the given shape.
D iota(const Shape& shape, bool requires_grad = false) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 0.0);
  return D::from(shape, v, requires_grad);
}

/// The values in row-major memory order (what the buffer really holds).
/// gradcheck and gradgradcheck of `f` (a generic lambda over the inputs) in double and in
/// float, on uniform inputs of `shapes`. The second-derivative check squares the output: the
/// shape operations are linear, so only through y * y does it see their recorded backward ops.
template <class F>
void check_op(const F& f, const std::vector<Shape>& shapes, unsigned seed = 1) {
  auto run = [&]<class T>() {
    std::vector<Tensor<T>> x;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      x.push_back(uniform<T>(shapes[i], -1, 1, seed + static_cast<unsigned>(i)));
    }
    Fn<T> fn = [&f](const std::vector<Tensor<T>>& v) { return f(v); };
    Fn<T> squared = [&f](const std::vector<Tensor<T>>& v) {
      Tensor<T> y = f(v);
      return y * y;
    };
    EXPECT_GRADCHECK(T, fn, x);
    EXPECT_GRADGRADCHECK(T, squared, x);
  };
  {
    SCOPED_TRACE("double");
    run.template operator()<double>();
  }
  {
    SCOPED_TRACE("float");
    run.template operator()<float>();
  }
}

/// The braced list as a vector (lets concat / stack deduce T inside generic lambdas).
template <class T>
std::vector<Tensor<T>> parts(std::initializer_list<Tensor<T>> list) {
  return std::vector<Tensor<T>>(list);
}

// ---- reshape, flatten, squeeze, unsqueeze (ops/reshape.cpp) ----

TEST(ShapeReshape, ValuesAndInferredAxis) {
  D a = iota({2, 3});
  D r = reshape(a, {3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(test::values_of(r), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(reshape(a, {-1}).shape(), (Shape{6}));
  EXPECT_EQ(reshape(a, {1, 6, 1}).shape(), (Shape{1, 6, 1}));
  EXPECT_EQ(reshape(D::scalar(2.0), {1, 1}).shape(), (Shape{1, 1}));
}

TEST(ShapeReshape, Errors) {
  D a = iota({2, 3});
  EXPECT_THROW_WITH(reshape(a, {4, -1}), ShapeError, "reshape", "(2, 3)", "(4, -1)");
  EXPECT_THROW_WITH(reshape(a, {5}), ShapeError, "reshape", "(2, 3)", "(5)");
  EXPECT_THROW_WITH(reshape(a, {-1, -1}), ShapeError, "reshape", "(-1, -1)");
}

TEST(ShapeReshape, Gradients) {
  check_op([](const auto& x) { return reshape(x[0], {3, -1}); }, {{2, 3}});
  check_op([](const auto& x) { return reshape(x[0], {4}); }, {{2, 1, 2}});
  check_op([](const auto& x) { return reshape(x[0], {1}); }, {{}});
}

TEST(ShapeFlatten, ValuesAndGradients) {
  D a = iota({2, 3, 4});
  EXPECT_EQ(flatten(a).shape(), (Shape{24}));
  EXPECT_EQ(flatten(a, 1).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(a, -1).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(flatten(D::scalar(1.0)).shape(), (Shape{1}));
  EXPECT_EQ(test::values_of(flatten(a, 1)), test::values_of(a));
  EXPECT_THROW_WITH(flatten(a, 3), ShapeError, "flatten", "3", "(2, 3, 4)");
  check_op([](const auto& x) { return flatten(x[0], 1); }, {{2, 3, 2}});
  check_op([](const auto& x) { return flatten(x[0]); }, {{2, 3}});
}

TEST(ShapeSqueezeUnsqueeze, ValuesAndErrors) {
  D a = iota({2, 1, 3});
  EXPECT_EQ(squeeze(a, 1).shape(), (Shape{2, 3}));
  EXPECT_EQ(squeeze(a, -2).shape(), (Shape{2, 3}));
  EXPECT_EQ(unsqueeze(a, 0).shape(), (Shape{1, 2, 1, 3}));
  EXPECT_EQ(unsqueeze(a, 3).shape(), (Shape{2, 1, 3, 1}));
  EXPECT_EQ(unsqueeze(a, -1).shape(), (Shape{2, 1, 3, 1}));
  EXPECT_EQ(unsqueeze(D::scalar(4.0), 0).shape(), (Shape{1}));
  EXPECT_EQ(test::values_of(squeeze(a, 1)), test::values_of(a));
  EXPECT_THROW_WITH(squeeze(a, 0), ShapeError, "squeeze", "(2, 1, 3)", "size 2");
  EXPECT_THROW_WITH(squeeze(a, 3), ShapeError, "squeeze", "(2, 1, 3)");
  EXPECT_THROW_WITH(unsqueeze(a, 4), ShapeError, "unsqueeze", "(2, 1, 3)");
}

TEST(ShapeSqueezeUnsqueeze, Gradients) {
  check_op([](const auto& x) { return squeeze(x[0], 1); }, {{2, 1, 3}});
  check_op([](const auto& x) { return unsqueeze(x[0], 1); }, {{2, 3}});
  check_op([](const auto& x) { return unsqueeze(x[0], 0); }, {{}});
}

// ---- broadcast_to and sum_to (ops/broadcast.cpp) ----

TEST(ShapeBroadcastTo, Values) {
  D a = D::from({2, 1}, {1, 2});
  EXPECT_EQ(test::values_of(broadcast_to(a, {2, 3})), (std::vector<double>{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(test::values_of(broadcast_to(a, {2, 2, 2})),
            (std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2}));
  EXPECT_EQ(test::values_of(broadcast_to(D::scalar(5.0), {2})), (std::vector<double>{5, 5}));
}

TEST(ShapeBroadcastTo, GradientSumsOverBroadcastAxes) {
  D a = D::from({2, 1}, {1, 2}, true);
  D w = D::from({2, 3}, {1, 2, 3, 4, 5, 6});
  sum(broadcast_to(a, {2, 3}) * w).backward();
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{6, 15}));
}

TEST(ShapeBroadcastTo, Gradients) {
  check_op([](const auto& x) { return broadcast_to(x[0], {2, 3}); }, {{2, 1}});
  check_op([](const auto& x) { return broadcast_to(x[0], {4, 2, 3}); }, {{3}});
  check_op([](const auto& x) { return broadcast_to(x[0], {2, 3}); }, {{}});
}

TEST(ShapeBroadcastTo, Errors) {
  D a = iota({2, 3});
  EXPECT_THROW_WITH(broadcast_to(a, {4, 3}), ShapeError, "broadcast_to", "(2, 3)", "(4, 3)");
  EXPECT_THROW_WITH(broadcast_to(a, {3}), ShapeError, "broadcast_to", "(2, 3)", "(3)");
}

TEST(ShapeSumTo, ValuesAndErrors) {
  D a = iota({2, 3});
  EXPECT_EQ(test::values_of(sum_to(a, {1, 3})), (std::vector<double>{3, 5, 7}));
  EXPECT_EQ(test::values_of(sum_to(a, {3})), (std::vector<double>{3, 5, 7}));
  EXPECT_EQ(test::values_of(sum_to(a, {2, 1})), (std::vector<double>{3, 12}));
  EXPECT_EQ(test::values_of(sum_to(a, {})), (std::vector<double>{15}));
  EXPECT_EQ(sum_to(a, {}).shape(), Shape{});
  EXPECT_THROW_WITH(sum_to(a, {2}), ShapeError, "sum_to", "(2, 3)", "(2)");
  EXPECT_THROW_WITH(sum_to(a, {1, 2, 3}), ShapeError, "sum_to", "(2, 3)", "(1, 2, 3)");
}

TEST(ShapeSumTo, Gradients) {
  check_op([](const auto& x) { return sum_to(x[0], {1, 3}); }, {{2, 3}});
  check_op([](const auto& x) { return sum_to(x[0], {2, 1}); }, {{4, 2, 3}});
  check_op([](const auto& x) { return sum_to(x[0], {}); }, {{2, 2}});
}

// ---- transpose ----

TEST(ShapeTranspose, Values2D) {
  D a = D::from({2, 3}, {1, 2, 3, 4, 5, 6});
  D t = transpose(a);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  // The buffer itself is in the new row-major order (a materialised copy, not a strided view).
  EXPECT_EQ(test::values_of(t), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  EXPECT_DOUBLE_EQ(t.value()(2, 1), 6.0);
}

TEST(ShapeTranspose, SwapsOnlyTheLastTwoAxes) {
  D a = iota({2, 2, 3});  // a[b, i, j] = 6 b + 3 i + j
  D t = transpose(a);
  EXPECT_EQ(t.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(test::values_of(t), (std::vector<double>{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11}));
}

TEST(ShapeTranspose, VectorsAndScalarsUnchanged) {
  D v = D::from({3}, {1, 2, 3}, true);
  D t = transpose(v);
  EXPECT_EQ(t.identity(), v.identity());
  D s = D::scalar(2.0);
  EXPECT_EQ(transpose(s).identity(), s.identity());
}

TEST(ShapeTranspose, Gradients) {
  check_op([](const auto& x) { return transpose(x[0]); }, {{2, 3}});
  check_op([](const auto& x) { return transpose(x[0]); }, {{2, 3, 4}});
  check_op([](const auto& x) { return transpose(x[0]); }, {{1, 4}});
  // Not symmetric in use: transpose(x) * w, so a wrong backward (no transpose) fails.
  check_op([](const auto& x) { return transpose(x[0]) * x[1]; }, {{2, 3}, {3, 2}});
}

// ---- permute ----

TEST(ShapePermute, Values) {
  D a = iota({2, 3, 4});  // a[i, j, k] = 12 i + 4 j + k
  D p = permute(a, {2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  // p[k, i, j] = a[i, j, k]
  EXPECT_DOUBLE_EQ(p.value()(0, 0, 0), 0.0);
  EXPECT_DOUBLE_EQ(p.value()(1, 0, 0), 1.0);
  EXPECT_DOUBLE_EQ(p.value()(0, 1, 0), 12.0);
  EXPECT_DOUBLE_EQ(p.value()(0, 0, 1), 4.0);
  EXPECT_DOUBLE_EQ(p.value()(3, 1, 2), 23.0);
  std::vector<double> first_row = test::values_of(p);
  first_row.resize(6);
  EXPECT_EQ(first_row, (std::vector<double>{0, 4, 8, 12, 16, 20}));
  // Swapping leading axes keeps contiguous runs.
  D q = permute(a, {1, 0, 2});
  EXPECT_EQ(q.shape(), (Shape{3, 2, 4}));
  std::vector<double> head = test::values_of(q);
  head.resize(8);
  EXPECT_EQ(head, (std::vector<double>{0, 1, 2, 3, 12, 13, 14, 15}));
  // 2-D permute is a transpose.
  D m = D::from({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(test::values_of(permute(m, {1, 0})), (std::vector<double>{1, 4, 2, 5, 3, 6}));
}

TEST(ShapePermute, IdentityReturnsInput) {
  D a = iota({2, 3}, true);
  EXPECT_EQ(permute(a, {0, 1}).identity(), a.identity());
}

TEST(ShapePermute, Errors) {
  D a = iota({2, 3, 4});
  EXPECT_THROW_WITH(permute(a, {0, 1}), ShapeError, "permute", "(0, 1)", "(2, 3, 4)");
  EXPECT_THROW_WITH(permute(a, {0, 0, 1}), ShapeError, "permute", "(0, 0, 1)", "(2, 3, 4)");
  EXPECT_THROW_WITH(permute(a, {0, 1, 3}), ShapeError, "permute", "(0, 1, 3)", "(2, 3, 4)");
}

TEST(ShapePermute, Gradients) {
  for (std::vector<std::size_t> axes :
       {std::vector<std::size_t>{2, 0, 1}, std::vector<std::size_t>{1, 2, 0},
        std::vector<std::size_t>{0, 2, 1}}) {
    SCOPED_TRACE(shape_str(axes));
    check_op([&](const auto& x) { return permute(x[0], axes); }, {{2, 3, 4}});
  }
  check_op([](const auto& x) { return permute(x[0], {3, 1, 0, 2}); }, {{2, 1, 3, 2}});
}

// ---- narrow and slice_rows ----

TEST(ShapeNarrow, Values) {
  D a = iota({2, 4});
  EXPECT_EQ(test::values_of(narrow(a, 1, 1, 2)), (std::vector<double>{1, 2, 5, 6}));
  EXPECT_EQ(narrow(a, 1, 1, 2).shape(), (Shape{2, 2}));
  EXPECT_EQ(test::values_of(narrow(a, -1, 3, 1)), (std::vector<double>{3, 7}));
  EXPECT_EQ(test::values_of(narrow(a, 0, 1, 1)), (std::vector<double>{4, 5, 6, 7}));
  EXPECT_EQ(narrow(a, 1, 4, 0).shape(), (Shape{2, 0}));
  D b = iota({2, 3, 2});
  EXPECT_EQ(test::values_of(narrow(b, 1, 1, 2)), (std::vector<double>{2, 3, 4, 5, 8, 9, 10, 11}));
}

TEST(ShapeNarrow, GradientIsPlacedIntoZeros) {
  D a = iota({2, 4}, true);
  D w = D::from({2, 2}, {1, 2, 3, 4});
  sum(narrow(a, 1, 1, 2) * w).backward();
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{0, 1, 2, 0, 0, 3, 4, 0}));
}

TEST(ShapeNarrow, DoubleBackwardIsRecorded) {
  D a = uniform<double>({2, 4});
  D y = narrow(a, 1, 1, 2);
  D u = uniform<double>({2, 2}, -1, 1, 3);  // requires grad: the backward depends on it
  GradOptions go;
  go.create_graph = true;
  auto g = grad<double>({y}, {a}, {u}, go);
  EXPECT_STREQ(g[0].op_name(), "narrow_backward");
  // d/du <g, v> = narrow(v): the pad op's own backward.
  D v = iota({2, 4});
  auto gu = grad<double>({g[0]}, {u}, {v});
  EXPECT_EQ(test::values_of(gu[0]), (std::vector<double>{1, 2, 5, 6}));
}

TEST(ShapeNarrow, Errors) {
  D a = iota({2, 4});
  EXPECT_THROW_WITH(narrow(a, 1, 3, 2), ShapeError, "narrow", "(2, 4)", "3", "2", "size 4");
  EXPECT_THROW_WITH(narrow(a, 0, 3, 0), ShapeError, "narrow", "(2, 4)", "size 2");
  EXPECT_THROW_WITH(narrow(a, 2, 0, 1), ShapeError, "narrow", "(2, 4)", "axis 2");
  EXPECT_THROW_WITH(narrow(D::scalar(1.0), 0, 0, 1), ShapeError, "narrow", "()");
}

TEST(ShapeNarrow, Gradients) {
  check_op([](const auto& x) { return narrow(x[0], 1, 1, 2); }, {{2, 4}});
  check_op([](const auto& x) { return narrow(x[0], 0, 1, 2); }, {{3, 2}});
  check_op([](const auto& x) { return narrow(x[0], -1, 0, 1); }, {{2, 2, 3}});
  check_op([](const auto& x) { return narrow(x[0], 1, 2, 1); }, {{2, 3, 2}});
}

TEST(ShapeSliceRows, ValuesAndGradient) {
  D a = iota({4, 2}, true);
  D s = slice_rows(a, 1, 3);
  EXPECT_EQ(s.shape(), (Shape{2, 2}));
  EXPECT_EQ(test::values_of(s), (std::vector<double>{2, 3, 4, 5}));
  EXPECT_STREQ(s.op_name(), "slice_rows");
  EXPECT_EQ(slice_rows(a, 2, 2).shape(), (Shape{0, 2}));
  EXPECT_EQ(test::values_of(slice_rows(iota({5}), 3, 5)), (std::vector<double>{3, 4}));
  sum(s).backward();
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{0, 0, 1, 1, 1, 1, 0, 0}));
}

TEST(ShapeSliceRows, Errors) {
  D a = iota({4, 2});
  EXPECT_THROW_WITH(slice_rows(a, 3, 2), ShapeError, "slice_rows", "[3, 2)", "(4, 2)");
  EXPECT_THROW_WITH(slice_rows(a, 1, 5), ShapeError, "slice_rows", "[1, 5)", "4 rows");
  EXPECT_THROW_WITH(slice_rows(D::scalar(1.0), 0, 0), ShapeError, "slice_rows", "()");
}

TEST(ShapeSliceRows, Gradients) {
  check_op([](const auto& x) { return slice_rows(x[0], 1, 3); }, {{4, 3}});
  check_op([](const auto& x) { return slice_rows(x[0], 0, 2); }, {{3}});
}

// ---- index_select ----

TEST(ShapeIndexSelect, Values) {
  D a = iota({3, 2});
  D s = index_select(a, {2, 0, 2});
  EXPECT_EQ(s.shape(), (Shape{3, 2}));
  EXPECT_EQ(test::values_of(s), (std::vector<double>{4, 5, 0, 1, 4, 5}));
  EXPECT_EQ(test::values_of(index_select(iota({4}), {3, 1})), (std::vector<double>{3, 1}));
  EXPECT_EQ(index_select(a, {}).shape(), (Shape{0, 2}));
  EXPECT_EQ(index_select(iota({3, 2, 2}), {1}).shape(), (Shape{1, 2, 2}));
}

TEST(ShapeIndexSelect, RepeatedIndicesGradientCounts) {
  D a = iota({4, 2}, true);
  sum(index_select(a, {1, 3, 1, 1, 0})).backward();
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{1, 1, 3, 3, 0, 0, 1, 1}));
}

TEST(ShapeIndexSelect, Errors) {
  D a = iota({3, 2});
  EXPECT_THROW_WITH(index_select(a, {0, 3}), IndexError, "index_select", "index 3", "position 1",
                    "3 rows");
  EXPECT_THROW_WITH(index_select(D::scalar(1.0), {0}), ShapeError, "index_select", "()");
}

TEST(ShapeIndexSelect, Gradients) {
  check_op([](const auto& x) { return index_select(x[0], {2, 0, 2, 2}); }, {{3, 2}});
  check_op([](const auto& x) { return index_select(x[0], {1, 1}); }, {{3}});
  check_op([](const auto& x) { return index_select(x[0], {0, 1, 0}); }, {{2, 2, 3}});
}

// ---- gather ----

TEST(ShapeGather, ValuesAndGradient) {
  D a = iota({3, 4}, true);
  D g = gather(a, {1, 3, 0});
  EXPECT_EQ(g.shape(), (Shape{3}));
  EXPECT_EQ(test::values_of(g), (std::vector<double>{1, 7, 8}));
  sum(g * D::from({3}, {2, 3, 4})).backward();
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{0, 2, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0}));
}

TEST(ShapeGather, Errors) {
  D a = iota({3, 4});
  EXPECT_THROW_WITH(gather(a, {1, 4, 0}), IndexError, "gather", "label 4", "position 1",
                    "4 classes", "(3, 4)");
  EXPECT_THROW_WITH(gather(a, {1, 2}), ShapeError, "gather", "2 labels", "3 rows", "(3, 4)");
  EXPECT_THROW_WITH(gather(iota({3}), {0, 0, 0}), ShapeError, "gather", "2-D", "(3)");
  EXPECT_THROW_WITH(gather(iota({1, 2, 2}), {0}), ShapeError, "gather", "(1, 2, 2)");
}

TEST(ShapeGather, Gradients) {
  check_op([](const auto& x) { return gather(x[0], {1, 3, 0}); }, {{3, 4}});
  check_op([](const auto& x) { return gather(x[0], {0, 0}); }, {{2, 1}});
}

// ---- concat and stack ----

TEST(ShapeConcat, Values) {
  D a = D::from({2, 2}, {1, 2, 3, 4});
  D b = D::from({1, 2}, {5, 6});
  D c = D::from({2, 1}, {7, 8});
  EXPECT_EQ(test::values_of(concat<double>({a, b})), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(concat<double>({a, b}).shape(), (Shape{3, 2}));
  EXPECT_EQ(test::values_of(concat<double>({a, c}, 1)), (std::vector<double>{1, 2, 7, 3, 4, 8}));
  EXPECT_EQ(test::values_of(concat<double>({c, a, c}, -1)),
            (std::vector<double>{7, 1, 2, 7, 8, 3, 4, 8}));
  EXPECT_EQ(test::values_of(concat<double>({D::from({2}, {1, 2}), D::from({1}, {3})})),
            (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(concat<double>({iota({2, 0}), a}, 1).shape(), (Shape{2, 2}));
}

TEST(ShapeConcat, GradientIsSplitBack) {
  D a = D::from({2, 2}, {1, 2, 3, 4}, true);
  D c = D::from({2, 1}, {7, 8}, true);
  D k = D::from({2, 1}, {0, 0});  // no grad: skipped
  D w = D::from({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  sum(concat<double>({c, a, k}, 1) * w).backward();
  EXPECT_EQ(test::values_of(c.grad()), (std::vector<double>{1, 5}));
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{2, 3, 6, 7}));
  EXPECT_FALSE(k.has_grad());
}

TEST(ShapeConcat, Errors) {
  D a = iota({2, 3});
  EXPECT_THROW_WITH(concat<double>({}), ShapeError, "concat", "empty");
  EXPECT_THROW_WITH(concat<double>({a, iota({2, 4})}, 0), ShapeError, "concat", "part 1", "(2, 4)",
                    "(2, 3)");
  EXPECT_THROW_WITH(concat<double>({a, a, iota({3})}, 0), ShapeError, "concat", "part 2", "(3)",
                    "(2, 3)");
  EXPECT_THROW_WITH(concat<double>({a, a}, 2), ShapeError, "concat", "axis 2", "(2, 3)");
  EXPECT_THROW_WITH(concat<double>({D::scalar(1.0), D::scalar(2.0)}), ShapeError, "concat", "0-d");
}

TEST(ShapeConcat, Gradients) {
  check_op(
      [](const auto& x) {
        return concat(parts({x[0], x[1], x[2]}), 0);
      },
      {{1, 3}, {2, 3}, {1, 3}});
  check_op([](const auto& x) { return concat(parts({x[0], x[1]}), -1); }, {{2, 2, 1}, {2, 2, 3}});
  check_op([](const auto& x) { return concat(parts({x[0], x[0]}), 1); }, {{2, 2}});
}

TEST(ShapeStack, Values) {
  D a = D::from({2}, {1, 2});
  D b = D::from({2}, {3, 4});
  EXPECT_EQ(stack<double>({a, b}).shape(), (Shape{2, 2}));
  EXPECT_EQ(test::values_of(stack<double>({a, b})), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(test::values_of(stack<double>({a, b}, 1)), (std::vector<double>{1, 3, 2, 4}));
  EXPECT_EQ(test::values_of(stack<double>({a, b}, -1)), (std::vector<double>{1, 3, 2, 4}));
  EXPECT_EQ(test::values_of(stack<double>({D::scalar(1.0), D::scalar(2.0), D::scalar(3.0)})),
            (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(stack<double>({iota({2, 3}), iota({2, 3})}, 1).shape(), (Shape{2, 2, 3}));
}

TEST(ShapeStack, Errors) {
  D a = iota({2, 3});
  EXPECT_THROW_WITH(stack<double>({}), ShapeError, "stack", "empty");
  EXPECT_THROW_WITH(stack<double>({a, iota({3, 2})}), ShapeError, "stack", "part 1", "(3, 2)",
                    "(2, 3)");
  EXPECT_THROW_WITH(stack<double>({a, a}, 3), ShapeError, "stack", "3", "(2, 3)");
}

TEST(ShapeStack, Gradients) {
  check_op([](const auto& x) { return stack(parts({x[0], x[1]}), 0); }, {{2, 3}, {2, 3}});
  check_op([](const auto& x) { return stack(parts({x[0], x[1], x[0]}), 2); }, {{2, 3}, {2, 3}});
}

// ---- undefined arguments ----

TEST(ShapeErrors, UndefinedTensorsAreRejected) {
  D u;
  EXPECT_THROW(transpose(u), GraphError);
  EXPECT_THROW(permute(u, {}), GraphError);
  EXPECT_THROW(narrow(u, 0, 0, 0), GraphError);
  EXPECT_THROW(slice_rows(u, 0, 0), GraphError);
  EXPECT_THROW(index_select(u, {}), GraphError);
  EXPECT_THROW(gather(u, {}), GraphError);
  EXPECT_THROW(concat<double>({iota({1}), u}), GraphError);
  EXPECT_THROW(stack<double>({u}), GraphError);
}

// ---- everything together, with graphs freed ----

TEST(ShapeGraph, NodesAreFreedAfterBackward) {
  const long before = live_node_count<double>();
  {
    D a = uniform<double>({4, 3});
    D y = concat<double>({slice_rows(a, 0, 2), index_select(a, {3, 3})}, 0);
    D p = transpose(permute(reshape(y, {2, 2, 3}), {1, 0, 2}));  // (2, 3, 2)
    D z = sum(gather(reshape(p, {-1, 2}), {0, 1, 0, 1, 1, 0}));
    z.backward();
    EXPECT_TRUE(a.has_grad());
  }
  EXPECT_EQ(live_node_count<double>(), before);
}

}  // namespace
}  // namespace xg
