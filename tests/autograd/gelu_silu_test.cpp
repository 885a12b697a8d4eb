// gelu (exact and tanh forms) and silu: values and derivatives against PyTorch's at known
// points, gradients and second derivatives in double, finite results at extreme inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;

/// The value, first and second derivative of f at 1, -1 and 0.5 against the wanted ones.
template <class F>
void expect_at_points(F f, const std::vector<double>& value, const std::vector<double>& first,
                      const std::vector<double>& second) {
  D x = D::from({3}, {1.0, -1.0, 0.5}, true);
  D y = f(x);
  auto g = xg::grad<double>({sum(y)}, {x}, {}, {.create_graph = true});
  auto h = xg::grad<double>({sum(g[0])}, {x});
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(y.value()(i), value[i], 1e-15) << i;
    EXPECT_NEAR(g[0].value()(i), first[i], 1e-15) << i;
    EXPECT_NEAR(h[0].value()(i), second[i], 1e-14) << i;
  }
}

template <class F>
void check_double(F f) {
  Fn<double> fn = [f](const std::vector<D>& x) { return f(x[0]); };
  for (const Shape& s : {Shape{}, Shape{7}, Shape{3, 4}}) {
    const D x = uniform<double>(s, -4, 4, 11);
    EXPECT_GRADCHECK(double, fn, {x});
    EXPECT_GRADGRADCHECK(double, fn, {x});
  }
}

// Wanted values from torch 1.13 (F.gelu, F.silu in float64).
TEST(Gelu, ExactFormAtKnownPoints) {
  expect_at_points([](const D& x) { return gelu(x); },
                   {0.841344746068543, -0.15865525393145702, 0.34573123063700656},
                   {1.0833154705876864, -0.08331547058768635, 0.8674951246561629},
                   {0.24197072451914337, 0.24197072451914337, 0.6161143218375241});
}

TEST(Gelu, TanhFormAtKnownPoints) {
  expect_at_points([](const D& x) { return gelu(x, GeluApproximation::tanh); },
                   {0.8411919906082768, -0.15880800939172324, 0.34571400982514394},
                   {1.0829640838457826, -0.08296408384578252, 0.8673699035346424},
                   {0.24214819798377296, 0.24214819798377296, 0.615506895115985});
}

TEST(Silu, AtKnownPoints) {
  expect_at_points([](const D& x) { return silu(x); },
                   {0.7310585786300049, -0.2689414213699951, 0.3112296656009273},
                   {0.9276705118714869, 0.07232948812851325, 0.7399611873026519},
                   {0.3023661188100153, 0.3023661188100153, 0.4412290269770286});
}

TEST(Gelu, GradientsAndSecondDerivatives) {
  check_double([](const D& x) { return gelu(x); });
  check_double([](const D& x) { return gelu(x, GeluApproximation::tanh); });
}

TEST(Silu, GradientsAndSecondDerivatives) {
  check_double([](const D& x) { return silu(x); });
}

TEST(Gelu, FloatGradients) {
  Fn<float> exact = [](const std::vector<Tensor<float>>& x) { return gelu(x[0]); };
  Fn<float> approx = [](const std::vector<Tensor<float>>& x) {
    return gelu(x[0], GeluApproximation::tanh);
  };
  Fn<float> s = [](const std::vector<Tensor<float>>& x) { return silu(x[0]); };
  const auto x = uniform<float>({3, 4}, -3, 3, 5);
  EXPECT_GRADCHECK(float, exact, {x});
  EXPECT_GRADCHECK(float, approx, {x});
  EXPECT_GRADCHECK(float, s, {x});
}

TEST(Gelu, ExtremeInputsStayFinite) {
  for (auto form : {GeluApproximation::none, GeluApproximation::tanh}) {
    D x = D::from({4}, {-1e200, -50, 50, 1e200}, true);
    D y = gelu(x, form);
    EXPECT_EQ(y.value()(0), 0);
    EXPECT_EQ(y.value()(2), 50);
    EXPECT_EQ(y.value()(3), 1e200);
    auto g = xg::grad<double>({sum(y)}, {x}, {}, {.create_graph = true});
    EXPECT_EQ(g[0].value()(0), 0);
    EXPECT_EQ(g[0].value()(3), 1);
    auto h = xg::grad<double>({sum(g[0])}, {x});
    test::expect_all_finite(h[0], "gelu''");
  }
  D x = D::from({2}, {-1e200, 1e200}, true);
  D y = silu(x);
  EXPECT_EQ(y.value()(0), 0);
  EXPECT_EQ(y.value()(1), 1e200);
  y.backward(D::ones({2}));
  EXPECT_EQ(x.grad().value()(0), 0);
  EXPECT_EQ(x.grad().value()(1), 1);
}

TEST(Gelu, UndefinedInput) {
  EXPECT_THROW_WITH(gelu(D()), GraphError, "gelu");
  EXPECT_THROW_WITH(silu(D()), GraphError, "silu");
}

}  // namespace
}  // namespace xg
