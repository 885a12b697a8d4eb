// gather, scatter_add, index_select and index_add along any axis (PyTorch's semantics), and
// where with cond, a and b broadcast together: values, gradients to every tensor input and
// second derivatives in double, errors.
#include <gtest/gtest.h>

#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;
using Index = xt::xarray<std::size_t>;

Index index_of(const Shape& shape, const std::vector<std::size_t>& values) {
  Index out = Index::from_shape(shape);
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

/// gradcheck, and gradgradcheck of the squared output (the ops are linear in each input), in
/// double on uniform inputs of `shapes`.
template <class F>
void check_double_indexing_axis(F f, const std::vector<Shape>& shapes) {
  std::vector<D> x;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    x.push_back(uniform<double>(shapes[i], -1, 1, 21 + static_cast<unsigned>(i)));
  }
  Fn<double> fn = [f](const std::vector<D>& v) { return f(v); };
  Fn<double> squared = [f](const std::vector<D>& v) {
    D y = f(v);
    return y * y;
  };
  EXPECT_GRADCHECK(double, fn, x);
  EXPECT_GRADGRADCHECK(double, squared, x);
}

// ---- gather along an axis ----

TEST(GatherAxis, ValuesAlongEachAxis) {
  D a = D::from({2, 3}, {1, 2, 3, 4, 5, 6});
  // axis 1: out[i][j] = a[i][index[i][j]]
  EXPECT_EQ(test::values_of(gather(a, 1, index_of({2, 2}, {2, 0, 1, 1}))),
            (std::vector<double>{3, 1, 5, 5}));
  // axis 0: out[i][j] = a[index[i][j]][j]; index smaller than a along axis 1
  EXPECT_EQ(test::values_of(gather(a, 0, index_of({3, 2}, {1, 0, 0, 0, 1, 1}))),
            (std::vector<double>{4, 2, 1, 2, 4, 5}));
  EXPECT_EQ(gather(a, -2, index_of({3, 2}, {1, 0, 0, 0, 1, 1})).shape(), (Shape{3, 2}));
  D b = D::from({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  // axis 1 of a 3-D tensor: out[i][j][k] = b[i][index[i][j][k]][k]
  EXPECT_EQ(test::values_of(gather(b, 1, index_of({2, 1, 2}, {1, 0, 0, 1}))),
            (std::vector<double>{2, 1, 4, 7}));
}

TEST(GatherAxis, GradientsAndSecondDerivatives) {
  const Index i0 = index_of({2, 3}, {2, 0, 1, 1, 1, 0});
  check_double_indexing_axis([&](const auto& x) { return gather(x[0], 0, i0); }, {{3, 4}});
  const Index i1 = index_of({3, 2}, {3, 3, 0, 1, 2, 0});
  check_double_indexing_axis([&](const auto& x) { return gather(x[0], 1, i1); }, {{3, 4}});
  const Index i2 = index_of({2, 1, 2}, {1, 0, 2, 2});
  check_double_indexing_axis([&](const auto& x) { return gather(x[0], -1, i2); }, {{2, 3, 3}});
}

TEST(GatherAxis, RepeatedIndicesAddTheirGradients) {
  D a = D::from({1, 3}, {1, 2, 3}, true);
  gather(a, 1, index_of({1, 4}, {2, 2, 0, 2})).backward(D::from({1, 4}, {1, 10, 100, 1000}));
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{100, 0, 1011}));
}

TEST(GatherAxis, Errors) {
  D a = D::zeros({2, 3});
  EXPECT_THROW_WITH(gather(a, 1, index_of({2, 1}, {0, 3})), IndexError, "gather", "index 3",
                    "(1, 0)", "(2, 3)");
  EXPECT_THROW_WITH(gather(a, 1, index_of({2}, {0, 1})), ShapeError, "gather", "(2)", "(2, 3)");
  EXPECT_THROW_WITH(gather(a, 1, index_of({3, 1}, {0, 0, 0})), ShapeError, "gather", "(3, 1)",
                    "(2, 3)");
  EXPECT_THROW_WITH(gather(a, 2, index_of({2, 1}, {0, 0})), ShapeError, "gather", "axis 2");
}

// ---- scatter_add ----

TEST(ScatterAdd, Values) {
  D self = D::from({2, 3}, {1, 1, 1, 1, 1, 1});
  D src = D::from({2, 2}, {10, 20, 30, 40});
  // axis 1: out[i][index[i][j]] += src[i][j]; repeats add up.
  EXPECT_EQ(test::values_of(scatter_add(self, 1, index_of({2, 2}, {2, 2, 0, 1}), src)),
            (std::vector<double>{1, 1, 31, 31, 41, 1}));
  // axis 0 with an index smaller than src: only src[0][0..1] is read.
  EXPECT_EQ(test::values_of(scatter_add(self, 0, index_of({1, 2}, {1, 0}), src)),
            (std::vector<double>{1, 21, 1, 11, 1, 1}));
}

TEST(ScatterAdd, GradientsToSelfAndSource) {
  D self = D::from({2, 3}, {1, 2, 3, 4, 5, 6}, true);
  D src = D::from({2, 2}, {1, 1, 1, 1}, true);
  const D g = D::from({2, 3}, {1, 2, 3, 4, 5, 6});
  scatter_add(self, 1, index_of({2, 1}, {2, 0}), src).backward(g);
  EXPECT_EQ(test::values_of(self.grad()), test::values_of(g));
  EXPECT_EQ(test::values_of(src.grad()), (std::vector<double>{3, 0, 4, 0}));  // read only at [i][0]
  const Index i = index_of({2, 3}, {0, 1, 1, 2, 0, 0});
  check_double_indexing_axis([&](const auto& x) { return scatter_add(x[0], 0, i, x[1]); },
                             {{3, 3}, {2, 3}});
  check_double_indexing_axis([&](const auto& x) { return scatter_add(x[0], 1, i, x[1]); },
                             {{2, 4}, {3, 4}});
  check_double_indexing_axis([&](const auto& x) { return scatter_add(x[0], -1, i, x[1]) * x[0]; },
                             {{2, 3}, {2, 3}});
}

TEST(ScatterAdd, Errors) {
  D self = D::zeros({2, 3});
  D src = D::zeros({2, 2});
  EXPECT_THROW_WITH(scatter_add(self, 1, index_of({2, 2}, {0, 3, 0, 0}), src), IndexError,
                    "scatter_add", "index 3", "(0, 1)", "(2, 3)");
  EXPECT_THROW_WITH(scatter_add(self, 1, index_of({2, 3}, {0, 0, 0, 0, 0, 0}), src), ShapeError,
                    "scatter_add", "(2, 3)", "(2, 2)");
  EXPECT_THROW_WITH(scatter_add(self, 1, index_of({3, 1}, {0, 0, 0}), D::zeros({3, 1})), ShapeError,
                    "scatter_add", "(3, 1)", "(2, 3)");
  EXPECT_THROW_WITH(scatter_add(self, 0, index_of({2}, {0, 0}), D::zeros({2})), ShapeError,
                    "scatter_add", "rank");
}

// ---- index_select / index_add along an axis ----

TEST(IndexAxis, SelectValues) {
  D a = D::from({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(test::values_of(index_select(a, 1, {2, 0, 2})),
            (std::vector<double>{3, 1, 3, 6, 4, 6}));
  EXPECT_EQ(test::values_of(index_select(a, 0, {1})), (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(index_select(a, -1, {}).shape(), (Shape{2, 0}));
}

TEST(IndexAxis, AddValues) {
  D self = D::from({2, 3}, {1, 1, 1, 1, 1, 1});
  D source = D::from({2, 2}, {10, 20, 30, 40});
  EXPECT_EQ(test::values_of(index_add(self, 1, {2, 2}, source)),
            (std::vector<double>{1, 1, 31, 1, 1, 71}));
  EXPECT_EQ(test::values_of(index_add(self, 0, {1}, D::from({1, 3}, {1, 2, 3}))),
            (std::vector<double>{1, 1, 1, 2, 3, 4}));
}

TEST(IndexAxis, GradientsAndSecondDerivatives) {
  D self = D::from({2, 3}, {0, 0, 0, 0, 0, 0}, true);
  D source = D::from({2, 2}, {0, 0, 0, 0}, true);
  index_add(self, 1, {2, 0}, source).backward(D::from({2, 3}, {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(test::values_of(self.grad()), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(test::values_of(source.grad()), (std::vector<double>{3, 1, 6, 4}));
  check_double_indexing_axis(
      [](const auto& x) {
        return index_select(x[0], 1, {3, 0, 3});
      },
      {{2, 4, 2}});
  check_double_indexing_axis(
      [](const auto& x) {
        return index_add(x[0], 1, {1, 1, 0}, x[1]);
      },
      {{2, 3, 2}, {2, 3, 2}});
  check_double_indexing_axis([](const auto& x) { return index_add(x[0], 0, {2}, x[1]) * x[0]; },
                             {{3, 2}, {1, 2}});
}

TEST(IndexAxis, Errors) {
  D a = D::zeros({2, 3});
  EXPECT_THROW_WITH(index_select(a, 1, {0, 3}), IndexError, "index_select", "index 3", "position 1",
                    "(2, 3)");
  EXPECT_THROW_WITH(index_add(a, 1, {0, 5}, D::zeros({2, 2})), IndexError, "index_add", "index 5",
                    "(2, 3)");
  EXPECT_THROW_WITH(index_add(a, 1, {0, 1}, D::zeros({2, 3})), ShapeError, "index_add", "(2, 3)",
                    "along axis 1");
  EXPECT_THROW_WITH(index_add(a, 2, {0}, D::zeros({2, 3})), ShapeError, "index_add", "axis 2");
}

// ---- where with broadcasting ----

xt::xarray<bool> bools(const Shape& shape, const std::vector<bool>& values) {
  xt::xarray<bool> out = xt::xarray<bool>::from_shape(shape);
  for (std::size_t i = 0; i < values.size(); ++i) out.flat(i) = values[i];
  return out;
}

TEST(WhereBroadcast, ValuesAndGradientsSummedToEachShape) {
  const auto cond = bools({3, 1}, {true, false, true});
  D a = D::from({1, 2}, {1, 2}, true);
  D b = D::scalar(-1.0, true);
  D y = xg::where(cond, a, b);
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(test::values_of(y), (std::vector<double>{1, 2, -1, -1, 1, 2}));
  y.backward(D::from({3, 2}, {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{6, 8}));
  EXPECT_EQ(b.grad().value()(), 7);
}

TEST(WhereBroadcast, CondBiggerThanBothInputs) {
  const auto cond = bools({2, 2}, {true, false, false, true});
  D a = D::from({2}, {1, 2}, true);
  D b = D::from({2, 1}, {5, 6}, true);
  D y = xg::where(cond, a, b);
  EXPECT_EQ(test::values_of(y), (std::vector<double>{1, 5, 6, 2}));
  y.backward(D::ones({2, 2}));
  EXPECT_EQ(test::values_of(a.grad()), (std::vector<double>{1, 1}));
  EXPECT_EQ(test::values_of(b.grad()), (std::vector<double>{1, 1}));
}

TEST(WhereBroadcast, GradientsAndSecondDerivatives) {
  const auto cond = bools({2, 1, 3}, {true, false, true, false, false, true});
  check_double_indexing_axis([&](const auto& x) { return xg::where(cond, x[0], x[1]); },
                             {{4, 1}, {3}});
  check_double_indexing_axis([&](const auto& x) { return xg::where(cond, x[0], x[1]); },
                             {{2, 4, 3}, {}});
}

TEST(WhereBroadcast, MismatchedShapesNameThem) {
  const auto cond = bools({3}, {true, false, true});
  EXPECT_THROW_WITH(xg::where(cond, D::zeros({2}), D::zeros({2})), ShapeError, "where", "(3)",
                    "(2)");
  EXPECT_THROW_WITH(xg::where(bools({2}, {true, true}), D::zeros({3}), D::zeros({4})), ShapeError,
                    "where", "(3)", "(4)");
}

}  // namespace
}  // namespace xg
