// Pooling: max_pool2d / max_pool1d (ties, NaN, indices), avg_pool2d / avg_pool1d
// (count_include_pad, ceil_mode, divisor_override), adaptive_avg_pool2d. Values against naive
// loops written from PyTorch's definitions, gradients and second derivatives in double on odd
// sizes, the backward operations' own rules, the same bits for any thread count, every error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"
#include "xgrad/threads.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;

/// Distinct values (a shuffled ramp with steps of 0.013, no two closer than any gradcheck step):
/// max-pool's argmax never changes under the finite differences.
D distinct(const Shape& shape, unsigned seed = 5) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 0.013 * static_cast<double>(i) - 0.4;
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  return D::from(shape, v, true);
}

// ---- naive references, from PyTorch's definitions ----

struct Cfg {
  std::size_t kh, kw, sh, sw, ph, pw, dh, dw;
  bool ceil;
};

/// Output size along one axis by counting windows: floor mode keeps windows inside the padded
/// input, ceil mode those that start before its end and inside the input or left padding.
std::size_t count_windows(std::size_t in, std::size_t k, std::size_t s, std::size_t p,
                          std::size_t d, bool ceil) {
  const long ext = static_cast<long>(d * (k - 1) + 1);
  const long padded = static_cast<long>(in + 2 * p);
  std::size_t n = 0;
  for (long o = 0;; ++o) {
    const long start = o * static_cast<long>(s);
    const bool fits =
        ceil ? start < padded - ext + static_cast<long>(s) && start < static_cast<long>(in + p)
             : start + ext <= padded;
    if (!fits) break;
    ++n;
  }
  return n;
}

template <class T>
std::vector<T> naive_max(const Tensor<T>& x, const Cfg& c, std::vector<std::size_t>* at = nullptr) {
  const auto& s = x.value().shape();
  const std::size_t N = s[0], C = s[1], H = s[2], W = s[3];
  const std::size_t oh = count_windows(H, c.kh, c.sh, c.ph, c.dh, c.ceil);
  const std::size_t ow = count_windows(W, c.kw, c.sw, c.pw, c.dw, c.ceil);
  std::vector<T> out;
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t ch = 0; ch < C; ++ch)
      for (std::size_t i = 0; i < oh; ++i)
        for (std::size_t j = 0; j < ow; ++j) {
          T best = -std::numeric_limits<T>::infinity();
          std::size_t where = H * W;
          for (std::size_t a = 0; a < c.kh; ++a)
            for (std::size_t b = 0; b < c.kw; ++b) {
              const long r = static_cast<long>(i * c.sh + a * c.dh) - static_cast<long>(c.ph);
              const long q = static_cast<long>(j * c.sw + b * c.dw) - static_cast<long>(c.pw);
              if (r < 0 || q < 0 || r >= static_cast<long>(H) || q >= static_cast<long>(W))
                continue;
              const T v = x.value()(n, ch, r, q);
              if (v > best || std::isnan(v)) {
                best = v;
                where = static_cast<std::size_t>(r) * W + static_cast<std::size_t>(q);
              }
            }
          out.push_back(best);
          if (at) at->push_back(where);
        }
  return out;
}

std::vector<double> naive_avg(const D& x, const Cfg& c, bool include_pad,
                              std::optional<long> divisor) {
  const auto& s = x.value().shape();
  const std::size_t N = s[0], C = s[1], H = s[2], W = s[3];
  const std::size_t oh = count_windows(H, c.kh, c.sh, c.ph, 1, c.ceil);
  const std::size_t ow = count_windows(W, c.kw, c.sw, c.pw, 1, c.ceil);
  const long ph = static_cast<long>(c.ph), pw = static_cast<long>(c.pw);
  std::vector<double> out;
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t ch = 0; ch < C; ++ch)
      for (std::size_t i = 0; i < oh; ++i)
        for (std::size_t j = 0; j < ow; ++j) {
          double sum = 0;
          long inside = 0, padded = 0;
          for (std::size_t a = 0; a < c.kh; ++a)
            for (std::size_t b = 0; b < c.kw; ++b) {
              const long r = static_cast<long>(i * c.sh + a) - ph;
              const long q = static_cast<long>(j * c.sw + b) - pw;
              if (r < static_cast<long>(H) + ph && q < static_cast<long>(W) + pw) ++padded;
              if (r < 0 || q < 0 || r >= static_cast<long>(H) || q >= static_cast<long>(W))
                continue;
              sum += x.value()(n, ch, r, q);
              ++inside;
            }
          const long div = divisor ? *divisor : include_pad ? padded : inside;
          out.push_back(sum / static_cast<double>(div));
        }
  return out;
}

std::vector<double> naive_adaptive(const D& x, std::size_t oh, std::size_t ow) {
  const auto& s = x.value().shape();
  const std::size_t N = s[0], C = s[1], H = s[2], W = s[3];
  std::vector<double> out;
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t ch = 0; ch < C; ++ch)
      for (std::size_t i = 0; i < oh; ++i)
        for (std::size_t j = 0; j < ow; ++j) {
          const auto r0 = static_cast<std::size_t>(std::floor(double(i * H) / double(oh)));
          const auto r1 = static_cast<std::size_t>(std::ceil(double((i + 1) * H) / double(oh)));
          const auto c0 = static_cast<std::size_t>(std::floor(double(j * W) / double(ow)));
          const auto c1 = static_cast<std::size_t>(std::ceil(double((j + 1) * W) / double(ow)));
          double sum = 0;
          for (std::size_t r = r0; r < r1; ++r)
            for (std::size_t q = c0; q < c1; ++q) sum += x.value()(n, ch, r, q);
          out.push_back(sum / double((r1 - r0) * (c1 - c0)));
        }
  return out;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << "at " << i;
}

const std::vector<Cfg>& configs() {
  static const std::vector<Cfg> c = {
      {2, 2, 2, 2, 0, 0, 1, 1, false}, {3, 3, 2, 2, 1, 1, 1, 1, false},
      {3, 2, 2, 1, 1, 0, 1, 1, true},  {3, 3, 2, 2, 1, 1, 2, 2, true},
      {2, 3, 3, 2, 1, 1, 2, 1, false}, {2, 2, 2, 2, 0, 0, 1, 1, true},
      {1, 3, 1, 2, 0, 1, 1, 3, true},  {3, 1, 3, 3, 0, 0, 1, 1, true},
      {3, 3, 1, 1, 0, 0, 1, 1, false}, {3, 3, 2, 2, 0, 0, 1, 1, true},
  };
  return c;
}

// ---- max_pool2d ----

TEST(MaxPool2d, ValuesAndIndicesMatchTheNaiveLoop) {
  for (const Shape& shape : {Shape{1, 1, 7, 6}, Shape{3, 2, 9, 8}, Shape{2, 3, 5, 5}}) {
    const D x = uniform<double>(shape, -2, 2, 11);
    for (const Cfg& c : configs()) {
      SCOPED_TRACE(::testing::Message()
                   << "k " << c.kh << "x" << c.kw << " s " << c.sh << "x" << c.sw << " p " << c.ph
                   << "x" << c.pw << " d " << c.dh << "x" << c.dw << " ceil " << c.ceil);
      std::vector<std::size_t> at;
      const auto want = naive_max(x, c, &at);
      auto r = max_pool2d_with_indices(x, {long(c.kh), long(c.kw)}, {long(c.sh), long(c.sw)},
                                       {long(c.ph), long(c.pw)}, {long(c.dh), long(c.dw)}, c.ceil);
      EXPECT_EQ(test::values_of(r.output), want);
      EXPECT_EQ(std::vector<std::size_t>(r.indices.begin(), r.indices.end()), at);
      EXPECT_EQ(r.indices.shape(), r.output.value().shape());
    }
  }
}

TEST(MaxPool2d, FloatValuesAndIndicesWithTiesAndNaNMatchTheNaiveLoop) {
  // Rows of outputs shorter and longer than a vector, values on a coarse grid (ties in most
  // windows) and a few NaNs: the vectorised loops decide as the scan-order rule does.
  for (const Shape& shape :
       {Shape{2, 3, 11, 11}, Shape{1, 2, 26, 26}, Shape{2, 1, 6, 37}, Shape{1, 1, 4, 7}}) {
    auto x = uniform<float>(shape, -2, 2, 17);
    auto& v = x.mutable_value();
    for (std::size_t k = 0; k < v.size(); ++k) {
      v.data()[k] = std::floor(v.data()[k] * 2) / 2;
      if (k % 23 == 5) v.data()[k] = std::nanf("");
    }
    for (const Cfg& c : configs()) {
      SCOPED_TRACE(::testing::Message()
                   << "shape " << shape[2] << "x" << shape[3] << " k " << c.kh << "x" << c.kw
                   << " s " << c.sh << "x" << c.sw << " p " << c.ph << "x" << c.pw << " d " << c.dh
                   << "x" << c.dw << " ceil " << c.ceil);
      std::vector<std::size_t> at;
      const auto want = naive_max(x, c, &at);
      auto r = max_pool2d_with_indices(x, {long(c.kh), long(c.kw)}, {long(c.sh), long(c.sw)},
                                       {long(c.ph), long(c.pw)}, {long(c.dh), long(c.dw)}, c.ceil);
      ASSERT_EQ(r.output.value().size(), want.size());
      for (std::size_t k = 0; k < want.size(); ++k) {
        const float got = r.output.value().data()[k];
        EXPECT_TRUE(got == want[k] || (std::isnan(got) && std::isnan(want[k]))) << "at " << k;
      }
      EXPECT_EQ(std::vector<std::size_t>(r.indices.begin(), r.indices.end()), at);
    }
  }
}

TEST(MaxPool2d, OutputShapesAsPyTorch) {
  const D x = D::zeros({2, 3, 7, 6});
  EXPECT_EQ(max_pool2d(x, 2).shape(), (Shape{2, 3, 3, 3}));  // stride = kernel
  EXPECT_EQ(max_pool2d(x, 2, {}, 0, 1, true).shape(), (Shape{2, 3, 4, 3}));
  EXPECT_EQ(max_pool2d(x, 3, 2, 1).shape(), (Shape{2, 3, 4, 3}));
  EXPECT_EQ(max_pool2d(x, {3, 2}, {2, 1}, {1, 0}, {2, 1}).shape(), (Shape{2, 3, 3, 5}));
  // ceil_mode drops a last window that would start in the padding: 5 with k 2, s 2, p 1 gives
  // 3, not 4.
  EXPECT_EQ(max_pool2d(D::zeros({1, 1, 5, 5}), 2, 2, 1, 1, true).shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(max_pool2d(D::zeros({0, 2, 4, 4}), 2).shape(), (Shape{0, 2, 2, 2}));
}

TEST(MaxPool2d, GradientGoesToTheArgmax) {
  // Overlapping 2x2 windows, stride 1: 5 is the maximum of three of them.
  D x = D::from({1, 1, 3, 3}, {1, 2, 3, 4, 5, 0, 0, 1, 6}, true);
  D y = max_pool2d(x, 2, 1);
  EXPECT_EQ(test::values_of(y), (std::vector<double>{5, 5, 5, 6}));
  y.backward(D::from({1, 1, 2, 2}, {1, 10, 100, 1000}));
  EXPECT_EQ(test::values_of(x.grad()), (std::vector<double>{0, 0, 0, 0, 111, 0, 0, 0, 1000}));
}

TEST(MaxPool2d, TiesGoToTheFirstMaximumInScanOrder) {
  // Window 0 holds four equal values: the first (row 0, column 0) gets the gradient; window 1
  // ties at (0, 3) and (1, 2): row-major scan finds (0, 3) first.
  D x = D::from({1, 1, 2, 4}, {7, 7, 1, 9, 7, 7, 9, 0}, true);
  auto r = max_pool2d_with_indices(x, 2);
  EXPECT_EQ(test::values_of(r.output), (std::vector<double>{7, 9}));
  EXPECT_EQ(std::vector<std::size_t>(r.indices.begin(), r.indices.end()),
            (std::vector<std::size_t>{0, 3}));
  sum(r.output).backward();
  EXPECT_EQ(test::values_of(x.grad()), (std::vector<double>{1, 0, 0, 1, 0, 0, 0, 0}));
  // -inf everywhere: the first element is the argmax.
  const double inf = std::numeric_limits<double>::infinity();
  auto m = max_pool2d_with_indices(D::full({1, 1, 2, 2}, -inf), 2);
  EXPECT_EQ(m.output.value()(0, 0, 0, 0), -inf);
  EXPECT_EQ(m.indices(0, 0, 0, 0), 0u);
}

TEST(MaxPool2d, NaNPropagatesAndTheLastNaNIsTheArgmax) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  D x = D::from({1, 1, 1, 4}, {1, nan, 2, nan}, true);
  auto r = max_pool2d_with_indices(x, {1, 4});
  EXPECT_TRUE(std::isnan(r.output.value()(0, 0, 0, 0)));
  EXPECT_EQ(r.indices(0, 0, 0, 0), 3u);  // PyTorch: `val > max || isnan(val)` replaces
  sum(r.output).backward();
  EXPECT_EQ(test::values_of(x.grad()), (std::vector<double>{0, 0, 0, 1}));
  D z = D::from({1, 1, 1, 3}, {nan, 5, 6});
  auto rz = max_pool2d_with_indices(z, {1, 3});
  EXPECT_TRUE(std::isnan(rz.output.value()(0, 0, 0, 0)));
  EXPECT_EQ(rz.indices(0, 0, 0, 0), 0u);
  // Float, overlapping 2x2 windows: NaN wins where it is in the window, the maximum elsewhere.
  auto f = Tensor<float>::from({1, 1, 2, 3}, {1, 7, 3, 4, 2, std::nanf("")});
  auto rf = max_pool2d_with_indices(f, 2, 1);
  EXPECT_EQ(rf.output.value()(0, 0, 0, 0), 7.0f);
  EXPECT_EQ(rf.indices(0, 0, 0, 0), 1u);
  EXPECT_TRUE(std::isnan(rf.output.value()(0, 0, 0, 1)));
  EXPECT_EQ(rf.indices(0, 0, 0, 1), 5u);
}

TEST(MaxPool2d, AWindowWithNoInputElementGivesMinusInfinityAndNoGradient) {
  // kernel 2, padding 1, dilation 3 on 2x2: window 0 reads rows -1 and 2, both outside.
  D x = D::from({1, 1, 2, 2}, {1, 2, 3, 4}, true);
  auto r = max_pool2d_with_indices(x, 2, 1, 1, 3);
  EXPECT_EQ(r.output.value()(0, 0, 0, 0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.indices(0, 0, 0, 0), 4u);  // past the plane
  sum(r.output).backward();
  EXPECT_EQ(test::values_of(x.grad()), (std::vector<double>{0, 0, 0, 0}));
}

TEST(MaxPool2d, GradientsAndSecondDerivatives) {
  for (const Shape& shape : {Shape{1, 1, 7, 6}, Shape{3, 2, 5, 7}}) {
    const D x = distinct(shape);
    for (const Cfg& c : configs()) {
      SCOPED_TRACE(::testing::Message()
                   << "k " << c.kh << "x" << c.kw << " s " << c.sh << "x" << c.sw << " p " << c.ph
                   << "x" << c.pw << " d " << c.dh << "x" << c.dw << " ceil " << c.ceil);
      test::expect_grads_of_any_order(
          [c](const D& v) {
            return max_pool2d(v, {long(c.kh), long(c.kw)}, {long(c.sh), long(c.sw)},
                              {long(c.ph), long(c.pw)}, {long(c.dh), long(c.dw)}, c.ceil);
          },
          x);
    }
  }
}

TEST(MaxPool2d, BackwardOpsAreRecordedAndEachOthersRule) {
  D x = distinct({1, 2, 4, 5});
  D y = max_pool2d(x, 2, 1);
  const D g = uniform<double>(y.shape(), -1, 1, 3, true);
  D gx = grad<double>({y}, {x}, {g}, {.create_graph = true})[0];
  EXPECT_EQ(std::string(gx.op_name()), "max_pool2d_backward");
  // The gradient wrt the cotangent of sum(gx * u): u gathered at the argmax positions.
  const D u = uniform<double>(x.shape(), -1, 1, 4, true);
  D gg = grad<double>({sum(gx * u)}, {g}, {}, {.create_graph = true})[0];
  EXPECT_EQ(std::string(gg.op_name()), "max_pool2d_gather");
  auto r = max_pool2d_with_indices(x, 2, 1);
  for (std::size_t i = 0; i < gg.size(); ++i) {
    const std::size_t plane = i / 12;  // 3 x 4 outputs per plane of 4 x 5
    EXPECT_EQ(gg.value().data()[i], u.value().data()[plane * 20 + r.indices.data()[i]]);
  }
  // The public backward op agrees with the recorded one.
  EXPECT_EQ(max_pool2d_backward(g, r.indices, x.shape()).value(), gx.value());
}

TEST(MaxPool2d, SameBitsForAnyThreadCount) {
  auto x = uniform<float>({8, 16, 64, 64}, -1, 1, 9);
  auto run = [&] {
    x.zero_grad();
    auto y = max_pool2d(x, 3, 2, 1);
    sum(y * y).backward();
    return std::make_pair(y.value(), x.grad().value());
  };
  const auto one = test::at_threads(1, run);
  const auto two = test::at_threads(2, run);
  EXPECT_EQ(one.first, two.first);
  EXPECT_EQ(one.second, two.second);
}

// ---- max_pool1d ----

TEST(MaxPool1d, IsMaxPool2dWithHeightOne) {
  const D x = uniform<double>({3, 2, 11}, -1, 1, 2);
  auto r = max_pool1d_with_indices(x, 3, 2, 1, 2, true);
  auto r2 =
      max_pool2d_with_indices(reshape(x, {3, 2, 1, 11}), {1, 3}, {1, 2}, {0, 1}, {1, 2}, true);
  EXPECT_EQ(r.output.shape(), (Shape{3, 2, 5}));
  EXPECT_EQ(test::values_of(r.output), test::values_of(r2.output));
  EXPECT_EQ(std::vector<std::size_t>(r.indices.begin(), r.indices.end()),
            std::vector<std::size_t>(r2.indices.begin(), r2.indices.end()));
  EXPECT_EQ(max_pool1d(x, 4).shape(), (Shape{3, 2, 2}));  // stride = kernel
  for (long k : {2L, 3L}) {
    test::expect_grads_of_any_order([k](const D& v) { return max_pool1d(v, k, 2, 1, 1, true); },
                                    distinct({3, 2, 9}));
  }
  test::expect_grads_of_any_order([](const D& v) { return max_pool1d(v, 2, 1, 0, 3); },
                                  distinct({1, 1, 10}));
}

// ---- avg_pool2d ----

TEST(AvgPool2d, ValuesMatchTheNaiveLoop) {
  for (const Shape& shape : {Shape{1, 1, 7, 6}, Shape{3, 2, 9, 8}, Shape{2, 1, 5, 5}}) {
    const D x = uniform<double>(shape, -2, 2, 12);
    for (Cfg c : configs()) {
      c.dh = c.dw = 1;
      for (bool include : {true, false}) {
        for (std::optional<long> div : {std::optional<long>(), std::optional<long>(5)}) {
          SCOPED_TRACE(::testing::Message()
                       << "k " << c.kh << "x" << c.kw << " s " << c.sh << "x" << c.sw << " p "
                       << c.ph << "x" << c.pw << " ceil " << c.ceil << " include_pad " << include);
          D y = avg_pool2d(x, {long(c.kh), long(c.kw)}, {long(c.sh), long(c.sw)},
                           {long(c.ph), long(c.pw)}, c.ceil, include, div);
          expect_near_all(test::values_of(y), naive_avg(x, c, include, div));
        }
      }
    }
  }
}

TEST(AvgPool2d, CountIncludePadAndCeilModeAsPyTorch) {
  // PyTorch: avg_pool2d(ones(1, 1, 5, 5), 2, 2, 1, ceil_mode=True) is 1/4 in the corner, 1/2
  // along the top and left edges and 1 elsewhere: the last window ends at the padded edge.
  D y = avg_pool2d(D::ones({1, 1, 5, 5}), 2, 2, 1, true, true);
  EXPECT_EQ(test::values_of(y), (std::vector<double>{0.25, 0.5, 0.5, 0.5, 1, 1, 0.5, 1, 1}));
  D z = avg_pool2d(D::ones({1, 1, 5, 5}), 2, 2, 1, true, false);
  EXPECT_EQ(test::values_of(z), std::vector<double>(9, 1.0));
  D w = avg_pool2d(D::ones({1, 1, 5, 5}), 3, 2, 1, true, true);
  EXPECT_NEAR(test::values_of(w)[0], 4.0 / 9.0, 1e-15);
  EXPECT_EQ(test::values_of(w)[4], 1.0);
}

TEST(AvgPool2d, GradientsAndSecondDerivatives) {
  for (const Shape& shape : {Shape{1, 1, 7, 6}, Shape{3, 2, 5, 7}}) {
    const D x = uniform<double>(shape, -1, 1, 6);
    for (Cfg c : configs()) {
      for (bool include : {true, false}) {
        SCOPED_TRACE(::testing::Message()
                     << "k " << c.kh << "x" << c.kw << " s " << c.sh << "x" << c.sw << " p " << c.ph
                     << "x" << c.pw << " ceil " << c.ceil << " include_pad " << include);
        test::expect_grads_of_any_order(
            [c, include](const D& v) {
              return avg_pool2d(v, {long(c.kh), long(c.kw)}, {long(c.sh), long(c.sw)},
                                {long(c.ph), long(c.pw)}, c.ceil, include);
            },
            x);
      }
    }
    test::expect_grads_of_any_order(
        [](const D& v) {
          return avg_pool2d(v, {3, 2}, 1, {1, 1}, false, true, -3);
        },
        x);
  }
}

TEST(AvgPool2d, BackwardIsLinearAndItsRuleIsAvgPool) {
  D x = uniform<double>({2, 1, 5, 6}, -1, 1, 8);
  D y = avg_pool2d(x, 3, 2, 1, true, false);
  const D g = uniform<double>(y.shape(), -1, 1, 3, true);
  D gx = grad<double>({y}, {x}, {g}, {.create_graph = true})[0];
  EXPECT_EQ(std::string(gx.op_name()), "avg_pool2d_backward");
  EXPECT_EQ(avg_pool2d_backward(g, x.shape(), 3, 2, 1, true, false).value(), gx.value());
  const D u = uniform<double>(x.shape(), -1, 1, 4, true);
  D gg = grad<double>({sum(gx * u)}, {g}, {}, {.create_graph = true})[0];
  EXPECT_EQ(std::string(gg.op_name()), "avg_pool2d");
  EXPECT_EQ(gg.value(), avg_pool2d(u, 3, 2, 1, true, false).value());
  // The adjoint identity <avg_pool(u), g> = <u, avg_pool_backward(g)>.
  EXPECT_NEAR(sum(gg * g).value()(), sum(u * gx).value()(), 1e-12);
  // Closed under differentiation: the backward op's own second derivative checks.
  Fn<double> back = [&](const std::vector<D>& v) {
    D b = avg_pool2d_backward(v[0], x.shape(), 3, 2, 1, true, false);
    return b * b;
  };
  EXPECT_GRADCHECK(double, back, {g});
  EXPECT_GRADGRADCHECK(double, back, {g});
}

TEST(AvgPool2d, SameBitsForAnyThreadCount) {
  auto x = uniform<float>({8, 16, 64, 64}, -1, 1, 9);
  auto run = [&] {
    x.zero_grad();
    auto y = avg_pool2d(x, 3, 2, 1, true, false);
    auto z = adaptive_avg_pool2d(x, {5, 7});
    (sum(y * y) + sum(z * z)).backward();
    return std::make_pair(y.value(), x.grad().value());
  };
  const auto one = test::at_threads(1, run);
  const auto two = test::at_threads(2, run);
  EXPECT_EQ(one.first, two.first);
  EXPECT_EQ(one.second, two.second);
}

// ---- avg_pool1d ----

TEST(AvgPool1d, IsAvgPool2dWithHeightOne) {
  const D x = uniform<double>({3, 2, 11}, -1, 1, 2);
  D y = avg_pool1d(x, 3, 2, 1, true, false);
  D y2 = avg_pool2d(reshape(x, {3, 2, 1, 11}), {1, 3}, {1, 2}, {0, 1}, true, false);
  EXPECT_EQ(y.shape(), (Shape{3, 2, 6}));
  EXPECT_EQ(test::values_of(y), test::values_of(y2));
  EXPECT_EQ(avg_pool1d(x, 4).shape(), (Shape{3, 2, 2}));
  for (bool include : {true, false}) {
    test::expect_grads_of_any_order(
        [include](const D& v) { return avg_pool1d(v, 3, 2, 1, true, include); }, x);
  }
  D xr = uniform<double>({3, 2, 11}, -1, 1, 2);
  D ones = D::ones({3, 2, 5}).requires_grad_();
  D g1 = grad<double>({avg_pool1d(xr, 2)}, {xr}, {ones}, {.create_graph = true})[0];
  EXPECT_EQ(std::string(g1.op_name()), "avg_pool1d_backward");
}

// ---- adaptive_avg_pool2d ----

TEST(AdaptiveAvgPool2d, ValuesMatchTheNaiveLoop) {
  const D x = uniform<double>({2, 3, 7, 9}, -2, 2, 13);
  for (auto [oh, ow] : std::vector<std::pair<std::size_t, std::size_t>>{
           {3, 4}, {1, 1}, {7, 9}, {2, 5}, {10, 4}, {7, 1}}) {
    SCOPED_TRACE(::testing::Message() << oh << " x " << ow);
    D y = adaptive_avg_pool2d(x, {long(oh), long(ow)});
    EXPECT_EQ(y.shape(), (Shape{2, 3, oh, ow}));
    expect_near_all(test::values_of(y), naive_adaptive(x, oh, ow));
  }
  // The identity size reproduces the input exactly.
  EXPECT_EQ(adaptive_avg_pool2d(x, {7, 9}).value(), x.value());
}

TEST(AdaptiveAvgPool2d, GradientsAndSecondDerivatives) {
  for (const Shape& shape : {Shape{1, 1, 7, 6}, Shape{3, 2, 5, 7}}) {
    const D x = uniform<double>(shape, -1, 1, 6);
    for (auto [oh, ow] : std::vector<std::pair<long, long>>{{3, 4}, {1, 1}, {2, 5}, {8, 3}}) {
      test::expect_grads_of_any_order(
          [oh = oh, ow = ow](const D& v) {
            return adaptive_avg_pool2d(v, {oh, ow});
          },
          x);
    }
  }
  D x = uniform<double>({1, 2, 5, 7}, -1, 1, 8);
  D y = adaptive_avg_pool2d(x, {3, 2});
  const D g = uniform<double>(y.shape(), -1, 1, 3, true);
  D gx = grad<double>({y}, {x}, {g}, {.create_graph = true})[0];
  EXPECT_EQ(std::string(gx.op_name()), "adaptive_avg_pool2d_backward");
  EXPECT_EQ(adaptive_avg_pool2d_backward(g, x.shape()).value(), gx.value());
}

// ---- errors ----

TEST(PoolingErrors, Shapes) {
  const D x4 = D::zeros({2, 3, 4, 4});
  EXPECT_THROW_WITH(max_pool2d(D::zeros({3, 4, 4}), 2), ShapeError, "max_pool2d", "(3, 4, 4)",
                    "4-D");
  EXPECT_THROW_WITH(avg_pool2d(D::zeros({2, 3, 4, 4, 1}), 2), ShapeError, "avg_pool2d", "4-D");
  EXPECT_THROW_WITH(adaptive_avg_pool2d(D::zeros({4, 4}), 2), ShapeError, "adaptive_avg_pool2d",
                    "(4, 4)", "4-D");
  EXPECT_THROW_WITH(max_pool1d(x4, 2), ShapeError, "max_pool1d", "(2, 3, 4, 4)", "3-D");
  EXPECT_THROW_WITH(avg_pool1d(D::zeros({4, 4}), 2), ShapeError, "avg_pool1d", "3-D");
  EXPECT_THROW_WITH(max_pool2d(D::zeros({2, 0, 4, 4}), 2), ShapeError, "max_pool2d", "(2, 0, 4, 4)",
                    "empty");
  EXPECT_THROW_WITH(avg_pool2d(D::zeros({2, 3, 0, 4}), 2), ShapeError, "avg_pool2d", "empty");
  EXPECT_THROW_WITH(max_pool1d(D::zeros({2, 3, 0}), 2), ShapeError, "max_pool1d", "empty");
  EXPECT_THROW_WITH(adaptive_avg_pool2d(D::zeros({1, 1, 4, 0}), 2), ShapeError, "empty");
}

TEST(PoolingErrors, Parameters) {
  const D x = D::zeros({2, 3, 4, 4});
  EXPECT_THROW_WITH(max_pool2d(x, 0), ShapeError, "max_pool2d", "kernel size", "(0, 0)");
  EXPECT_THROW_WITH(max_pool2d(x, {2, -1}), ShapeError, "kernel size", "(2, -1)");
  EXPECT_THROW_WITH(max_pool2d(x, {}), ShapeError, "kernel size");
  EXPECT_THROW_WITH(max_pool2d(x, 2, {0, 1}), ShapeError, "max_pool2d", "stride", "(0, 1)");
  EXPECT_THROW_WITH(max_pool2d(x, 2, 1, 0, 0), ShapeError, "dilation", "(0, 0)");
  EXPECT_THROW_WITH(max_pool2d(x, 2, 1, -1), ShapeError, "padding", "non-negative", "(-1, -1)");
  EXPECT_THROW_WITH(max_pool2d(x, 3, 1, 2), ShapeError, "max_pool2d", "padding (2, 2)",
                    "half the kernel size (3, 3)");
  EXPECT_THROW_WITH(avg_pool2d(x, {2, 3}, 1, {1, 2}), ShapeError, "avg_pool2d", "padding (1, 2)");
  EXPECT_THROW_WITH(max_pool1d(D::zeros({1, 2, 8}), 3, 1, 2), ShapeError, "max_pool1d", "padding 2",
                    "kernel size 3");
  EXPECT_THROW_WITH(max_pool1d(D::zeros({1, 2, 8}), 2, 0), ShapeError, "max_pool1d", "stride",
                    "got 0");
  EXPECT_THROW_WITH(avg_pool1d(D::zeros({1, 2, 8}), 0), ShapeError, "avg_pool1d", "kernel");
  EXPECT_THROW_WITH(avg_pool2d(x, 2, 2, 0, false, true, 0), ShapeError, "avg_pool2d",
                    "divisor_override");
  EXPECT_THROW_WITH(adaptive_avg_pool2d(x, {0, 2}), ShapeError, "adaptive_avg_pool2d", "at least 1",
                    "(0, 2)");
}

TEST(PoolingErrors, OutputBelowOne) {
  EXPECT_THROW_WITH(max_pool2d(D::zeros({1, 1, 2, 2}), 3), ShapeError, "max_pool2d", "(1, 1, 2, 2)",
                    "kernel (3, 3)", "output size of (0, 0)", "below 1");
  EXPECT_THROW_WITH(avg_pool2d(D::zeros({1, 1, 2, 6}), 3), ShapeError, "avg_pool2d",
                    "output size of (0, 2)");
  // Dilation 3 makes a 2-wide kernel span 4 elements: too big for 3 columns.
  EXPECT_THROW_WITH(max_pool2d(D::zeros({1, 1, 5, 3}), 2, 1, 0, {1, 3}), ShapeError,
                    "dilation (1, 3)", "(4, 0)");
  EXPECT_THROW_WITH(max_pool1d(D::zeros({1, 1, 4}), 5), ShapeError, "max_pool1d",
                    "output size of 0");
  EXPECT_THROW_WITH(avg_pool1d(D::zeros({1, 1, 4}), 6), ShapeError, "avg_pool1d",
                    "output size of 0");
}

TEST(PoolingErrors, BackwardOps) {
  const D g = D::zeros({1, 2, 2, 2});
  auto idx = xt::xarray<std::size_t>::from_shape({1, 2, 2, 2});
  idx.fill(0);
  EXPECT_THROW_WITH(max_pool2d_backward(g, idx, {1, 3, 4, 4}), ShapeError, "max_pool2d_backward",
                    "(1, 2, 2, 2)", "(1, 3, 4, 4)");
  EXPECT_THROW_WITH(max_pool2d_backward(g, idx, {1, 2, 4}), ShapeError, "4-D");
  idx(0, 1, 1, 1) = 16;
  EXPECT_THROW_WITH(max_pool2d_backward(g, idx, {1, 2, 4, 4}), IndexError, "index 16",
                    "(0, 1, 1, 1)");
  EXPECT_THROW_WITH(avg_pool2d_backward(g, {1, 2, 6, 6}, 2), ShapeError, "avg_pool2d_backward",
                    "(1, 2, 2, 2)", "(1, 2, 3, 3)");
  EXPECT_THROW_WITH(adaptive_avg_pool2d_backward(D::zeros({2, 2, 2}), {1, 2, 4, 4}), ShapeError,
                    "adaptive_avg_pool2d_backward", "4-D");
  EXPECT_THROW_WITH(adaptive_avg_pool2d_backward(g, {2, 2, 4, 4}), ShapeError,
                    "adaptive_avg_pool2d_backward", "(2, 2, 2, 2)");
}

}  // namespace
}  // namespace xg
