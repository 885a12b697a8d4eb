// Module forward hooks and gradient clipping.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "xgrad/nn.hpp"

namespace {

using Td = xg::Tensor<double>;
using xg::test::expect_close;

xg::nn::Sequential<double> small_model() {
  return xg::nn::Sequential<double>{xg::nn::Linear<double>(2, 3), xg::nn::Tanh<double>(),
                                    xg::nn::Linear<double>(3, 1)};
}

TEST(ModuleHooks, ForwardHooksOfChildrenRunInsideAContainerAndCanReplace) {
  auto model = small_model();
  std::vector<std::string> log;
  auto& tanh = *model.children()[1].second;
  auto pre = tanh.register_forward_pre_hook([&](xg::nn::Module<double>& m, const Td& x) {
    log.push_back("pre " + m.type_name() + " " + xg::shape_str(x.shape()));
    return Td();
  });
  auto post = tanh.register_forward_hook([&](xg::nn::Module<double>& m, const Td&, const Td& y) {
    log.push_back("post " + m.type_name());
    return y * 0.0;  // replaces the output: the model's output is then the last bias
  });
  const auto x = Td::from({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  const Td y = model(x);
  EXPECT_EQ(log, (std::vector<std::string>{"pre Tanh (4, 3)", "post Tanh"}));
  const auto bias = model.children()[2].second->parameters()[1].value();
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(y.value()(i, 0), bias(0));
  pre.remove();
  post.remove();
  log.clear();
  const Td y2 = model(x);
  EXPECT_TRUE(log.empty());
  EXPECT_NE(y2.value()(0, 0), bias(0));
}

TEST(ModuleHooks, PreHookReplacesTheInputAndHooksRunInOrder) {
  xg::nn::Tanh<double> tanh;
  tanh.register_forward_pre_hook([](xg::nn::Module<double>&, const Td& x) { return x + 1.0; });
  tanh.register_forward_pre_hook([](xg::nn::Module<double>&, const Td& x) { return x * 2.0; });
  const Td y = tanh(Td::from({1}, {0.5}));
  EXPECT_DOUBLE_EQ(y.item(), std::tanh((0.5 + 1.0) * 2.0));
}

TEST(ClipGradNorm, ScalesAllGradientsTogetherAndReturnsTheNormBefore) {
  auto a = Td::from({2}, {0, 0}, true);
  auto b = Td::from({1}, {0}, true);
  a.set_grad(Td::from({2}, {3, 0}));
  b.set_grad(Td::from({1}, {4}));
  const double norm = xg::nn::clip_grad_norm_<double>({a, b}, 1.0);
  EXPECT_DOUBLE_EQ(norm, 5.0);
  const double scale = 1.0 / (5.0 + 1e-6);
  expect_close(a.grad().value(), xt::xarray<double>{3 * scale, 0}, 1e-15);
  expect_close(b.grad().value(), xt::xarray<double>{4 * scale}, 1e-15);
  // Below max_norm nothing changes.
  EXPECT_NEAR(xg::nn::clip_grad_norm_<double>({a, b}, 10.0), 1.0, 1e-6);
  expect_close(b.grad().value(), xt::xarray<double>{4 * scale}, 1e-15);
}

TEST(ClipGradNorm, OtherNormsAndParametersWithoutGradient) {
  auto a = Td::from({3}, {0, 0, 0}, true);
  auto unused = Td::from({1}, {0}, true);
  a.set_grad(Td::from({3}, {1, -2, 2}));
  EXPECT_DOUBLE_EQ(xg::nn::clip_grad_norm_<double>({a, unused}, 100.0, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(xg::nn::clip_grad_norm_<double>({a, unused}, 100.0, 3.0), std::cbrt(17.0));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_DOUBLE_EQ(xg::nn::clip_grad_norm_<double>({a, unused}, 1.0, inf), 2.0);
  expect_close(a.grad().value(), xt::xarray<double>(xt::xarray<double>{1, -2, 2} / (2.0 + 1e-6)),
               1e-15);
  EXPECT_FALSE(unused.has_grad());
}

TEST(ClipGradNorm, ANonFiniteNormIsReportedAndNotApplied) {
  auto a = Td::from({2}, {0, 0}, true);
  a.set_grad(Td::from({2}, {1, std::nan("")}));
  EXPECT_THROW_WITH(xg::nn::clip_grad_norm_<double>({a}, 1.0), xg::DomainError,
                    "clip_grad_norm_: the total 2-norm of the gradients is nan");
  EXPECT_EQ(a.grad().value()(0), 1.0);
  EXPECT_THROW_WITH(xg::nn::clip_grad_norm_<double>({a}, -1.0), xg::DomainError,
                    "max_norm must be at least 0, got -1");
  EXPECT_THROW_WITH(xg::nn::clip_grad_norm_<double>({a}, 1.0, 0.0), xg::DomainError,
                    "norm_type must be positive");
}

TEST(ClipGradValue, ClampsEveryElement) {
  auto a = Td::from({4}, {0, 0, 0, 0}, true);
  a.set_grad(Td::from({4}, {-3, -0.5, 0.5, 3}));
  xg::nn::clip_grad_value_<double>({a}, 1.0);
  expect_close(a.grad().value(), xt::xarray<double>{-1, -0.5, 0.5, 1}, 0);
  EXPECT_THROW_WITH(xg::nn::clip_grad_value_<double>({a}, -1.0), xg::DomainError,
                    "clip_grad_value_: clip_value must be finite and at least 0, got -1");
}

}  // namespace

namespace {

TEST(InitialiserVersions, ReinitialisingAParameterInvalidatesWhatTheTapeSavedOfIt) {
  Td w = xg::test::uniform<double>({3, 2}, -1.0, 1.0, 5, /*requires_grad=*/true);
  const Td x = xg::test::uniform<double>({4, 3}, -1.0, 1.0, 6, false);
  Td loss = xg::sum(xg::matmul(x, w) * xg::matmul(x, w));
  const auto before = w.version();
  xg::nn::initialize(w, xg::nn::Init::glorot_uniform, 3, 2);
  EXPECT_EQ(w.version(), before + 1);
  EXPECT_THROW(loss.backward(), xg::GraphError);  // matmul saved w's old value
}

}  // namespace
