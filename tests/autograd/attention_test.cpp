// scaled_dot_product_attention: values against plain loops, exact zeros at masked positions,
// gradients and second derivatives in double (masks, causal, batch 1 and 3, L != S, a learned
// bias), dropout, and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xview.hpp>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;

/// softmax(q k^T scale + bias, keep) v by plain loops for 3-D q (B, L, E), k (B, S, E),
/// v (B, S, Ev), keep and bias of shape (B, L, S) (flat, empty for none).
std::vector<double> reference(const D& q, const D& k, const D& v, const std::vector<bool>& keep,
                              const std::vector<double>& bias, double scale) {
  const Shape qs = q.shape(), ks = k.shape(), vs = v.shape();
  const std::size_t b = qs[0], l = qs[1], e = qs[2], s = ks[1], ev = vs[2];
  const double* pq = q.value().data();
  const double* pk = k.value().data();
  const double* pv = v.value().data();
  std::vector<double> out(b * l * ev, 0.0);
  for (std::size_t n = 0; n < b; ++n) {
    for (std::size_t i = 0; i < l; ++i) {
      std::vector<double> w(s);
      double m = -std::numeric_limits<double>::infinity();
      for (std::size_t j = 0; j < s; ++j) {
        const std::size_t at = (n * l + i) * s + j;
        if (!keep.empty() && !keep[at]) {
          w[j] = -std::numeric_limits<double>::infinity();
          continue;
        }
        double dot = 0;
        for (std::size_t c = 0; c < e; ++c)
          dot += pq[(n * l + i) * e + c] * pk[(n * s + j) * e + c];
        w[j] = dot * scale + (bias.empty() ? 0.0 : bias[at]);
        m = std::max(m, w[j]);
      }
      double z = 0;
      for (auto& x : w) z += (x = std::exp(x - m));
      for (std::size_t j = 0; j < s; ++j) {
        for (std::size_t c = 0; c < ev; ++c)
          out[(n * l + i) * ev + c] += w[j] / z * pv[(n * s + j) * ev + c];
      }
    }
  }
  return out;
}

xt::xarray<bool> bool_array(const Shape& shape, const std::vector<bool>& values) {
  xt::xarray<bool> a = xt::xarray<bool>::from_shape(shape);
  for (std::size_t i = 0; i < values.size(); ++i) a.flat(i) = values[i];
  return a;
}

/// gradcheck and gradgradcheck of f, and gradgradcheck of f squared.
void expect_gradchecks(const Fn<double>& f, const std::vector<D>& inputs) {
  Fn<double> squared = [f](const std::vector<D>& in) {
    const D y = f(in);
    return mul(y, y);
  };
  EXPECT_GRADCHECK(double, f, inputs);
  EXPECT_GRADGRADCHECK(double, f, inputs);
  EXPECT_GRADGRADCHECK(double, squared, inputs);
}

TEST(Attention, MatchesPlainLoopsWithoutAMask) {
  const D q = uniform<double>({3, 4, 5}, -1, 1, 1), k = uniform<double>({3, 6, 5}, -1, 1, 2),
          v = uniform<double>({3, 6, 2}, -1, 1, 3);
  const D y = scaled_dot_product_attention(q, k, v);
  EXPECT_EQ(y.shape(), (Shape{3, 4, 2}));
  const auto want = reference(q, k, v, {}, {}, 1 / std::sqrt(5.0));
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y.value().data()[i], want[i], 1e-14);
}

TEST(Attention, MatchesPlainLoopsWithAMaskABiasAndCausal) {
  const D q = uniform<double>({2, 4, 3}, -1, 1, 4), k = uniform<double>({2, 5, 3}, -1, 1, 5),
          v = uniform<double>({2, 5, 3}, -1, 1, 6), bias = uniform<double>({4, 5}, -1, 1, 7);
  // A (2, 1, 5) key-padding mask: the last key of the second batch element is padding.
  const auto pad =
      bool_array({2, 1, 5}, {true, true, true, true, true, true, true, true, true, false});
  AttentionOptions<double> o{.mask = pad, .bias = bias, .causal = true};
  const D y = scaled_dot_product_attention(q, k, v, o);
  std::vector<bool> keep(2 * 4 * 5);
  std::vector<double> b(2 * 4 * 5);
  for (std::size_t n = 0; n < 2; ++n) {
    for (std::size_t i = 0; i < 4; ++i) {
      for (std::size_t j = 0; j < 5; ++j) {
        keep[(n * 4 + i) * 5 + j] = j <= i && !(n == 1 && j == 4);
        b[(n * 4 + i) * 5 + j] = bias.value()(i, j);
      }
    }
  }
  const auto want = reference(q, k, v, keep, b, 1 / std::sqrt(3.0));
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y.value().data()[i], want[i], 1e-14);
}

TEST(Attention, TheOverloadsAgreeWithTheOptions) {
  const D q = uniform<double>({2, 3, 4}, -1, 1, 8), k = uniform<double>({2, 3, 4}, -1, 1, 9),
          v = uniform<double>({2, 3, 2}, -1, 1, 10);
  const auto tril = bool_array({3, 3}, {true, false, false, true, true, false, true, true, true});
  const D a = scaled_dot_product_attention(q, k, v, {.causal = true});
  const D b = scaled_dot_product_attention(q, k, v, tril);
  D minus_inf = D::zeros({3, 3});
  for (std::size_t i = 0; i < 9; ++i) {
    if (!tril.flat(i)) minus_inf.mutable_value().flat(i) = -std::numeric_limits<double>::infinity();
  }
  const D c = scaled_dot_product_attention(q, k, v, minus_inf);
  const D d = scaled_dot_product_attention(q, k, v, tril, true);
  EXPECT_EQ(test::values_of(a), test::values_of(b));
  EXPECT_EQ(test::values_of(a), test::values_of(d));
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a.value().flat(i), c.value().flat(i), 1e-15);
  // An explicit scale.
  const D s = scaled_dot_product_attention(q, k, v, {.scale = 0.25});
  const auto want = reference(q, k, v, {}, {}, 0.25);
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(s.value().data()[i], want[i], 1e-14);
}

TEST(Attention, ABroadcastMaskEqualsItsFullSizeCopy) {
  const D q = uniform<double>({2, 3, 4}, -1, 1, 17), k = uniform<double>({2, 5, 4}, -1, 1, 18),
          v = uniform<double>({2, 5, 2}, -1, 1, 19);
  std::mt19937 rng(5);
  for (const Shape& ms : {Shape{5}, Shape{1, 5}, Shape{3, 1}, Shape{2, 1, 5}, Shape{1, 3, 5},
                          Shape{2, 3, 1}, Shape{3, 5}}) {
    SCOPED_TRACE("mask " + shape_str(ms));
    xt::xarray<bool> m = xt::xarray<bool>::from_shape(ms);
    for (auto& b : m) b = rng() % 3 != 0;
    if (ms.back() == 1) std::fill(m.begin(), m.end(), true);  // a false would mask a whole row
    m.flat(0) = true;  // key 0 (or everything) stays for query 0
    if (ms.back() == 5) {
      for (std::size_t i = 0; i < m.size(); i += 5) m.flat(i) = true;  // key 0 for every row
    }
    const xt::xarray<bool> full = xt::broadcast(m, std::vector<std::size_t>{2, 3, 5});
    EXPECT_EQ(test::values_of(scaled_dot_product_attention(q, k, v, m)),
              test::values_of(scaled_dot_product_attention(q, k, v, full)));
  }
}

template <class T>
class AttentionTyped : public ::testing::Test {};
TYPED_TEST_SUITE(AttentionTyped, test::FloatTypes);

TYPED_TEST(AttentionTyped, MaskedPositionsGetExactlyZeroWeightAndGradient) {
  using T = TypeParam;
  // Large logits, so that the unmasked weights are far from uniform.
  const auto q = uniform<T>({2, 3, 4}, -6, 6, 11), k = uniform<T>({2, 5, 4}, -6, 6, 12),
             v = uniform<T>({2, 5, 3}, -1, 1, 13);
  // (2, 1, 5): key 4 of batch 0 and keys 1, 3 of batch 1 are padding.
  const auto pad =
      bool_array({2, 1, 5}, {true, true, true, true, false, true, false, true, false, true});
  const auto r = scaled_dot_product_attention_with_weights(q, k, v, {.mask = pad, .causal = true});
  const auto& w = r.weights.value();
  for (std::size_t n = 0; n < 2; ++n) {
    for (std::size_t i = 0; i < 3; ++i) {
      T row = 0;
      for (std::size_t j = 0; j < 5; ++j) {
        const bool masked = j > i || !pad(n, 0, j);
        if (masked) {
          EXPECT_EQ(w(n, i, j), T(0)) << n << ", " << i << ", " << j;
        } else {
          EXPECT_GT(w(n, i, j), T(0));
        }
        row += w(n, i, j);
      }
      EXPECT_NEAR(row, T(1), 1e-6);
    }
  }
  sum(mul(r.output, r.output)).backward();
  // Padding keys never enter any output: their gradients are exactly zero.
  for (std::size_t c = 0; c < 4; ++c) EXPECT_EQ(k.grad().value()(0, 4, c), T(0));
  for (std::size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(v.grad().value()(0, 4, c), T(0));
    EXPECT_EQ(v.grad().value()(1, 1, c), T(0));
    EXPECT_EQ(v.grad().value()(1, 3, c), T(0));
  }
  test::expect_all_finite(q.grad(), "dq");
}

TYPED_TEST(AttentionTyped, DropoutZeroesWeightsAndScalesTheRest) {
  using T = TypeParam;
  const auto q = uniform<T>({4, 6, 3}, -1, 1, 14), k = uniform<T>({4, 7, 3}, -1, 1, 15),
             v = uniform<T>({4, 7, 2}, -1, 1, 16);
  Generator gen(3);
  const auto plain = scaled_dot_product_attention_with_weights(q, k, v, {.causal = true});
  const auto dropped = scaled_dot_product_attention_with_weights(
      q, k, v, {.causal = true, .dropout_p = 0.5, .generator = &gen});
  std::size_t zeros = 0, kept = 0;
  for (std::size_t i = 0; i < plain.weights.size(); ++i) {
    const T p = plain.weights.value().flat(i), d = dropped.weights.value().flat(i);
    if (p == T(0)) {
      EXPECT_EQ(d, T(0));  // masked stays exactly zero
    } else if (d == T(0)) {
      ++zeros;
    } else {
      EXPECT_NEAR(d, 2 * p, 1e-6);
      ++kept;
    }
  }
  EXPECT_GT(zeros, 20u);
  EXPECT_GT(kept, 20u);
  // The output is the dropped weights times v.
  const auto want = matmul(dropped.weights, v);
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(dropped.output.value().flat(i), want.value().flat(i), 1e-6);
  }
}

// ---- gradients of any order ----

TEST(AttentionGrad, NoMaskBatchOneAndThreeAndLDifferentFromS) {
  for (std::size_t batch : {1u, 3u}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    const Fn<double> f = [](const std::vector<D>& x) {
      return scaled_dot_product_attention(x[0], x[1], x[2]);
    };
    expect_gradchecks(
        f, {uniform<double>({batch, 3, 4}, -1, 1, 20), uniform<double>({batch, 5, 4}, -1, 1, 21),
            uniform<double>({batch, 5, 3}, -1, 1, 22)});
  }
}

TEST(AttentionGrad, UnbatchedTwoDimensionalOperands) {
  const Fn<double> f = [](const std::vector<D>& x) {
    return scaled_dot_product_attention(x[0], x[1], x[2]);
  };
  expect_gradchecks(f, {uniform<double>({2, 3}, -1, 1, 23), uniform<double>({4, 3}, -1, 1, 24),
                        uniform<double>({4, 2}, -1, 1, 25)});
}

TEST(AttentionGrad, CausalWithLBelowAndAboveS) {
  for (const auto& [l, s] : {std::pair<std::size_t, std::size_t>{3, 5}, {5, 3}, {4, 4}}) {
    SCOPED_TRACE("L " + std::to_string(l) + ", S " + std::to_string(s));
    const Fn<double> f = [](const std::vector<D>& x) {
      return scaled_dot_product_attention(x[0], x[1], x[2], {.causal = true});
    };
    expect_gradchecks(f,
                      {uniform<double>({2, l, 3}, -1, 1, 26), uniform<double>({2, s, 3}, -1, 1, 27),
                       uniform<double>({2, s, 2}, -1, 1, 28)});
  }
}

TEST(AttentionGrad, BooleanMaskBroadcastOverHeadsAndBatch) {
  // q, k, v (N, H, L, E) with a key-padding mask (N, 1, 1, S) and a (L, S) mask together.
  const auto pad = bool_array(
      {3, 1, 1, 4}, {true, true, true, true, true, true, false, true, true, false, true, false});
  const auto band = bool_array({2, 4}, {true, true, false, true, false, true, true, true});
  for (std::size_t batch : {1u, 3u}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    const xt::xarray<bool> p = xt::view(pad, xt::range(0, batch));
    const Fn<double> f = [p, band](const std::vector<D>& x) {
      AttentionOptions<double> o;
      o.mask = xt::xarray<bool>(p && band);
      return scaled_dot_product_attention(x[0], x[1], x[2], o);
    };
    expect_gradchecks(f, {uniform<double>({batch, 2, 2, 3}, -1, 1, 29),
                          uniform<double>({batch, 2, 4, 3}, -1, 1, 30),
                          uniform<double>({batch, 2, 4, 2}, -1, 1, 31)});
  }
}

TEST(AttentionGrad, ALearnedAdditiveBiasWithMinusInfinityAndCausal) {
  const Fn<double> f = [](const std::vector<D>& x) {
    // -inf at (0, 1) masks one more position; the bias gets a gradient everywhere else.
    D minus_inf = D::zeros({3, 4});
    minus_inf.mutable_value()(0, 1) = -std::numeric_limits<double>::infinity();
    return scaled_dot_product_attention(x[0], x[1], x[2],
                                        {.bias = add(x[3], minus_inf), .causal = true});
  };
  expect_gradchecks(f,
                    {uniform<double>({2, 3, 2}, -1, 1, 32), uniform<double>({2, 4, 2}, -1, 1, 33),
                     uniform<double>({2, 4, 3}, -1, 1, 34), uniform<double>({3, 4}, -1, 1, 35)});
}

TEST(AttentionGrad, BatchAxesBroadcastBetweenQAndKv) {
  const Fn<double> f = [](const std::vector<D>& x) {
    return scaled_dot_product_attention(x[0], x[1], x[2], {.scale = 0.7});
  };
  expect_gradchecks(f, {uniform<double>({3, 2, 3}, -1, 1, 36),
                        uniform<double>({1, 4, 3}, -1, 1, 37), uniform<double>({4, 2}, -1, 1, 38)});
}

// ---- errors ----

TEST(AttentionErrors, ShapeMismatchesNameTheShapes) {
  const D q = D::zeros({2, 3, 4}), k = D::zeros({2, 5, 4}), v = D::zeros({2, 5, 3});
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, D::zeros({2, 5, 3}), v), ShapeError,
                    "scaled_dot_product_attention", "q (2, 3, 4)", "k (2, 5, 3)", "feature size");
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, k, D::zeros({2, 6, 3})), ShapeError,
                    "scaled_dot_product_attention", "v (2, 6, 3)", "length S");
  EXPECT_THROW_WITH(scaled_dot_product_attention(D::zeros({4}), k, v), ShapeError,
                    "at least 2 axes", "q (4)");
  EXPECT_THROW_WITH(scaled_dot_product_attention(D::zeros({3, 3, 4}), k, v), ShapeError,
                    "batch axes", "q (3, 3, 4)");
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, D::zeros({2, 0, 4}), D::zeros({2, 0, 3})),
                    ShapeError, "no keys");
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, k, v, xt::xarray<bool>(xt::ones<bool>({3, 4}))),
                    ShapeError, "the mask of shape (3, 4)", "scores' shape (2, 3, 5)");
  EXPECT_THROW_WITH(
      scaled_dot_product_attention(q, k, v, xt::xarray<bool>(xt::ones<bool>({4, 3, 5}))),
      ShapeError, "the mask of shape (4, 3, 5)");
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, k, v, D::zeros({1, 2, 3, 5})), ShapeError,
                    "the bias of shape (1, 2, 3, 5)");
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, k, v, {.dropout_p = 1.0}), DomainError,
                    "dropout_p");
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, k, v, {.dropout_p = -0.1}), DomainError,
                    "dropout_p");
}

TEST(AttentionErrors, ARowWithEveryKeyMaskedIsADomainErrorNamingTheRow) {
  const D q = D::zeros({2, 3, 4}), k = D::zeros({2, 5, 4}), v = D::zeros({2, 5, 3});
  auto keep = xt::xarray<bool>(xt::ones<bool>({2, 3, 5}));
  for (std::size_t j = 0; j < 5; ++j) keep(1, 2, j) = false;
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, k, v, keep), DomainError,
                    "scaled_dot_product_attention", "query row (1, 2)", "every key masked", "NaN");
  // Causal with key 0 padded leaves query 0 nothing.
  auto pad = xt::xarray<bool>(xt::ones<bool>({2, 1, 5}));
  pad(0, 0, 0) = false;
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, k, v, pad, true), DomainError,
                    "query row (0, 0)");
  // -inf in an additive mask over a whole row.
  D bias = D::zeros({3, 5});
  for (std::size_t j = 0; j < 5; ++j)
    bias.mutable_value()(1, j) = -std::numeric_limits<double>::infinity();
  EXPECT_THROW_WITH(scaled_dot_product_attention(q, k, v, bias), DomainError, "query row (0, 1)");
}

}  // namespace
}  // namespace xg
