// Initialisers: bounds and moments on a 500 x 500 weight, reproducibility, no recording.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;

struct Moments {
  double mean = 0, std = 0, min = 1e300, max = -1e300;
};

template <class T>
Moments moments(const Tensor<T>& t) {
  Moments m;
  const double n = static_cast<double>(t.size());
  for (T v : t.value()) {
    m.mean += v / n;
    m.min = std::min<double>(m.min, v);
    m.max = std::max<double>(m.max, v);
  }
  for (T v : t.value()) m.std += (v - m.mean) * (v - m.mean) / n;
  m.std = std::sqrt(m.std);
  return m;
}

TEST(NnInit, GlorotUniformBoundsAndSpread) {
  nn::Generator gen(1);
  auto w = Tensor<float>::zeros({500, 500});
  nn::initialize(w, nn::Init::glorot_uniform, 500, 500, gen);
  const double a = std::sqrt(6.0 / 1000.0);
  const Moments m = moments(w);
  EXPECT_GE(m.min, -a);
  EXPECT_LE(m.max, a);
  EXPECT_LT(m.min, -0.999 * a);  // 250,000 draws reach the ends of the interval
  EXPECT_GT(m.max, 0.999 * a);
  EXPECT_NEAR(m.mean, 0.0, 0.01 * a);
  EXPECT_NEAR(m.std, a / std::sqrt(3.0), 0.01 * a);
}

TEST(NnInit, HeNormalAndOtherStandardDeviations) {
  nn::Generator gen(2);
  auto w = Tensor<double>::zeros({500, 500});
  nn::initialize(w, nn::Init::he_normal, 500, 500, gen);
  Moments m = moments(w);
  EXPECT_NEAR(m.std, std::sqrt(2.0 / 500), 0.01 * std::sqrt(2.0 / 500));
  EXPECT_NEAR(m.mean, 0.0, 0.005 * std::sqrt(2.0 / 500));

  // Unequal fans tell fan_in from fan_out.
  nn::initialize(w, nn::Init::glorot_normal, 200, 800, gen);
  m = moments(w);
  EXPECT_NEAR(m.std, std::sqrt(2.0 / 1000), 0.01 * std::sqrt(2.0 / 1000));
  nn::initialize(w, nn::Init::he_uniform, 200, 800, gen);
  m = moments(w);
  const double a = std::sqrt(6.0 / 200);
  EXPECT_GE(m.min, -a);
  EXPECT_LE(m.max, a);
  EXPECT_GT(m.max, 0.999 * a);
  EXPECT_NEAR(m.std, a / std::sqrt(3.0), 0.01 * a);

  nn::initialize(w, nn::Init::constant, 1, 1, gen, 0.75);
  for (double v : w.value()) ASSERT_EQ(v, 0.75);
  nn::initialize(w, nn::Init::zeros, 1, 1, gen);
  for (double v : w.value()) ASSERT_EQ(v, 0.0);
}

TEST(NnInit, SameSeedSameValues) {
  auto fill = [](std::uint64_t seed, nn::Init init) {
    nn::Generator gen(seed);
    auto w = Tensor<float>::zeros({30, 20});
    nn::initialize(w, init, 30, 20, gen);
    return w.value();
  };
  for (auto init : {nn::Init::glorot_uniform, nn::Init::glorot_normal, nn::Init::he_uniform,
                    nn::Init::he_normal}) {
    EXPECT_EQ(fill(7, init), fill(7, init));
    EXPECT_NE(fill(7, init), fill(8, init));
  }
  // The default generator, reseeded with manual_seed.
  auto w1 = Tensor<float>::zeros({10});
  auto w2 = Tensor<float>::zeros({10});
  nn::manual_seed(123);
  nn::initialize(w1, nn::Init::he_normal, 10, 10);
  nn::manual_seed(123);
  nn::initialize(w2, nn::Init::he_normal, 10, 10);
  EXPECT_EQ(w1.value(), w2.value());
}

TEST(NnInit, FillsLeavesInPlaceWithoutRecording) {
  auto w = Tensor<double>::zeros({3, 3}, true);
  auto node = w.identity();
  nn::Generator gen(4);
  nn::initialize(w, nn::Init::glorot_uniform, 3, 3, gen);
  EXPECT_EQ(w.identity(), node);
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(w.requires_grad());
  EXPECT_FALSE(w.has_grad());
  EXPECT_NE(moments(w).max, 0.0);

  auto derived = mul(w, 2.0);
  EXPECT_THROW_WITH(nn::initialize(derived, nn::Init::zeros, 3, 3, gen), GraphError,
                    "initialize(zeros)", "mul_scalar", "leaves");
  Tensor<double> undefined;
  EXPECT_THROW(nn::initialize(undefined, nn::Init::zeros, 1, 1, gen), GraphError);
  EXPECT_THROW_WITH(nn::initialize(w, nn::Init::he_normal, 0, 3, gen), DomainError, "he_normal",
                    "fan_in");
}

}  // namespace
