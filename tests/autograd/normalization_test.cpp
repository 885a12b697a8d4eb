// batch_norm and layer_norm: values against hand-computed ones, the running statistics,
// gradients and second derivatives in double, thread-count independence and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;

/// Per channel (axis 1) mean and biased variance of x, by plain loops.
void channel_stats(const D& x, std::vector<double>& mean, std::vector<double>& var) {
  const Shape s = x.shape();
  const std::size_t n = s[0], c = s[1], l = x.size() / (n * c);
  mean.assign(c, 0.0);
  var.assign(c, 0.0);
  for (std::size_t k = 0; k < c; ++k) {
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t b = 0; b < l; ++b) mean[k] += x.value().data()[(a * c + k) * l + b];
    }
    mean[k] /= static_cast<double>(n * l);
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t b = 0; b < l; ++b) {
        const double d = x.value().data()[(a * c + k) * l + b] - mean[k];
        var[k] += d * d;
      }
    }
    var[k] /= static_cast<double>(n * l);
  }
}

/// (x - mean) / sqrt(var + eps) * w + b per channel, by plain loops.
std::vector<double> bn_reference(const D& x, const std::vector<double>& mean,
                                 const std::vector<double>& var, const std::vector<double>& w,
                                 const std::vector<double>& b, double eps) {
  const Shape s = x.shape();
  const std::size_t n = s[0], c = s[1], l = x.size() / (n * c);
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t k = (i / l) % c;
    out[i] = (x.value().data()[i] - mean[k]) / std::sqrt(var[k] + eps) * w[k] + b[k];
  }
  return out;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << i;
}

// ---- values ----

TEST(BatchNorm, TrainingNormalisesWithTheBatchMeanAndBiasedVariance) {
  // Channel 0: 1, 2, 3, 6 -> mean 3, biased var 3.5; channel 1: 0, 0, 4, 4 -> mean 2, var 4.
  const D x = D::from({4, 2}, {1, 0, 2, 0, 3, 4, 6, 4});
  const D w = D::from({2}, {2, 0.5});
  const D b = D::from({2}, {1, -1});
  const D y = batch_norm(x, D(), D(), w, b, true, 0.1, 1e-5);
  const double r0 = 1 / std::sqrt(3.5 + 1e-5), r1 = 1 / std::sqrt(4 + 1e-5);
  expect_near(test::values_of(y),
              {2 * -2 * r0 + 1, 0.5 * -2 * r1 - 1, 2 * -1 * r0 + 1, 0.5 * -2 * r1 - 1, 1,
               0.5 * 2 * r1 - 1, 2 * 3 * r0 + 1, 0.5 * 2 * r1 - 1},
              1e-14);
  EXPECT_EQ(y.shape(), (Shape{4, 2}));
}

TEST(BatchNorm, FourDimensionalMatchesPlainLoops) {
  const D x = uniform<double>({3, 4, 5, 2}, -2, 3, 11, false);
  const D w = uniform<double>({4}, 0.5, 1.5, 12, false);
  const D b = uniform<double>({4}, -1, 1, 13, false);
  std::vector<double> mean, var;
  channel_stats(x, mean, var);
  expect_near(test::values_of(batch_norm(x, D(), D(), w, b, true, 0.1, 1e-3)),
              bn_reference(x, mean, var, test::values_of(w), test::values_of(b), 1e-3), 1e-13);
  // Without affine parameters.
  expect_near(
      test::values_of(batch_norm(x, D(), D(), D(), D(), true)),
      bn_reference(x, mean, var, std::vector<double>(4, 1.0), std::vector<double>(4, 0.0), 1e-5),
      1e-13);
}

TEST(BatchNorm, EvalUsesTheRunningStatistics) {
  const D x = uniform<double>({3, 2, 4}, -1, 1, 5, false);
  const D rm = D::from({2}, {0.25, -0.5});
  const D rv = D::from({2}, {2.0, 0.5});
  const D w = D::from({2}, {1.5, -1});
  const D b = D::from({2}, {0.1, 0.2});
  const D y = batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5);
  expect_near(
      test::values_of(y),
      bn_reference(x, {0.25, -0.5}, {2.0, 0.5}, test::values_of(w), test::values_of(b), 1e-5),
      1e-14);
  // Eval leaves the running statistics alone.
  EXPECT_EQ(test::values_of(rm), (std::vector<double>{0.25, -0.5}));
  EXPECT_EQ(rm.version(), 0u);
}

TEST(BatchNorm, RunningStatisticsAfterSeveralStepsAsHandComputed) {
  D rm = D::zeros({3});
  D rv = D::ones({3});
  std::vector<double> m(3, 0.0), v(3, 1.0);
  const double momentum = 0.3;
  for (unsigned step = 0; step < 4; ++step) {
    const double shift = step;
    const D x = uniform<double>({2, 3, 5}, shift - 1, 2 * shift + 2, 20 + step, false);
    std::vector<double> mean, var;
    channel_stats(x, mean, var);
    for (std::size_t c = 0; c < 3; ++c) {
      m[c] = (1 - momentum) * m[c] + momentum * mean[c];
      v[c] = (1 - momentum) * v[c] + momentum * var[c] * 10.0 / 9.0;  // unbiased: n = 10
    }
    const std::uint32_t before = rm.version();
    batch_norm(x, rm, rv, D(), D(), true, momentum, 1e-5);
    EXPECT_EQ(rm.version(), before + 1);  // one in-place write per step
    expect_near(test::values_of(rm), m, 1e-14);
    expect_near(test::values_of(rv), v, 1e-14);
  }
  // momentum 0 keeps them, momentum 1 takes the batch's.
  const D x = uniform<double>({4, 3}, -1, 1, 30, false);
  std::vector<double> mean, var;
  channel_stats(x, mean, var);
  batch_norm(x, rm, rv, D(), D(), true, 0.0);
  expect_near(test::values_of(rm), m, 1e-14);
  batch_norm(x, rm, rv, D(), D(), true, 1.0);
  expect_near(test::values_of(rm), mean, 1e-14);
  for (auto& s : var) s *= 4.0 / 3.0;
  expect_near(test::values_of(rv), var, 1e-14);
}

TEST(BatchNorm, RunningStatisticsMayBeWrittenInPlaceBeforeBackward) {
  // The rule reads none of them: an update between forward and backward is fine.
  D rm = D::zeros({2});
  D rv = D::ones({2});
  const D x = uniform<double>({3, 2}, -1, 1, 4);
  D y = batch_norm(x, rm, rv, D(), D(), true);
  batch_norm(x.detach(), rm, rv, D(), D(), true);
  sum(mul(y, y)).backward();
  EXPECT_TRUE(x.has_grad());
}

TEST(LayerNorm, NormalisesEachSliceOverTheTrailingAxes) {
  // Rows (1, 2, 3, 6) and (0, 0, 4, 4) over normalized_shape (2, 2).
  const D x = D::from({2, 2, 2}, {1, 2, 3, 6, 0, 0, 4, 4});
  const D w = D::from({2, 2}, {1, 2, 3, 4});
  const D b = D::from({2, 2}, {0, 0, 0, 1});
  const D y = layer_norm(x, {2, 2}, w, b, 1e-5);
  const double r0 = 1 / std::sqrt(3.5 + 1e-5), r1 = 1 / std::sqrt(4 + 1e-5);
  expect_near(
      test::values_of(y),
      {-2 * r0, -2 * r0, 0, 4 * 3 * r0 + 1, -2 * r1, 2 * -2 * r1, 3 * 2 * r1, 4 * 2 * r1 + 1},
      1e-14);
  // A slice of one value normalises to 0 (the bias).
  expect_near(test::values_of(layer_norm(D::from({3, 1}, {5, -1, 2}), {1})), {0, 0, 0}, 0);
}

TEST(Normalization, FloatAgreesWithDouble) {
  const D xd = uniform<double>({5, 3, 7}, -3, 4, 8, false);
  const auto xf = Tensor<float>(xt::xarray<float>(xd.value()));
  const D yd = batch_norm(xd, D(), D(), D(), D(), true);
  const auto yf =
      batch_norm(xf, Tensor<float>(), Tensor<float>(), Tensor<float>(), Tensor<float>(), true);
  for (std::size_t i = 0; i < yd.size(); ++i) {
    EXPECT_NEAR(yf.value().data()[i], yd.value().data()[i], 1e-5);
  }
  const D ld = layer_norm(xd, {3, 7});
  const auto lf = layer_norm(xf, {3, 7});
  for (std::size_t i = 0; i < ld.size(); ++i) {
    EXPECT_NEAR(lf.value().data()[i], ld.value().data()[i], 1e-5);
  }
}

TEST(Normalization, ConstantAndLargeOffsetInputsStayAccurate) {
  // A constant channel normalises to 0; an offset of 1e4 does not swallow a spread of 1 in
  // float (the two-pass statistics).
  const auto c = Tensor<float>::full({4, 2, 3}, 7.5f);
  const auto yc = batch_norm(c, {}, {}, {}, {}, true);
  for (float v : yc.value()) EXPECT_EQ(v, 0.0f);
  std::vector<float> vals(64);
  for (std::size_t i = 0; i < vals.size(); ++i) vals[i] = 1e4f + (i % 2 == 0 ? 1.0f : -1.0f);
  const auto x = Tensor<float>::from({1, 64}, vals);
  const auto y = layer_norm(x, {64}, {}, {}, 1e-5);
  for (std::size_t i = 0; i < vals.size(); ++i) {
    EXPECT_NEAR(y.value().data()[i], i % 2 == 0 ? 1.0f : -1.0f, 1e-4f);
  }
}

TEST(Normalization, LongRunsWithFarApartSampleMeansStayAccurate) {
  // Spatial runs of 45 values are summarised one run at a time and merged; here every sample
  // sits 1e3 further off than the one before, with a spread of about 1 inside each run.
  const Shape s{6, 3, 5, 9};
  const D base = uniform<double>(s, -1, 1, 21, false);
  xt::xarray<double> xv = base.value();
  for (std::size_t n = 0; n < s[0]; ++n) {
    for (std::size_t k = 0; k < s[1] * s[2] * s[3]; ++k) {
      xv.data()[n * s[1] * s[2] * s[3] + k] += 1e3 * static_cast<double>(n);
    }
  }
  const D xd(xv);
  const auto xf = Tensor<float>(xt::xarray<float>(xv));
  const D yd = batch_norm(xd, D(), D(), D(), D(), true);
  const auto yf =
      batch_norm(xf, Tensor<float>(), Tensor<float>(), Tensor<float>(), Tensor<float>(), true);
  // The reference: plain loops in long double.
  const std::size_t inner = s[2] * s[3], count = s[0] * inner;
  for (std::size_t c = 0; c < s[1]; ++c) {
    long double sum = 0, sq = 0;
    for (std::size_t n = 0; n < s[0]; ++n)
      for (std::size_t i = 0; i < inner; ++i) sum += xv.data()[(n * s[1] + c) * inner + i];
    const long double mean = sum / count;
    for (std::size_t n = 0; n < s[0]; ++n)
      for (std::size_t i = 0; i < inner; ++i) {
        const long double d = xv.data()[(n * s[1] + c) * inner + i] - mean;
        sq += d * d;
      }
    const long double rstd = 1 / std::sqrt(sq / count + 1e-5L);
    for (std::size_t n = 0; n < s[0]; ++n)
      for (std::size_t i = 0; i < inner; ++i) {
        const std::size_t at = (n * s[1] + c) * inner + i;
        const double want = static_cast<double>((xv.data()[at] - mean) * rstd);
        EXPECT_NEAR(yd.value().data()[at], want, 1e-12) << at;
        // float holds the inputs to about 4e3 * 6e-8; the statistics add no more than that.
        EXPECT_NEAR(yf.value().data()[at], want, 2e-6) << at;
      }
  }
  // A constant channel of long runs still normalises to exactly 0.
  const auto k = Tensor<float>::full({3, 2, 8, 8}, 0.1f);
  const auto yk = batch_norm(k, {}, {}, {}, {}, true);
  for (float v : yk.value()) EXPECT_EQ(v, 0.0f);
}

// ---- gradients ----

/// Gradcheck and gradgradcheck of a normalisation f, and a gradgradcheck of f times itself: a
/// second derivative through a product of two normalisations.
void expect_norm_gradchecks(const Fn<double>& f, const std::vector<D>& inputs) {
  Fn<double> squared = [f](const std::vector<D>& in) {
    const D y = f(in);
    return mul(y, y);
  };
  EXPECT_GRADCHECK(double, f, inputs);
  EXPECT_GRADGRADCHECK(double, f, inputs);
  EXPECT_GRADGRADCHECK(double, squared, inputs);
}

struct BnCase {
  Shape shape;
  bool affine;
  bool training;
};

class BatchNormGrad : public ::testing::TestWithParam<BnCase> {};

TEST_P(BatchNormGrad, GradcheckAndGradgradcheck) {
  const BnCase& p = GetParam();
  const std::size_t c = p.shape[1];
  const D x = uniform<double>(p.shape, -1, 2, 3);
  const D w = uniform<double>({c}, 0.5, 1.5, 4);
  const D b = uniform<double>({c}, -1, 1, 5);
  const D rm = uniform<double>({c}, -0.5, 0.5, 6, false);
  const D rv = uniform<double>({c}, 0.5, 2, 7, false);
  const bool training = p.training;
  Fn<double> f = [&](const std::vector<D>& in) {
    const D& wi = in.size() > 1 ? in[1] : D();
    const D& bi = in.size() > 2 ? in[2] : D();
    // Running statistics only in eval: training ones would be written on every call.
    return training ? batch_norm(in[0], D(), D(), wi, bi, true, 0.1, 1e-3)
                    : batch_norm(in[0], rm, rv, wi, bi, false, 0.1, 1e-3);
  };
  expect_norm_gradchecks(f, p.affine ? std::vector<D>{x, w, b} : std::vector<D>{x});
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BatchNormGrad,
    ::testing::Values(BnCase{{4, 3}, true, true}, BnCase{{4, 3}, false, true},
                      BnCase{{3, 2, 5}, true, true}, BnCase{{3, 2, 3, 4}, true, true},
                      BnCase{{3, 2, 3, 4}, false, true}, BnCase{{1, 3, 5}, true, true},
                      BnCase{{1, 2, 2, 3}, false, true}, BnCase{{2, 3}, true, true},
                      BnCase{{4, 3}, true, false}, BnCase{{3, 2, 5}, false, false},
                      BnCase{{3, 2, 3, 4}, true, false}, BnCase{{1, 2, 2, 3}, true, false}),
    [](const ::testing::TestParamInfo<BnCase>& info) {
      std::string name = std::string(info.param.training ? "train" : "eval") + "_";
      for (auto d : info.param.shape) name += std::to_string(d) + "x";
      name.pop_back();
      return name + (info.param.affine ? "_affine" : "_plain");
    });

struct LnCase {
  Shape shape;
  Shape normalized;
  bool affine;
};

class LayerNormGrad : public ::testing::TestWithParam<LnCase> {};

TEST_P(LayerNormGrad, GradcheckAndGradgradcheck) {
  const LnCase& p = GetParam();
  const D x = uniform<double>(p.shape, -1, 2, 8);
  const D w = uniform<double>(p.normalized, 0.5, 1.5, 9);
  const D b = uniform<double>(p.normalized, -1, 1, 10);
  const Shape ns = p.normalized;
  Fn<double> f = [ns](const std::vector<D>& in) {
    return layer_norm(in[0], ns, in.size() > 1 ? in[1] : D(), in.size() > 2 ? in[2] : D(), 1e-3);
  };
  expect_norm_gradchecks(f, p.affine ? std::vector<D>{x, w, b} : std::vector<D>{x});
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayerNormGrad,
                         ::testing::Values(LnCase{{3, 4}, {4}, true}, LnCase{{3, 4}, {4}, false},
                                           LnCase{{2, 3, 4}, {3, 4}, true},
                                           LnCase{{2, 3, 4}, {2, 3, 4}, false},
                                           LnCase{{5}, {5}, true}, LnCase{{2, 1, 3}, {3}, true}),
                         [](const ::testing::TestParamInfo<LnCase>& info) {
                           std::string name;
                           for (auto d : info.param.shape) name += std::to_string(d) + "x";
                           name.back() = '_';
                           for (auto d : info.param.normalized) name += std::to_string(d) + "x";
                           name.pop_back();
                           return name + (info.param.affine ? "_affine" : "_plain");
                         });

TEST(Normalization, ThirdOrderGradientsAreRecordedToo) {
  // d^3/dx^3 of sum(layer_norm(x)^3) against finite differences of the second derivative.
  const D x = uniform<double>({1, 4}, -1, 1, 12);
  Fn<double> hess_row = [](const std::vector<D>& in) {
    const D y = layer_norm(in[0], {4}, {}, {}, 1e-3);
    const auto g = grad<double>({sum(mul(mul(y, y), y))}, {in[0]}, {}, {.create_graph = true});
    return g[0];
  };
  EXPECT_GRADGRADCHECK(double, hess_row, {x});
}

TEST(Normalization, BackwardOfABigTensorIsTheSameForAnyThreadCount) {
  const auto x0 = uniform<float>({16, 8, 32, 32}, -1, 3, 14, false);
  const auto g = uniform<float>({16, 8, 32, 32}, -1, 1, 15, false);
  auto run = [&](int threads, auto&& op) {
    return test::at_threads(threads, [&] {
      Tensor<float> x(x0.value(), true);
      const Tensor<float> y = op(x);
      y.backward(g);
      return std::pair{y.value(), x.grad().value()};
    });
  };
  auto bn = [](const Tensor<float>& x) {
    return batch_norm(x, Tensor<float>(), Tensor<float>(), Tensor<float>(), Tensor<float>(), true);
  };
  auto ln = [](const Tensor<float>& x) { return layer_norm(x, {32, 32}); };
  const auto bn1 = run(1, bn), bn2 = run(2, bn);
  const auto ln1 = run(1, ln), ln2 = run(2, ln);
  EXPECT_EQ(bn1.first, bn2.first);
  EXPECT_EQ(bn1.second, bn2.second);
  EXPECT_EQ(ln1.first, ln2.first);
  EXPECT_EQ(ln1.second, ln2.second);
}

TEST(Normalization, AffineGradientsAreTheSameForAnyThreadCount) {
  // With weight and bias: batch norm in training and evaluation (NCHW and (N, C)), layer norm
  // with more rows than one chunk of its parameter sums.
  using Tf = Tensor<float>;
  struct Run {
    xt::xarray<float> y, dx, dw, db;
  };
  auto run = [](int threads, const Shape& shape, const Shape& pshape, auto&& op) {
    return test::at_threads(threads, [&] {
      Tf x(uniform<float>(shape, -1, 3, 16, false).value(), true);
      Tf w(uniform<float>(pshape, 0.5, 1.5, 17, false).value(), true);
      Tf b(uniform<float>(pshape, -1, 1, 18, false).value(), true);
      const Tf y = op(x, w, b);
      y.backward(uniform<float>(shape, -1, 1, 19, false));
      return Run{y.value(), x.grad().value(), w.grad().value(), b.grad().value()};
    });
  };
  const Tf rm = uniform<float>({8}, -0.5, 0.5, 20, false);
  const Tf rv = uniform<float>({8}, 0.5, 2, 21, false);
  auto train = [](const Tf& x, const Tf& w, const Tf& b) {
    return batch_norm(x, Tf(), Tf(), w, b, true);
  };
  auto eval = [&](const Tf& x, const Tf& w, const Tf& b) {
    return batch_norm(x, rm, rv, w, b, false);
  };
  auto ln = [](const Tf& x, const Tf& w, const Tf& b) { return layer_norm(x, {64}, w, b); };
  auto expect_same = [&](const Shape& shape, const Shape& pshape, auto&& op) {
    const Run one = run(1, shape, pshape, op), two = run(2, shape, pshape, op);
    EXPECT_EQ(one.y, two.y);
    EXPECT_EQ(one.dx, two.dx);
    EXPECT_EQ(one.dw, two.dw);
    EXPECT_EQ(one.db, two.db);
  };
  expect_same({16, 8, 32, 32}, {8}, train);
  expect_same({16, 8, 32, 32}, {8}, eval);
  expect_same({8192, 8}, {8}, train);
  expect_same({40, 50, 64}, {64}, ln);
}

TEST(Normalization, ZeroWeightKeepsEveryGradient) {
  // A zero weight stops the gradient into x, but not into the weight itself (sum(g * xhat)),
  // to every order: no rule divides by the weight.
  const D x = uniform<double>({3, 3, 4}, -1, 2, 22);
  const D w = D::from({3}, {0.0, 1.3, 0.0}, true);
  const D b = uniform<double>({3}, -1, 1, 23);
  const D rm = uniform<double>({3}, -0.5, 0.5, 24, false);
  const D rv = uniform<double>({3}, 0.5, 2, 25, false);
  for (bool training : {true, false}) {
    Fn<double> f = [&](const std::vector<D>& in) {
      const D y = training ? batch_norm(in[0], D(), D(), in[1], in[2], true, 0.1, 1e-3)
                           : batch_norm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-3);
      return mul(y, y);
    };
    EXPECT_GRADCHECK(double, f, {x, w, b});
    EXPECT_GRADGRADCHECK(double, f, {x, w, b});
  }
  const D xl = uniform<double>({4, 3}, -1, 2, 26);
  const D wl = D::from({3}, {0.0, 0.7, 0.0}, true);
  Fn<double> fl = [](const std::vector<D>& in) {
    const D y = layer_norm(in[0], {3}, in[1], D(), 1e-3);
    return mul(y, y);
  };
  EXPECT_GRADCHECK(double, fl, {xl, wl});
  EXPECT_GRADGRADCHECK(double, fl, {xl, wl});
  // Values: the zero channel's dx is exactly 0 and its dw is sum(g * xhat).
  D xv(x.value(), true), wv(w.value(), true);
  const D y = batch_norm(xv, D(), D(), wv, D(), true);
  const D g = uniform<double>({3, 3, 4}, -1, 1, 27, false);
  y.backward(g);
  const D xhat = batch_norm(x.detach(), D(), D(), D(), D(), true);
  double want = 0;
  for (std::size_t a = 0; a < 3; ++a) {
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(xv.grad().value()(a, 0, i), 0.0);
      want += g.value()(a, 0, i) * xhat.value()(a, 0, i);
    }
  }
  EXPECT_NEAR(wv.grad().value()(0), want, 1e-12);
}

TEST(LayerNorm, ManyRowsGradcheck) {
  // More rows than one chunk of the parameter sums (32 rows).
  const D x = uniform<double>({35, 2}, -1, 2, 28);
  const D w = uniform<double>({2}, 0.5, 1.5, 29);
  const D b = uniform<double>({2}, -1, 1, 30);
  Fn<double> f = [](const std::vector<D>& in) {
    return layer_norm(in[0], {2}, in[1], in[2], 1e-3);
  };
  EXPECT_GRADCHECK(double, f, {x, w, b});
  EXPECT_GRADGRADCHECK(double, f, {x, w, b});
}

// ---- errors ----

TEST(BatchNorm, ErrorsNameTheOpAndTheShapes) {
  const D x = D::zeros({4, 3, 2});
  const D c3 = D::ones({3}), c2 = D::ones({2});
  EXPECT_THROW_WITH(batch_norm(D::zeros({5}), D(), D(), D(), D(), true), ShapeError, "batch_norm",
                    "at least 2 axes", "(5)");
  EXPECT_THROW_WITH(batch_norm(x, c2, c3, D(), D(), true), ShapeError, "batch_norm",
                    "running_mean of shape (2)", "3 channels", "(4, 3, 2)");
  EXPECT_THROW_WITH(batch_norm(x, c3, c2, D(), D(), true), ShapeError, "running_var");
  EXPECT_THROW_WITH(batch_norm(x, D(), D(), D::ones({3, 1}), D(), true), ShapeError,
                    "weight of shape (3, 1)", "expected shape (3)");
  EXPECT_THROW_WITH(batch_norm(x, D(), D(), c3, c2, true), ShapeError, "bias of shape (2)");
  EXPECT_THROW_WITH(batch_norm(x, c3, D(), D(), D(), true), GraphError, "both");
  EXPECT_THROW_WITH(batch_norm(x, D(), D(), D(), D(), false), GraphError, "evaluation");
  EXPECT_THROW_WITH(batch_norm(x, D::ones({3}, true), D::ones({3}), D(), D(), true), GraphError,
                    "must not require grad");
  EXPECT_THROW_WITH(batch_norm(x, D(), D(), D(), D(), true, 0.1, 0.0), DomainError, "eps", "got 0");
  EXPECT_THROW_WITH(batch_norm(x, D(), D(), D(), D(), true, 1.5), DomainError, "momentum", "1.5");
  EXPECT_THROW_WITH(batch_norm(x, D(), D(), D(), D(), true, -0.1), DomainError, "momentum");
  EXPECT_THROW_WITH(batch_norm(x, D(), D(), D(), D(), true, 0.1, -1e-5), DomainError, "eps");
  // One value per channel cannot be trained on; it can be evaluated.
  EXPECT_THROW_WITH(batch_norm(D::zeros({1, 3}), D(), D(), D(), D(), true), DomainError,
                    "more than 1 value per channel", "(1, 3)");
  EXPECT_THROW_WITH(batch_norm(D::zeros({1, 3, 1, 1}), D(), D(), D(), D(), true), DomainError,
                    "(1, 3, 1, 1)");
  EXPECT_EQ(batch_norm(D::zeros({1, 3}), c3, c3, D(), D(), false).shape(), (Shape{1, 3}));
  // A failed call leaves the running statistics as they were.
  D rm = D::zeros({3}), rv = D::ones({3});
  EXPECT_THROW(batch_norm(x, rm, rv, c2, D(), true), ShapeError);
  EXPECT_EQ(rm.version(), 0u);
  EXPECT_THROW_WITH(batch_norm(D(), D(), D(), D(), D(), true), GraphError, "batch_norm");
}

TEST(LayerNorm, ErrorsNameTheOpAndTheShapes) {
  const D x = D::zeros({2, 3, 4});
  EXPECT_THROW_WITH(layer_norm(x, {3}), ShapeError, "layer_norm", "normalized_shape (3)",
                    "(2, 3, 4)");
  EXPECT_THROW_WITH(layer_norm(x, {}), ShapeError, "non-empty");
  EXPECT_THROW_WITH(layer_norm(x, {1, 2, 3, 4}), ShapeError, "(1, 2, 3, 4)");
  EXPECT_THROW_WITH(layer_norm(x, {3, 4}, D::ones({4})), ShapeError, "weight of shape (4)",
                    "expected shape (3, 4)");
  EXPECT_THROW_WITH(layer_norm(x, {4}, D(), D::ones({3})), ShapeError, "bias of shape (3)");
  EXPECT_THROW_WITH(layer_norm(x, {4}, D(), D(), 0.0), DomainError, "layer_norm", "eps");
  EXPECT_THROW_WITH(layer_norm(D::zeros({2, 0}), {0}), ShapeError, "no values");
}

}  // namespace
}  // namespace xg
