// Backward passes on several threads that share leaves (a model's parameters) accumulate exactly
// the sum of their gradients; a recorded operation reached by two unfinished passes at once is a
// GraphError, never a race.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "xgrad/tools/observer.hpp"

namespace {

using xg::Tensor;

/// Integer inputs: every gradient below is a sum of integers, exact in any order.
Tensor<double> integer_batch(std::size_t rows, std::size_t cols, int thread) {
  auto x = xt::xarray<double>::from_shape({rows, cols});
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = static_cast<double>((static_cast<int>(i) + 3 * thread) % 7 - 3);
  }
  return Tensor<double>(std::move(x));
}

/// Starts `n` threads running `work(t)` as close to the same moment as possible.
template <class F>
void run_together(int n, F work) {
  std::atomic<int> waiting{n};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      work(t);
    });
  }
  for (auto& th : threads) th.join();
}

TEST(ConcurrentBackward, SharedLeavesGetExactlyTheSumOfAllThreadsGradients) {
  constexpr int kThreads = 4, kPasses = 2000;
  auto w = Tensor<double>::zeros({4, 3}, true);
  auto b = Tensor<double>::zeros({3}, true);
  auto loss_of = [&](int t) {
    // w and b are shared; every other node is this thread's own.
    return xg::sum(xg::matmul(integer_batch(6, 4, t), w) * 2.0 + b);
  };
  // The expected sums, one thread's gradient at a time.
  xt::xarray<double> want_w = xt::zeros<double>({4, 3}), want_b = xt::zeros<double>({3});
  for (int t = 0; t < kThreads; ++t) {
    loss_of(t).backward();
    want_w += kPasses * w.grad().value();
    want_b += kPasses * b.grad().value();
    w.zero_grad();
    b.zero_grad();
  }
  const long live = xg::live_node_count<double>();
  run_together(kThreads, [&](int t) {
    for (int k = 0; k < kPasses; ++k) loss_of(t).backward();
  });
  EXPECT_EQ(w.grad().value(), want_w);
  EXPECT_EQ(b.grad().value(), want_b);
  EXPECT_EQ(xg::live_node_count<double>(), live + 2);  // the two gradients; every tape freed
}

TEST(ConcurrentBackward, ManySharedLeavesEachGetTheirOwnSum) {
  // More leaves than a pass finds by scanning its table: its index is used, and the threads
  // overwrite each other's hints all the time.
  constexpr int kLeaves = 300, kPasses = 100;
  std::vector<Tensor<double>> w;
  for (int k = 0; k < kLeaves; ++k) w.push_back(Tensor<double>::zeros({2}, true));
  run_together(2, [&](int t) {
    for (int p = 0; p < kPasses; ++p) {
      // Thread 0 walks the leaves forwards, thread 1 backwards: different table orders.
      Tensor<double> loss = Tensor<double>::scalar(0.0);
      for (int i = 0; i < kLeaves; ++i) {
        const int k = t == 0 ? i : kLeaves - 1 - i;
        loss = loss + xg::sum(w[k] * static_cast<double>(k + 10 * t));
      }
      loss.backward();
    }
  });
  for (int k = 0; k < kLeaves; ++k) {
    const double want = kPasses * (2.0 * k + 10.0);
    EXPECT_EQ(w[k].grad().value(), (xt::xarray<double>{want, want})) << "leaf " << k;
  }
}

TEST(ConcurrentBackward, TwoThreadsTrainingOneModelSumTheirGradientsBitForBit) {
  auto w1 = xg::test::uniform<double>({5, 8}, -1, 1, 11);
  auto b1 = xg::test::uniform<double>({8}, -1, 1, 12);
  auto w2 = xg::test::uniform<double>({8, 2}, -1, 1, 13);
  const std::vector<Tensor<double>> params{w1, b1, w2};
  std::vector<Tensor<double>> batches{xg::test::uniform<double>({16, 5}, -1, 1, 21, false),
                                      xg::test::uniform<double>({16, 5}, -1, 1, 22, false)};
  auto step = [&](int t) {
    auto h = xg::tanh(xg::matmul(batches[t], w1) + b1);
    xg::mean(xg::sigmoid(xg::matmul(h, w2))).backward();
  };
  std::vector<std::vector<xt::xarray<double>>> alone(2);
  for (int t = 0; t < 2; ++t) {
    step(t);
    for (auto p : params) {
      alone[t].push_back(p.grad().value());
      p.zero_grad();
    }
  }
  for (int round = 0; round < 50; ++round) {
    run_together(2, step);
    for (std::size_t i = 0; i < params.size(); ++i) {
      // Two addends: the same sum in either order.
      EXPECT_EQ(params[i].grad().value(), alone[0][i] + alone[1][i]) << "round " << round;
      Tensor<double>(params[i]).zero_grad();
    }
  }
}

/// Runs `during` on the first backward rule of the observed thread's pass, before it runs.
struct OnFirstRule : xg::TapeObserver<double> {
  std::function<void()> during;
  bool done = false;
  void on_backward_begin(xg::NodeView<double>, const Tensor<double>&) override {
    if (!std::exchange(done, true)) during();
  }
};

TEST(ConcurrentBackward, AnOperationHeldByAnUnfinishedPassOfAnotherThreadIsAGraphError) {
  auto w = Tensor<double>::from({3}, {0.5, -1.0, 2.0}, true);
  auto shared = xg::tanh(w * 2.0);  // one recorded operation reached by both passes
  auto first = xg::sum(shared * 3.0);
  auto second = xg::sum(shared * 5.0);
  std::promise<void> inside, go;
  std::thread a([&] {
    OnFirstRule pause;
    pause.during = [&] {  // `shared` is discovered and waits for this pass's gradient
      inside.set_value();
      go.get_future().wait();
    };
    xg::ObserverGuard<double> guard(pause);
    first.backward({.retain_graph = true});
  });
  inside.get_future().wait();
  EXPECT_THROW_WITH(second.backward({.retain_graph = true}), xg::GraphError,
                    "the result of 'tanh' of shape (3)",
                    "is being differentiated by another backward pass");
  go.set_value();
  a.join();
  const xt::xarray<double> t = xt::tanh(2.0 * w.value());
  const xt::xarray<double> d = 2.0 * (1.0 - t * t);
  xg::test::expect_close(w.grad().value(), xt::xarray<double>(3.0 * d), 1e-12);
  second.backward();  // the first pass has finished: now it may
  xg::test::expect_close(w.grad().value(), xt::xarray<double>(8.0 * d), 1e-12);
}

TEST(ConcurrentBackward, APassInsideAPassThroughTheSameOperationsIsAGraphError) {
  auto w = Tensor<double>::from({2}, {1.0, -2.0}, true);
  auto shared = w * w;
  auto outer = xg::sum(shared * 2.0);
  auto inner = xg::sum(shared);
  std::string message;
  OnFirstRule nested;
  nested.during = [&] {
    try {
      inner.backward({.retain_graph = true});
    } catch (const xg::GraphError& e) {
      message = e.what();
    }
  };
  {
    xg::ObserverGuard<double> guard(nested);
    outer.backward({.retain_graph = true});
  }
  EXPECT_NE(message.find("the result of 'mul' of shape (2) is being differentiated by another "
                         "backward pass"),
            std::string::npos)
      << message;
  EXPECT_EQ(w.grad().value(), (xt::xarray<double>{4.0, -8.0}));  // the outer pass is intact
}

TEST(ConcurrentBackward, APassThatThrowsGivesItsOperationsBack) {
  auto w = Tensor<double>::from({2}, {0.25, -0.5}, true);
  auto shared = xg::tanh(w);
  bool fail = true;
  auto fragile = xg::record<double>("fragile", xt::xarray<double>(shared.value()), {shared},
                                    [&fail](xg::BackwardContext<double>& c) {
                                      if (fail) throw std::runtime_error("fragile rule");
                                      c.input_grads[0] = c.grad;
                                    });
  EXPECT_THROW(xg::sum(fragile).backward({.retain_graph = true}), std::runtime_error);
  EXPECT_FALSE(w.has_grad());
  // `shared` was discovered by the pass that threw; later passes may still walk it.
  xg::sum(shared * 2.0).backward({.retain_graph = true});
  fail = false;
  xg::sum(fragile).backward();
  const xt::xarray<double> t = xt::tanh(w.value());
  xg::test::expect_close(w.grad().value(), xt::xarray<double>(3.0 * (1.0 - t * t)), 1e-12);
}

TEST(ConcurrentBackward, GradOfSharedLeavesOnSeveralThreadsLeavesGradUntouched) {
  auto w = Tensor<double>::from({3}, {1.0, 2.0, 3.0}, true);
  std::vector<xt::xarray<double>> got(4);
  run_together(4, [&](int t) {
    for (int k = 0; k < 100; ++k) {
      auto g = xg::grad<double>({xg::sum(w * w * static_cast<double>(t + 1))}, {w});
      got[t] = g[0].value();
    }
  });
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(got[t], (xt::xarray<double>{2.0, 4.0, 6.0}) * static_cast<double>(t + 1));
  }
  EXPECT_FALSE(w.has_grad());
}

}  // namespace
