// Independent graphs trained concurrently in std::threads give bit-identical results to the
// same trainings run one after another: grad mode, observers and the default generator are
// per thread, and the live-node counter is atomic.
#include <gtest/gtest.h>

#include <thread>

#include "nn/nn_test_util.hpp"
#include "xgrad/optim.hpp"
#include "xgrad/tools/anomaly.hpp"

namespace {

using namespace xg;
using nn::make;

/// A whole training from `seed`, on this thread only: init, dropout and batch order all come
/// from this thread's default generator.
std::vector<xt::xarray<double>> train_threads(std::uint64_t seed, bool with_anomaly_mode) {
  nn::manual_seed(seed);
  std::optional<DetectAnomaly<double>> anomaly;
  if (with_anomaly_mode) anomaly.emplace(AnomalyOptions{.backtrace = false});
  nn::Sequential<double> model{make<nn::Linear<double>>(5, 12), make<nn::ReLU<double>>(),
                               make<nn::Dropout<double>>(0.2), make<nn::Linear<double>>(12, 3)};
  optim::Adam<double> opt(model.parameters(), {.lr = 0.01});
  const auto x = test::uniform<double>({32, 5}, -1, 1, static_cast<unsigned>(seed), false);
  std::vector<std::size_t> labels(32);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = (i + seed) % 3;
  for (int step = 0; step < 60; ++step) {
    std::vector<std::size_t> rows(8), y;
    for (auto& r : rows) r = nn::default_generator()() % 32;
    for (auto r : rows) y.push_back(labels[r]);
    opt.zero_grad();
    auto loss = cross_entropy(model(index_select(x, rows)), y);
    loss.backward();
    opt.step();
  }
  std::vector<xt::xarray<double>> out;
  for (const auto& p : model.parameters()) out.push_back(p.value());
  return out;
}

TEST(Threads, ConcurrentIndependentTrainingsMatchSequentialBitForBit) {
  constexpr int kThreads = 4;
  std::vector<std::vector<xt::xarray<double>>> sequential;
  for (int t = 0; t < kThreads; ++t) sequential.push_back(train_threads(100 + t, false));

  const long live = live_node_count<double>();
  std::vector<std::vector<xt::xarray<double>>> concurrent(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Odd threads also run anomaly mode and one a NoGradGuard-heavy side job: neither may
    // affect the other threads.
    threads.emplace_back([&, t] { concurrent[t] = train_threads(100 + t, t % 2 == 1); });
  }
  std::thread side([] {
    NoGradGuard no_grad;
    for (int i = 0; i < 2000; ++i) {
      auto a = Tensor<double>::from({2}, {1.0, 2.0}, true);
      auto b = a * a;
      EXPECT_FALSE(b.requires_grad());
    }
  });
  for (auto& th : threads) th.join();
  side.join();
  EXPECT_EQ(live_node_count<double>(), live);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(concurrent[t].size(), sequential[t].size());
    for (std::size_t i = 0; i < sequential[t].size(); ++i) {
      EXPECT_EQ(concurrent[t][i], sequential[t][i]) << "thread " << t << " parameter " << i;
    }
  }
  EXPECT_NE(sequential[0][0], sequential[1][0]);  // the seeds really differ
}

TEST(Threads, OneModelSharedByTwoThreadsGetsTheSumOfTheirGradients) {
  nn::manual_seed(5);
  nn::Sequential<double> model{make<nn::Linear<double>>(5, 12), make<nn::ReLU<double>>(),
                               make<nn::Linear<double>>(12, 3)};
  auto params = model.parameters();
  const std::vector<std::size_t> labels{0, 1, 2, 1, 0, 2, 2, 1};
  auto backward_on = [&](int worker) {
    const auto x = test::uniform<double>({8, 5}, -1, 1, 30 + worker, false);
    cross_entropy(model(x), labels).backward();
  };
  std::vector<std::vector<xt::xarray<double>>> alone(2);
  for (int w = 0; w < 2; ++w) {
    backward_on(w);
    for (auto& p : params) alone[w].push_back(p.grad().value());
    model.zero_grad();
  }
  for (int round = 0; round < 20; ++round) {
    std::thread a([&] { backward_on(0); });
    std::thread b([&] { backward_on(1); });
    a.join();
    b.join();
    for (std::size_t i = 0; i < params.size(); ++i) {
      EXPECT_EQ(params[i].grad().value(), alone[0][i] + alone[1][i])
          << "round " << round << " parameter " << i;
    }
    model.zero_grad();
  }
}

TEST(Threads, EachThreadStartsWithItsOwnGeneratorSeededZero) {
  nn::manual_seed(77);
  std::uint64_t in_thread = 0;
  std::thread([&] { in_thread = nn::default_generator()(); }).join();
  EXPECT_EQ(in_thread, nn::Generator(0)());
}

}  // namespace
