// Tensor::set_value replaces a value only by one of the same shape.
#include <gtest/gtest.h>

#include <string>

#include "xgrad/autograd.hpp"

namespace {

using xg::Tensor;

TEST(SetValue, ReplacesTheValueOfTheSameShape) {
  auto w = Tensor<double>::zeros({2, 3}, true);
  const void* before = w.identity();
  w.set_value(xt::xarray<double>{{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(w.identity(), before);
  EXPECT_EQ(w.shape(), (xg::Shape{2, 3}));
  EXPECT_DOUBLE_EQ(w.value()(1, 2), 6.0);
  EXPECT_TRUE(w.requires_grad());
}

TEST(SetValue, RejectsAnotherShapeNamingTheTensor) {
  auto w = Tensor<float>::zeros({2, 3}, true);
  w.set_name("fc1.weight");
  try {
    w.set_value(xt::xarray<float>::from_shape({3, 2}));
    FAIL() << "set_value accepted shape (3, 2) for a (2, 3) tensor";
  } catch (const xg::ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("set_value"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'fc1.weight'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(3, 2)"), std::string::npos) << msg;
  }
  EXPECT_EQ(w.shape(), (xg::Shape{2, 3}));
  // The same number of elements in another shape is no excuse.
  EXPECT_THROW(w.set_value(xt::xarray<float>::from_shape({6})), xg::ShapeError);
}

}  // namespace
