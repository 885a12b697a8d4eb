// pad (constant, with negative pads cropping), flatten with an end axis, and dropout2d: values,
// gradients and second derivatives in double, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;

// ---- pad ----

TEST(Pad, LastAxisFirstAsTorch) {
  D x = D::from({2, 3}, {1, 2, 3, 4, 5, 6});
  D y = pad(x, {1, 2}, 9.0);
  EXPECT_EQ(y.shape(), (Shape{2, 6}));
  EXPECT_EQ(test::values_of(y), (std::vector<double>{9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9}));
  D z = pad(x, {0, 1, 1, 0});  // last axis (0, 1), then axis 0 (1, 0)
  EXPECT_EQ(z.shape(), (Shape{3, 4}));
  EXPECT_EQ(test::values_of(z), (std::vector<double>{0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0}));
  EXPECT_EQ(pad(x, {}).identity(), x.identity());
  EXPECT_EQ(pad(x, {0, 0, 0, 0}).identity(), x.identity());
}

TEST(Pad, NegativePadsCrop) {
  D x = D::from({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(test::values_of(pad(x, {-1, -2})), (std::vector<double>{2, 6}));
  EXPECT_EQ(pad(x, {-2, -2}).shape(), (Shape{2, 0}));
  // Crop one end and pad the other.
  D y = pad(x, {2, -3, -1, 1}, -1.0);
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(test::values_of(y), (std::vector<double>{-1, -1, 5, -1, -1, -1}));
}

TEST(Pad, FourDimensionalAsConvolutionsUseIt) {
  D x = uniform<double>({2, 3, 4, 5}, -1, 1, 3);
  D y = pad(x, {1, 2, 2, 1});
  EXPECT_EQ(y.shape(), (Shape{2, 3, 7, 8}));
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t i = 0; i < 7; ++i)
        for (std::size_t j = 0; j < 8; ++j) {
          const bool inside = i >= 2 && i < 6 && j >= 1 && j < 6;
          EXPECT_EQ(y.value()(n, c, i, j), inside ? x.value()(n, c, i - 2, j - 1) : 0.0);
        }
}

TEST(Pad, GradientsAndSecondDerivatives) {
  const D x = uniform<double>({3, 2, 4, 5}, -1, 1, 4);
  test::expect_grads_of_any_order([](const D& v) { return pad(v, {1, 2}, 0.5); }, x);
  test::expect_grads_of_any_order([](const D& v) { return pad(v, {2, 0, 1, 1, 0, 1}); }, x);
  test::expect_grads_of_any_order([](const D& v) { return pad(v, {-1, 2, 1, -2}, -3.0); }, x);
  test::expect_grads_of_any_order([](const D& v) { return pad(v, {0, 0, 0, 0, 0, 0, 1, 1}); }, x);
  test::expect_grads_of_any_order(
      [](const D& v) {
        return pad(v, {-1, -1});
      },
      uniform<double>({5}, -1, 1, 2));
}

TEST(Pad, BackwardIsACropWhoseRuleIsPad) {
  D x = uniform<double>({2, 3}, -1, 1, 4);
  D y = pad(x, {1, 2, -1, 1}, 7.0);
  const D g = uniform<double>(y.shape(), -1, 1, 5);
  D gx = grad<double>({y}, {x}, {g}, {.create_graph = true})[0];
  EXPECT_EQ(std::string(gx.op_name()), "pad_backward");
  // x's row 0 was cropped (no gradient), its row 1 is y's row 0 shifted by one column; y's
  // row 1 and the padded columns are new.
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_EQ(gx.value()(0, j), 0.0);
    EXPECT_EQ(gx.value()(1, j), g.value()(0, j + 1));
  }
  D gg = grad<double>({sum(gx * gx)}, {g}, {}, {.create_graph = true})[0];
  EXPECT_EQ(std::string(gg.op_name()), "pad");
}

TEST(Pad, Errors) {
  const D x = D::zeros({2, 3});
  EXPECT_THROW_WITH(pad(x, {1}), ShapeError, "pad", "1 pads", "(2, 3)", "even");
  EXPECT_THROW_WITH(pad(x, {1, 1, 1, 1, 1, 1}), ShapeError, "pad", "6 pads", "at most 4");
  EXPECT_THROW_WITH(pad(x, {-2, -2}), ShapeError, "pad", "(-2, -2)", "size 3", "axis 1");
  EXPECT_THROW_WITH(pad(x, {0, 0, -3, 5}), ShapeError, "pad", "axis 0");
  EXPECT_THROW_WITH(pad(D::scalar(1.0), {1, 1}), ShapeError, "pad", "at most 0");
}

// ---- flatten with an end axis ----

TEST(Flatten, StartAndEndAxesAsTorch) {
  D x = uniform<double>({2, 3, 4, 5}, -1, 1, 1);
  EXPECT_EQ(flatten(x).shape(), (Shape{120}));
  EXPECT_EQ(flatten(x, 1).shape(), (Shape{2, 60}));
  EXPECT_EQ(flatten(x, 1, 2).shape(), (Shape{2, 12, 5}));
  EXPECT_EQ(flatten(x, 2, -1).shape(), (Shape{2, 3, 20}));
  EXPECT_EQ(flatten(x, -3, -2).shape(), (Shape{2, 12, 5}));
  EXPECT_EQ(flatten(x, 0, 1).shape(), (Shape{6, 4, 5}));
  EXPECT_EQ(flatten(x, 2, 2).identity(), x.identity());
  EXPECT_EQ(test::values_of(flatten(x, 1, 2)), test::values_of(x));
  EXPECT_EQ(flatten(D::scalar(2.0), 0, -1).shape(), (Shape{1}));
  test::expect_grads_of_any_order([](const D& v) { return flatten(v, 1, 2); }, x);
}

TEST(Flatten, Errors) {
  const D x = D::zeros({2, 3, 4});
  EXPECT_THROW_WITH(flatten(x, 2, 1), ShapeError, "flatten", "start axis 2", "after end axis 1",
                    "(2, 3, 4)");
  EXPECT_THROW_WITH(flatten(x, 0, 3), ShapeError, "flatten", "axis 3", "(2, 3, 4)");
  EXPECT_THROW_WITH(flatten(D::scalar(1.0), 1), ShapeError, "flatten", "0-d");
}

// ---- dropout2d ----

TEST(Dropout2d, ZeroesWholeChannelsAndScalesTheRest) {
  Generator gen(7);
  D x = D::full({4, 50, 3, 2}, 2.0, true);
  D y = dropout2d(x, 0.3, true, &gen);
  std::size_t dropped = 0;
  for (std::size_t n = 0; n < 4; ++n) {
    for (std::size_t c = 0; c < 50; ++c) {
      const double first = y.value()(n, c, 0, 0);
      if (first == 0.0) ++dropped;
      EXPECT_TRUE(first == 0.0 || first == 2.0 / 0.7);
      for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 2; ++j) EXPECT_EQ(y.value()(n, c, i, j), first);
    }
  }
  // Binomial(200, 0.3): 60 expected, sd 6.5.
  EXPECT_GT(dropped, 35u);
  EXPECT_LT(dropped, 85u);
  sum(y).backward();
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x.grad().value().data()[i], y.value().data()[i] / 2.0);
  }
  // Equal seeds give equal masks.
  Generator again(7);
  EXPECT_EQ(dropout2d(x, 0.3, true, &again).value(), y.value());
}

TEST(Dropout2d, IdentityWhenNotTrainingOrPZeroAndZerosForPOne) {
  D x = uniform<double>({2, 3, 2, 2}, -1, 1, 2);
  EXPECT_EQ(dropout2d(x, 0.5, false).identity(), x.identity());
  EXPECT_EQ(dropout2d(x, 0.0).identity(), x.identity());
  D z = dropout2d(x, 1.0);
  EXPECT_EQ(z.shape(), x.shape());
  for (double v : z.value()) EXPECT_EQ(v, 0.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(dropout2d(D::full({1, 1, 1, 1}, nan), 1.0).value()(0, 0, 0, 0)));
}

TEST(Dropout2d, GradientsWithAFixedMask) {
  D x = uniform<double>({3, 4, 2, 3}, -1, 1, 2);
  Fn<double> fn = [](const std::vector<D>& v) {
    Generator gen(3);  // the same mask on every call
    D y = dropout2d(v[0], 0.4, true, &gen);
    return y * y;
  };
  EXPECT_GRADCHECK(double, fn, {x});
  EXPECT_GRADGRADCHECK(double, fn, {x});
}

TEST(Dropout2d, Errors) {
  const D x = D::zeros({2, 3, 4, 4});
  EXPECT_THROW_WITH(dropout2d(x, -0.1), DomainError, "dropout2d", "-0.1");
  EXPECT_THROW_WITH(dropout2d(x, 1.5), DomainError, "dropout2d", "1.5");
  EXPECT_THROW_WITH(dropout2d(x, std::nan("")), DomainError, "dropout2d");
  EXPECT_THROW_WITH(dropout2d(D::zeros({3, 4, 4}), 0.5), ShapeError, "dropout2d", "(3, 4, 4)",
                    "4-D");
}

}  // namespace
}  // namespace xg
