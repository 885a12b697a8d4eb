// Loss functions: values and reductions, gradients (double and float), second derivatives,
// closed forms, stability at extreme logits, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <xtensor/xio.hpp>

#include "test_support.hpp"

namespace xg {
namespace {

using test::expect_all_finite;
using test::Fn;
using test::uniform;

const Reduction kReductions[] = {Reduction::mean, Reduction::sum, Reduction::none};

std::string red_str(Reduction r) {
  return r == Reduction::mean ? "mean" : r == Reduction::sum ? "sum" : "none";
}

/// A (pred, target) loss checked in double and float, first and second derivatives, for both
/// arguments requiring grad, on several shapes and every reduction.
template <class L>
void check_pair_loss(L loss, double plo, double phi, double tlo, double thi) {
  unsigned seed = 300;
  for (const Shape& s : {Shape{}, Shape{4}, Shape{2, 3}}) {
    for (Reduction r : kReductions) {
      SCOPED_TRACE("shape " + shape_str(s) + ", reduction " + red_str(r));
      Fn<double> fd = [loss, r](const std::vector<Tensor<double>>& x) {
        return loss(x[0], x[1], r);
      };
      Fn<float> ff = [loss, r](const std::vector<Tensor<float>>& x) { return loss(x[0], x[1], r); };
      auto pd = uniform<double>(s, plo, phi, seed);
      auto td = uniform<double>(s, tlo, thi, seed + 1);
      auto pf = uniform<float>(s, plo, phi, seed);
      auto tf = uniform<float>(s, tlo, thi, seed + 1);
      seed += 2;
      EXPECT_GRADCHECK(double, fd, {pd, td});
      EXPECT_GRADCHECK(float, ff, {pf, tf});
      EXPECT_GRADGRADCHECK(double, fd, {pd, td});
      EXPECT_GRADGRADCHECK(float, ff, {pf, tf});
      // Target held constant (the usual case).
      auto tconst = uniform<double>(s, tlo, thi, seed, /*requires_grad=*/false);
      EXPECT_GRADCHECK(double, fd, {pd, tconst});
    }
  }
}

TEST(LossGrad, Mse) {
  check_pair_loss([](const auto& p, const auto& t, Reduction r) { return mse_loss(p, t, r); }, -2,
                  2, -2, 2);
}
TEST(LossGrad, Bce) {
  check_pair_loss([](const auto& p, const auto& t, Reduction r) { return bce_loss(p, t, r); }, 0.05,
                  0.95, 0, 1);
}
TEST(LossGrad, BceWithLogits) {
  check_pair_loss(
      [](const auto& x, const auto& t, Reduction r) { return bce_with_logits(x, t, r); }, -4, 4, 0,
      1);
}

/// (N, C) losses against labels: double and float, second derivatives.
template <class L>
void check_class_loss(L loss, double lo, double hi) {
  struct Case {
    Shape shape;
    std::vector<std::size_t> labels;
  };
  unsigned seed = 400;
  for (const Case& c : {Case{{4, 5}, {2, 0, 4, 2}}, Case{{1, 3}, {1}}, Case{{3, 1}, {0, 0, 0}}}) {
    for (Reduction r : kReductions) {
      SCOPED_TRACE("shape " + shape_str(c.shape) + ", reduction " + red_str(r));
      const auto labels = c.labels;
      Fn<double> fd = [loss, labels, r](const std::vector<Tensor<double>>& x) {
        return loss(x[0], labels, r);
      };
      Fn<float> ff = [loss, labels, r](const std::vector<Tensor<float>>& x) {
        return loss(x[0], labels, r);
      };
      // Squared, so that the upstream gradient of the loss depends on the input: the second
      // derivative then runs through the loss's own backward.
      Fn<double> sq = [loss, labels, r](const std::vector<Tensor<double>>& x) {
        auto l = loss(x[0], labels, r);
        return mul(l, l);
      };
      auto ad = uniform<double>(c.shape, lo, hi, seed);
      auto af = uniform<float>(c.shape, lo, hi, seed++);
      EXPECT_GRADCHECK(double, fd, {ad});
      EXPECT_GRADCHECK(float, ff, {af});
      EXPECT_GRADGRADCHECK(double, fd, {ad});
      EXPECT_GRADGRADCHECK(float, ff, {af});
      EXPECT_GRADCHECK(double, sq, {ad});
      EXPECT_GRADGRADCHECK(double, sq, {ad});
    }
  }
}

TEST(LossGrad, Nll) {
  check_class_loss([](const auto& x, const auto& l, Reduction r) { return nll_loss(x, l, r); }, -3,
                   -0.1);
}
TEST(LossGrad, CrossEntropy) {
  check_class_loss([](const auto& x, const auto& l, Reduction r) { return cross_entropy(x, l, r); },
                   -3, 3);
}

TEST(LossValues, MseReductions) {
  auto p = Tensor<double>::from({3}, {1, 2, 3});
  auto t = Tensor<double>::from({3}, {0, 2, 5});
  EXPECT_EQ(mse_loss(p, t, Reduction::none).value(), (xt::xarray<double>{1, 0, 4}));
  EXPECT_DOUBLE_EQ(mse_loss(p, t, Reduction::sum).item(), 5.0);
  EXPECT_DOUBLE_EQ(mse_loss(p, t).item(), 5.0 / 3);
  EXPECT_EQ(mse_loss(p, t, Reduction::sum).shape(), Shape{});
  // d mean / dp = 2 (p - t) / N
  auto pg = Tensor<double>::from({3}, {1, 2, 3}, true);
  mse_loss(pg, t).backward();
  EXPECT_EQ(pg.grad().value(), (xt::xarray<double>{2.0 / 3, 0, -4.0 / 3}));
}

TEST(LossValues, BceReductionsAndClosedForm) {
  auto p = Tensor<double>::from({2, 2}, {0.8, 0.3, 0.5, 0.9}, true);
  auto t = Tensor<double>::from({2, 2}, {1, 0, 0.25, 1});
  const double want[] = {-std::log(0.8), -std::log(0.7),
                         -(0.25 * std::log(0.5) + 0.75 * std::log(0.5)), -std::log(0.9)};
  auto none = bce_loss(p, t, Reduction::none);
  ASSERT_EQ(none.shape(), (Shape{2, 2}));
  double total = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(none.value().flat(i), want[i], 1e-15);
    total += want[i];
  }
  EXPECT_NEAR(bce_loss(p, t, Reduction::sum).item(), total, 1e-14);
  EXPECT_NEAR(bce_loss(p, t).item(), total / 4, 1e-14);
  // d mean / dp = (p - t) / (p (1 - p)) / N
  bce_loss(p, t).backward();
  for (std::size_t i = 0; i < 4; ++i) {
    const double pi = p.value().flat(i), ti = t.value().flat(i);
    EXPECT_NEAR(p.grad().value().flat(i), (pi - ti) / (pi * (1 - pi)) / 4, 1e-13);
  }
}

template <class T>
void bce_at_bounds() {
  // p = 0 or 1: the logs are clamped at -100 (PyTorch), so the loss is 0 or 100 and finite.
  auto p = Tensor<T>::from({4}, {0, 0, 1, 1}, true);
  auto t = Tensor<T>::from({4}, {1, 0, 0, 1}, true);
  auto l = bce_loss(p, t, Reduction::none);
  EXPECT_EQ(l.value(), (xt::xarray<T>{100, 0, 100, 0}));
  sum(l).backward();
  expect_all_finite(p.grad(), "bce gradient wrt p");
  expect_all_finite(t.grad(), "bce gradient wrt t");
  // d/dt = log(1 - p) - log p with the clamped logs: 100, 100, -100, -100.
  EXPECT_EQ(t.grad().value(), (xt::xarray<T>{100, 100, -100, -100}));
  // d/dp = -t/p + (1 - t)/(1 - p), where each term counts only if its log is not clamped
  // (the exact derivative of the clamped loss): p = 0, t = 1 and p = 1, t = 0 sit on a flat
  // clamped piece (0); p = 0, t = 0 is -log(1 - p), slope 1; p = 1, t = 1 is -log p, slope -1.
  EXPECT_EQ(p.grad().value(), (xt::xarray<T>{0, 1, 0, -1}));
}

TEST(LossValues, BceAtZeroAndOneIsFinite) {
  bce_at_bounds<double>();
  bce_at_bounds<float>();
}

TEST(LossValues, BceWithLogitsMatchesBceOfSigmoid) {
  auto x = uniform<double>({3, 4}, -5, 5, 11);
  auto t = uniform<double>({3, 4}, 0, 1, 12, false);
  for (Reduction r : kReductions) {
    auto a = bce_with_logits(x, t, r);
    auto b = bce_loss(sigmoid(x), t, r);
    ASSERT_EQ(a.shape(), b.shape());
    for (std::size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a.value().flat(i), b.value().flat(i), 1e-12);
  }
  // Gradient (sigmoid(x) - t) / N.
  auto g = grad<double>({bce_with_logits(x, t)}, {x})[0];
  auto s = sigmoid(x).value();
  for (std::size_t i = 0; i < 12; ++i)
    EXPECT_NEAR(g.value().flat(i), (s.flat(i) - t.value().flat(i)) / 12, 1e-15);
}

template <class T>
void bce_with_logits_stable() {
  auto x = Tensor<T>::from({4}, {1e4, -1e4, 1e4, -1e4}, true);
  auto t = Tensor<T>::from({4}, {0, 1, 1, 0});
  auto l = bce_with_logits(x, t, Reduction::none);
  EXPECT_EQ(l.value(), (xt::xarray<T>{1e4, 1e4, 0, 0}));
  auto m = bce_with_logits(x, t);
  EXPECT_EQ(m.item(), T(5e3));
  m.backward();
  EXPECT_EQ(x.grad().value(), (xt::xarray<T>{0.25, -0.25, 0, 0}));
}

TEST(LossStability, BceWithLogitsAtExtremeLogits) {
  bce_with_logits_stable<double>();
  bce_with_logits_stable<float>();
}

TEST(LossValues, NllReductionsAndGradient) {
  auto lp = Tensor<double>::from({3, 4}, {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12}, true);
  const std::vector<std::size_t> labels = {2, 0, 3};
  auto none = nll_loss(lp, labels, Reduction::none);
  EXPECT_EQ(none.shape(), Shape{3});
  EXPECT_EQ(none.value(), (xt::xarray<double>{3, 5, 12}));
  EXPECT_DOUBLE_EQ(nll_loss(lp, labels, Reduction::sum).item(), 20.0);
  EXPECT_DOUBLE_EQ(nll_loss(lp, labels).item(), 20.0 / 3);
  nll_loss(lp, labels).backward();
  xt::xarray<double> want = xt::zeros<double>({3, 4});
  want(0, 2) = want(1, 0) = want(2, 3) = -1.0 / 3;
  EXPECT_EQ(lp.grad().value(), want);
  // none: each row gets its own upstream gradient.
  lp.zero_grad();
  nll_loss(lp, labels, Reduction::none).backward(Tensor<double>::from({3}, {1, 2, 3}));
  want = xt::zeros<double>({3, 4});
  want(0, 2) = -1;
  want(1, 0) = -2;
  want(2, 3) = -3;
  EXPECT_EQ(lp.grad().value(), want);
}

template <class T>
void cross_entropy_closed_form() {
  auto logits = uniform<T>({5, 4}, -3, 3, 21);
  const std::vector<std::size_t> labels = {3, 0, 1, 3, 2};
  xt::xarray<T> onehot = xt::zeros<T>({5, 4});
  for (std::size_t i = 0; i < 5; ++i) onehot(i, labels[i]) = 1;
  const xt::xarray<T> sm = softmax(logits, 1).value();
  const T tol = std::is_same_v<T, float> ? T(1e-6) : T(1e-15);

  auto g = grad<T>({cross_entropy(logits, labels)}, {logits})[0];
  xt::xarray<T> want = (sm - onehot) / T(5);
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(g.value().flat(i), want.flat(i), tol);

  g = grad<T>({cross_entropy(logits, labels, Reduction::sum)}, {logits})[0];
  want = sm - onehot;
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(g.value().flat(i), want.flat(i), tol);

  // Values: -log softmax at the label.
  auto none = cross_entropy(logits, labels, Reduction::none);
  ASSERT_EQ(none.shape(), Shape{5});
  T total = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(none.value()(i), -std::log(sm(i, labels[i])), 10 * tol);
    total += none.value()(i);
  }
  EXPECT_NEAR(cross_entropy(logits, labels, Reduction::sum).item(), total, 10 * tol);
  EXPECT_NEAR(cross_entropy(logits, labels).item(), total / 5, 10 * tol);
}

TEST(LossValues, CrossEntropyClosedForm) {
  cross_entropy_closed_form<double>();
  cross_entropy_closed_form<float>();
}

template <class T>
void cross_entropy_stable() {
  auto logits = Tensor<T>::from({3, 3}, {1e4, -1e4, 0, -1e4, 1e4, -1e4, 0, 0, 1e4}, true);
  const std::vector<std::size_t> labels = {0, 0, 1};
  auto l = cross_entropy(logits, labels, Reduction::none);
  expect_all_finite(l, "cross_entropy");
  EXPECT_EQ(l.value(), (xt::xarray<T>{0, 2e4, 1e4}));
  cross_entropy(logits, labels, Reduction::sum).backward();
  expect_all_finite(logits.grad(), "cross_entropy gradient");
  // softmax - onehot: row 0 predicts its label; rows 1 and 2 put all mass elsewhere.
  EXPECT_EQ(logits.grad().value(), (xt::xarray<T>{{0, 0, 0}, {-1, 1, 0}, {0, -1, 1}}));
}

TEST(LossStability, CrossEntropyAtExtremeLogits) {
  cross_entropy_stable<double>();
  cross_entropy_stable<float>();
}

TEST(LossValues, EmptyBatch) {
  auto e = Tensor<double>::zeros({0, 3}, true);
  EXPECT_EQ(cross_entropy(e, {}, Reduction::none).shape(), Shape{0});
  EXPECT_EQ(cross_entropy(e, {}, Reduction::sum).item(), 0.0);
  EXPECT_THROW_WITH(cross_entropy(e, {}), ShapeError, "cross_entropy", "empty", "(0, 3)");
  EXPECT_THROW_WITH(mse_loss(Tensor<double>::zeros({0}), Tensor<double>::zeros({0})), ShapeError,
                    "mse_loss", "empty");
}

TEST(LossErrors, ShapeMismatch) {
  auto a = Tensor<double>::ones({2, 3});
  auto b = Tensor<double>::ones({3, 2});
  EXPECT_THROW_WITH(mse_loss(a, b), ShapeError, "mse_loss", "(2, 3)", "(3, 2)");
  // No silent broadcasting, not even of size-1 axes.
  EXPECT_THROW_WITH(mse_loss(Tensor<double>::ones({3}), Tensor<double>::ones({3, 1})), ShapeError,
                    "mse_loss", "(3)", "(3, 1)");
  EXPECT_THROW_WITH(bce_loss(Tensor<double>::full({2, 3}, 0.5), b), ShapeError, "bce_loss",
                    "(2, 3)", "(3, 2)");
  EXPECT_THROW_WITH(bce_with_logits(a, Tensor<double>::ones({2, 1})), ShapeError, "bce_with_logits",
                    "(2, 3)", "(2, 1)");
  EXPECT_THROW_WITH(mse_loss(a, Tensor<double>()), GraphError, "mse_loss", "undefined");
}

TEST(LossErrors, ProbabilityOutsideUnitInterval) {
  auto t = Tensor<double>::zeros({2, 2});
  EXPECT_THROW_WITH(bce_loss(Tensor<double>::from({2, 2}, {0.5, 0.1, 1.5, 0.2}), t), DomainError,
                    "bce_loss", "1.5", "(1, 0)", "[0, 1]");
  EXPECT_THROW_WITH(bce_loss(Tensor<double>::from({2, 2}, {0.5, -0.25, 0.5, 0.2}), t), DomainError,
                    "bce_loss", "-0.25", "(0, 1)");
  EXPECT_THROW_WITH(bce_loss(Tensor<float>::from({1}, {std::nanf("")}), Tensor<float>::zeros({1})),
                    DomainError, "bce_loss", "nan", "(0)");
}

TEST(LossErrors, ClassLosses) {
  auto lp = Tensor<double>::zeros({3, 4});
  for (const char* op : {"nll_loss", "cross_entropy"}) {
    SCOPED_TRACE(op);
    auto f = [op](const Tensor<double>& x, const std::vector<std::size_t>& l) {
      return std::string(op) == "nll_loss" ? nll_loss(x, l) : cross_entropy(x, l);
    };
    EXPECT_THROW_WITH(f(Tensor<double>::zeros({4}), {0, 1, 2, 3}), ShapeError, op, "2-D", "(4)");
    EXPECT_THROW_WITH(f(Tensor<double>::zeros({2, 3, 4}), {0, 1}), ShapeError, op, "2-D",
                      "(2, 3, 4)");
    EXPECT_THROW_WITH(f(lp, {0, 1}), ShapeError, op, "2 labels", "(3, 4)");
    EXPECT_THROW_WITH(f(lp, {0, 4, 1}), IndexError, op, "label 4", "row 1", "4 classes");
    EXPECT_THROW_WITH(f(lp, {0, 1, 99}), IndexError, op, "label 99", "row 2");
    EXPECT_THROW_WITH(f(Tensor<double>(), {}), GraphError, op, "undefined");
  }
}

}  // namespace
}  // namespace xg

namespace {
// Sum and mean of mse_loss and bce_loss are single fused operations; they must agree with the
// elementwise (Reduction::none) composition, values and both gradients, including p = 0 and 1.
TEST(LossFused, AgreesWithElementwiseComposition) {
  using xg::Reduction;
  using xg::Tensor;
  const std::vector<double> pv{0, 0, 1, 1, 0.25, 0.7}, tv{1, 0, 0, 1, 0.5, 1};
  for (Reduction r : {Reduction::sum, Reduction::mean}) {
    for (int which = 0; which < 2; ++which) {
      auto loss = [which](const Tensor<double>& p, const Tensor<double>& t, Reduction red) {
        return which == 0 ? xg::bce_loss(p, t, red) : xg::mse_loss(p, t, red);
      };
      auto p1 = Tensor<double>::from({2, 3}, pv, true), t1 = Tensor<double>::from({2, 3}, tv, true);
      auto p2 = Tensor<double>::from({2, 3}, pv, true), t2 = Tensor<double>::from({2, 3}, tv, true);
      auto fused = loss(p1, t1, r);
      auto composed = r == Reduction::sum ? xg::sum(loss(p2, t2, Reduction::none))
                                          : xg::mean(loss(p2, t2, Reduction::none));
      EXPECT_STREQ(fused.op_name(), which == 0 ? "bce_loss" : "mse_loss");
      EXPECT_NEAR(fused.item(), composed.item(), 1e-12);
      fused.backward();
      composed.backward();
      EXPECT_TRUE(xt::allclose(p1.grad().value(), p2.grad().value(), 1e-12, 1e-12));
      EXPECT_TRUE(xt::allclose(t1.grad().value(), t2.grad().value(), 1e-12, 1e-12));
    }
  }
}
}  // namespace
