// Training-step benchmarks of the autograd core. Every case is a full step: zero the gradients,
// forward, loss, backward, and a plain SGD update of the leaves under NoGradGuard.
//
//   BM_IceCreamStep      the ice-cream 2-2-1 ReLU network on 10 rows, MSE (per-op overhead bound)
//   BM_MlpStep           784-500-500-10 sigmoid MLP, batch 128, cross-entropy (sgemm bound);
//                        compare its `flops` counter with BM_SgemmReference in sgemm_reference.cpp
//   BM_ScalarChain/N     y = y * 1.0001 + 0.0001, N times, then backward (double); `per_op` is the
//                        time per recorded op (2 ops per iteration), split into fwd/bwd/free;
//                        N = 1e4, 1e5, 1e6: the time per op must stay flat (linear in N)
//   BM_DeepTanhStep      1000 x (Linear(32,32) + tanh) at batch 16, MSE against zeros
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "ice_cream_data.hpp"
#include "xgrad/autograd.hpp"

namespace {

template <class T>
using Tn = xg::Tensor<T>;

/// Plain SGD on leaves, outside the tape.
template <class T>
void sgd_update(std::vector<Tn<T>>& params, T lr) {
  xg::NoGradGuard no_grad;
  for (auto& p : params) {
    if (p.has_grad()) p.mutable_value() -= lr * p.grad().value();
  }
}

template <class T>
void zero_grads(std::vector<Tn<T>>& params) {
  for (auto& p : params) p.zero_grad();
}

/// A leaf of `shape` with N(0, stddev) values.
template <class T>
Tn<T> normal_leaf(const xg::Shape& shape, double stddev, std::mt19937& rng) {
  Tn<T> t = Tn<T>::zeros(shape, true);
  std::normal_distribution<double> dist(0.0, stddev);
  for (auto& v : t.mutable_value()) v = static_cast<T>(dist(rng));
  return t;
}

// ---------------------------------------------------------------------------------------------
// 1. Ice cream: 2-2-1 ReLU network, 10 rows, MSE.

void BM_IceCreamStep(benchmark::State& state) {
  using T = float;
  const Tn<T> x = ice_cream::inputs<T>();
  const Tn<T> y = ice_cream::targets<T>();
  std::mt19937 rng(3);
  ice_cream::Params<T> p{normal_leaf<T>({2, 2}, 0.5, rng), Tn<T>::full({2}, T(0.1), true),
                         normal_leaf<T>({2, 1}, 0.5, rng), Tn<T>::full({1}, T(0.1), true)};
  std::vector<Tn<T>> params{p.w_hidden, p.b_hidden, p.w_out, p.b_out};  // same nodes
  double last_loss = 0;
  for (auto _ : state) {
    zero_grads(params);
    auto loss = xg::mse_loss(ice_cream::predict(p, x), y);
    loss.backward();
    sgd_update(params, T(0.2));
    last_loss = loss.item();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ice_cream::kRows));
  state.counters["loss"] = last_loss;  // falls as the steps train the network
}
BENCHMARK(BM_IceCreamStep)->UseRealTime();

// ---------------------------------------------------------------------------------------------
// 2. 784-500-500-10 sigmoid MLP, batch 128, cross-entropy with integer labels.

constexpr std::size_t kBatch = 128;
constexpr std::size_t kLayers[] = {784, 500, 500, 10};

void BM_MlpStep(benchmark::State& state) {
  using T = float;
  std::mt19937 rng(42);
  const Tn<T> x = [&] {
    Tn<T> t = Tn<T>::zeros({kBatch, kLayers[0]});
    std::uniform_real_distribution<double> pixel(0.0, 1.0);
    for (auto& v : t.mutable_value()) v = static_cast<T>(pixel(rng));
    return t;
  }();
  std::vector<std::size_t> labels(kBatch);
  std::uniform_int_distribution<std::size_t> label(0, 9);
  for (auto& l : labels) l = label(rng);

  std::vector<Tn<T>> params;  // W0, b0, W1, b1, W2, b2
  double weights = 0;         // sum(in * out)
  for (std::size_t l = 0; l + 1 < std::size(kLayers); ++l) {
    params.push_back(normal_leaf<T>({kLayers[l], kLayers[l + 1]},
                                    1.0 / std::sqrt(static_cast<double>(kLayers[l])), rng));
    params.push_back(Tn<T>::zeros({kLayers[l + 1]}, true));
    weights += static_cast<double>(kLayers[l] * kLayers[l + 1]);
  }

  double last_loss = 0;
  for (auto _ : state) {
    zero_grads(params);
    Tn<T> h = x;
    for (std::size_t l = 0; l < 3; ++l) {
      h = xg::add(xg::matmul(h, params[2 * l]), params[2 * l + 1]);
      if (l < 2) h = xg::sigmoid(h);
    }
    auto loss = xg::cross_entropy(h, labels);
    loss.backward();
    sgd_update(params, T(0.01));
    last_loss = loss.item();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  state.counters["loss"] = last_loss;
  // 2 FLOPs per multiply-add: forward X W, backward dW = X^T G and dX = G W^T.
  state.counters["flops"] =
      benchmark::Counter(6.0 * kBatch * weights, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpStep)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---------------------------------------------------------------------------------------------
// 3. Scalar chain of N iterations (2N recorded ops), then backward; double.

void BM_ScalarChain(benchmark::State& state) {
  using T = double;
  using clock = std::chrono::steady_clock;
  const auto n = static_cast<std::size_t>(state.range(0));
  double fwd = 0, bwd = 0, free = 0;
  for (auto _ : state) {
    Tn<T> x = Tn<T>::scalar(1.0, true);
    const auto t0 = clock::now();
    Tn<T> y = x;
    for (std::size_t i = 0; i < n; ++i) y = y * 1.0001 + 0.0001;
    const auto t1 = clock::now();
    y.backward();
    const auto t2 = clock::now();
    benchmark::DoNotOptimize(x.grad().value().data());
    y = Tn<T>();  // whatever the released tape still holds
    const auto t3 = clock::now();
    fwd += std::chrono::duration<double>(t1 - t0).count();
    bwd += std::chrono::duration<double>(t2 - t1).count();
    free += std::chrono::duration<double>(t3 - t2).count();
  }
  const double ops = 2.0 * static_cast<double>(n) * static_cast<double>(state.iterations());
  state.counters["per_op"] = benchmark::Counter(
      2.0 * static_cast<double>(n),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["fwd_ns_op"] = fwd * 1e9 / ops;
  state.counters["bwd_ns_op"] = bwd * 1e9 / ops;
  state.counters["free_ns_op"] = free * 1e9 / ops;
}
BENCHMARK(BM_ScalarChain)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// ---------------------------------------------------------------------------------------------
// 4. 1000 x (Linear(32,32) + tanh) at batch 16, MSE against zeros.

void BM_DeepTanhStep(benchmark::State& state) {
  using T = float;
  constexpr std::size_t kDepth = 1000, kWidth = 32, kRowsDeep = 16;
  std::mt19937 rng(7);
  const Tn<T> x = normal_leaf<T>({kRowsDeep, kWidth}, 1.0, rng).detach();
  const Tn<T> target = Tn<T>::zeros({kRowsDeep, kWidth});
  std::vector<Tn<T>> params;
  params.reserve(2 * kDepth);
  for (std::size_t l = 0; l < kDepth; ++l) {
    params.push_back(normal_leaf<T>({kWidth, kWidth}, 1.0 / std::sqrt(double(kWidth)), rng));
    params.push_back(Tn<T>::zeros({kWidth}, true));
  }
  for (auto _ : state) {
    zero_grads(params);
    Tn<T> h = x;
    for (std::size_t l = 0; l < kDepth; ++l) {
      h = xg::tanh(xg::add(xg::matmul(h, params[2 * l]), params[2 * l + 1]));
    }
    auto loss = xg::mse_loss(h, target);
    loss.backward();
    sgd_update(params, T(0.01));
    benchmark::DoNotOptimize(loss.value().data());
  }
  // Recorded ops per step: matmul, add, tanh per layer, plus the loss.
  state.counters["per_op"] =
      benchmark::Counter(3.0 * kDepth + 1, benchmark::Counter::kIsIterationInvariantRate |
                                               benchmark::Counter::kInvert);
}
BENCHMARK(BM_DeepTanhStep)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  xg::tune_allocator();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
