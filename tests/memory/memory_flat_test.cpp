// A long training loop's memory stays flat: after warm-up, the live tape nodes, the
// heap blocks held and malloc's bytes in use are the same after every step — counted, not timed.
// A variant that keeps one node per step alive must be caught by the same check.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "heap_counter.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

// White-box: the size of a tape node (the detail header needs xgrad/tensor.hpp first).
#include "xgrad/detail/node.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)  // clang's spelling of __SANITIZE_ADDRESS__
#define XG_HAS_ASAN 1
#endif
#endif
#ifndef XG_HAS_ASAN
#define XG_HAS_ASAN 0
#endif

namespace {

namespace nn = xg::nn;
using Tn = xg::Tensor<float>;

constexpr std::size_t kWarmup = 20, kSteps = 200;
// Slack for allocator bookkeeping; a leak of one node per step over 180 steps is far above it.
constexpr long kBlockSlack = 4;
constexpr long kByteSlack = 4096;

struct Sample {
  long nodes = 0;
  long blocks = 0;
  long bytes = 0;
};

Sample sample() {
  return {xg::live_node_count<float>(), heap::live_blocks(),
          static_cast<long>(heap::malloc_bytes())};
}

struct TrainingRun {
  std::vector<Sample> after_step;  ///< one sample after each step
  double first_loss = 0, last_loss = 0;
};

/// Trains an 8-32-32-4 MLP (tanh, sigmoid) with MSE and Nesterov SGD on a fixed batch of 32;
/// with `leak`, every step's loss tensor is kept alive (one tape node per step).
TrainingRun train(bool leak) {
  nn::manual_seed(11);
  nn::Sequential<float> model{nn::make<nn::Linear<float>>(8, 32), nn::make<nn::Tanh<float>>(),
                              nn::make<nn::Linear<float>>(32, 32), nn::make<nn::Sigmoid<float>>(),
                              nn::make<nn::Linear<float>>(32, 4)};
  std::vector<float> xs(32 * 8), ys(32 * 4);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>((i * 37 % 19) / 19.0);
  for (std::size_t i = 0; i < ys.size(); ++i) ys[i] = static_cast<float>((i * 11 % 7) / 7.0);
  const Tn x = Tn::from({32, 8}, xs), y = Tn::from({32, 4}, ys);
  xg::optim::SGD<float> opt(model.parameters(), {.lr = 0.05, .momentum = 0.9, .nesterov = true});

  TrainingRun run;
  run.after_step.reserve(kSteps);  // no allocation of the test's own between samples
  std::vector<Tn> kept;
  kept.reserve(kSteps);
  for (std::size_t step = 0; step < kSteps; ++step) {
    {
      opt.zero_grad();
      Tn loss = xg::mse_loss(model(x), y);
      loss.backward();
      opt.step();
      const double value = loss.item();
      if (step == 0) run.first_loss = value;
      run.last_loss = value;
      if (leak) kept.push_back(loss);
    }
    run.after_step.push_back(sample());
  }
  return run;
}

/// Growth of each counter from the end of warm-up to its largest value in the later steps.
Sample growth(const TrainingRun& run) {
  const Sample base = run.after_step[kWarmup - 1];
  Sample g;
  for (std::size_t i = kWarmup; i < kSteps; ++i) {
    const Sample& s = run.after_step[i];
    g.nodes = std::max(g.nodes, s.nodes - base.nodes);
    g.blocks = std::max(g.blocks, s.blocks - base.blocks);
    g.bytes = std::max(g.bytes, s.bytes - base.bytes);
  }
  return g;
}

bool flat(const Sample& g) {
  return g.nodes == 0 && g.blocks <= kBlockSlack && g.bytes <= kByteSlack;
}

std::string describe(const Sample& g) {
  return "growth after warm-up: " + std::to_string(g.nodes) + " nodes, " +
         std::to_string(g.blocks) + " heap blocks, " + std::to_string(g.bytes) + " bytes";
}

TEST(MemoryFlat, TrainingLoopHoldsNoMoreAfterWarmup) {
  const long nodes_before = xg::live_node_count<float>();
  {
    const TrainingRun run = train(false);
    const Sample g = growth(run);
    EXPECT_TRUE(flat(g)) << describe(g);
    EXPECT_EQ(g.nodes, 0) << describe(g);
    // The steps really trained: the loss fell.
    EXPECT_LT(run.last_loss, 0.5 * run.first_loss);
    // Between steps at most the leaves live: 6 parameters, their 6 gradients, the 2 data
    // tensors — no tape.
    EXPECT_LE(run.after_step.back().nodes - nodes_before, 14);
  }
  EXPECT_EQ(xg::live_node_count<float>(), nodes_before);
}

TEST(MemoryFlat, OneLeakedNodePerStepIsCaught) {
  const TrainingRun run = train(true);
  const Sample g = growth(run);
  EXPECT_FALSE(flat(g)) << describe(g);
  const long steps = static_cast<long>(kSteps - kWarmup);
  EXPECT_EQ(g.nodes, steps) << describe(g);
  EXPECT_GE(g.blocks, steps) << describe(g);
  // AddressSanitizer replaces malloc, and its mallinfo2() reports nothing.
#if !defined(__SANITIZE_ADDRESS__) && !XG_HAS_ASAN
  EXPECT_GE(g.bytes, steps * static_cast<long>(sizeof(xg::detail::Node<float>))) << describe(g);
#endif
}

/// The scalar chain of the comparison's case 5: n steps of y = y * 1.0001 + 0.0001 (2n recorded
/// operations), backward, and the tape freed.
double scalar_chain(int n) {
  using Td = xg::Tensor<double>;
  Td x = Td::scalar(1.0, true);
  Td y = x;
  for (int i = 0; i < n; ++i) y = y * 1.0001 + 0.0001;
  y.backward();
  return x.grad().item();
}

TEST(MemoryFlat, WarmScalarChainAllocatesNothingPerOperation) {
  constexpr int kLength = 10'000;
  const double first = scalar_chain(kLength);  // warm-up: fills the node pool and value cache
  const long before = heap::allocations();
  const double second = scalar_chain(kLength);
  const long made = heap::allocations() - before;
  EXPECT_DOUBLE_EQ(second, first);
  EXPECT_NEAR(second, std::pow(1.0001, kLength), 1e-9 * second);
  // Node blocks, value buffers and the engine's work lists all come back from the first run:
  // a handful of allocations at most, against two per operation without the caches.
  EXPECT_LE(made, 16) << made << " allocations for " << 2 * kLength << " operations";
}

TEST(MemoryFlat, WarmStepOfATinyModelAllocatesNothing) {
  // Case 1 of the libtorch comparison: a 2-2-1 ReLU network on 10 rows, MSE, SGD momentum.
  nn::manual_seed(3);
  nn::Sequential<float> model{nn::make<nn::Linear<float>>(2, 2), nn::make<nn::ReLU<float>>(),
                              nn::make<nn::Linear<float>>(2, 1)};
  std::vector<float> xs(20), ys(10);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = 0.1f * static_cast<float>(i);
  for (std::size_t i = 0; i < ys.size(); ++i) ys[i] = 0.3f * static_cast<float>(i);
  const Tn x = Tn::from({10, 2}, xs), y = Tn::from({10, 1}, ys);
  xg::optim::SGD<float> opt(model.parameters(), {.lr = 0.01, .momentum = 0.9});
  auto step = [&] {
    opt.zero_grad();
    Tn loss = xg::mse_loss(model(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  const double first = step();
  for (std::size_t i = 1; i < kWarmup; ++i) step();
  const long before = heap::allocations();
  double last = 0;
  for (std::size_t i = 0; i < 100; ++i) last = step();
  const long made = heap::allocations() - before;
  // Nodes, input lists and values of up to 64 elements all come back from the step before.
  EXPECT_EQ(made, 0) << made << " allocations in 100 warm steps";
  EXPECT_LT(last, first);  // and the steps trained
}

}  // namespace
