// Sequential::checkpoint_every: the plain model's gradients, bit for bit, with dropout and
// RReLU masks replayed, and a tape of one node per segment.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "xgrad/nn.hpp"

namespace {

using Td = xg::Tensor<double>;
namespace nn = xg::nn;

nn::Sequential<double> noisy_model(xg::Generator* own) {
  nn::manual_seed(3);
  nn::Sequential<double> m;
  for (int i = 0; i < 4; ++i) {
    m.add(nn::Linear<double>(5, 5));
    m.add(nn::Tanh<double>());
    m.add(nn::Dropout<double>(0.3));
  }
  m.add(nn::RReLU<double>());
  m.add(nn::Dropout<double>(0.5, own));
  return m;
}

std::vector<Td> gradients_of(nn::Sequential<double>& m, const Td& x, std::uint64_t seed,
                             xg::Generator& own) {
  m.zero_grad();
  nn::manual_seed(seed);
  own.seed(seed + 1);
  Td y = m(x);
  xg::sum(y * y).backward();
  std::vector<Td> g;
  for (const auto& p : m.parameters()) g.push_back(p.grad());
  return g;
}

TEST(SequentialCheckpoint, GradientsMatchThePlainModelBitForBitWithDropoutAndRReLU) {
  xg::Generator own(0);
  auto model = noisy_model(&own);
  model.train();
  const Td x = xg::test::uniform<double>({6, 5}, -1.0, 1.0, 9, /*requires_grad=*/false);
  const auto want = gradients_of(model, x, 21, own);
  for (std::size_t k : {1u, 2u, 3u, 5u, 14u, 100u}) {
    model.checkpoint_every(k, {.preserve_rng_state = true, .generators = {&own}});
    const auto got = gradients_of(model, x, 21, own);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].shape(), want[i].shape());
      for (std::size_t j = 0; j < want[i].size(); ++j) {
        ASSERT_EQ(got[i].value().data()[j], want[i].value().data()[j])
            << "every " << k << ": parameter " << i << " element " << j;
      }
    }
  }
}

TEST(SequentialCheckpoint, AGeneratorNotNamedIsNotReplayed) {
  xg::Generator own(0);
  auto model = noisy_model(&own);
  const Td x = xg::test::uniform<double>({6, 5}, -1.0, 1.0, 9, false);
  const auto want = gradients_of(model, x, 21, own);
  model.checkpoint_every(3);  // `own` left out: the last dropout draws a new mask on replay
  const auto got = gradients_of(model, x, 21, own);
  bool differs = false;
  for (std::size_t j = 0; j < want[0].size(); ++j) {
    differs = differs || got[0].value().data()[j] != want[0].value().data()[j];
  }
  EXPECT_TRUE(differs);
}

TEST(SequentialCheckpoint, TheTapeHoldsOneNodePerSegment) {
  nn::Sequential<double> model;
  for (int i = 0; i < 12; ++i) {
    model.add(nn::Linear<double>(4, 4));
    model.add(nn::Tanh<double>());
  }
  const Td x = xg::test::uniform<double>({3, 4}, -1.0, 1.0, 9, false);
  model.checkpoint_every(6);
  const long before = xg::live_node_count<double>();
  Td y = model(x);
  EXPECT_EQ(xg::live_node_count<double>() - before, 4);  // 24 modules in segments of 6
  EXPECT_STREQ(y.op_name(), "checkpoint");
  {
    xg::NoGradGuard no_grad;  // nothing to checkpoint: the plain forward
    EXPECT_FALSE(model(x).requires_grad());
  }
  model.checkpoint_every(0);
  y = model(x);
  EXPECT_STREQ(y.op_name(), "tanh");
  EXPECT_EQ(model.checkpoint_interval(), 0u);
}

}  // namespace
