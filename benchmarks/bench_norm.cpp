// batch_norm and layer_norm on float activations of a small CNN's sizes, with weight and bias
// requiring grad (as nn::BatchNorm2d's): the forward pass alone (the graph built and dropped) and
// the forward pass with a backward from a full upstream gradient, on 1 and 2 threads.
// Arguments: shape index (kShapes), threads, mode (0 forward, 1 forward + backward).
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <random>

#include "xgrad/autograd.hpp"

namespace {

using Tf = xg::Tensor<float>;

constexpr std::array<std::array<std::size_t, 4>, 3> kShapes = {
    {{64, 32, 26, 26}, {64, 64, 11, 11}, {256, 32, 26, 26}}};

Tf random_tensor(const xg::Shape& shape, unsigned seed, bool requires_grad) {
  xt::xarray<float> v = xt::xarray<float>::from_shape(shape);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 2.0f);
  for (auto& e : v) e = u(gen);
  return Tf(std::move(v), requires_grad);
}

/// Runs step(x, w, b) -> y per iteration, then y.backward(g) when the mode asks for it.
template <class Step>
void run(benchmark::State& state, const xg::Shape& shape, std::size_t params, Step&& step) {
  const int before = xg::num_threads();
  xg::set_num_threads(static_cast<int>(state.range(1)));
  const bool backward = state.range(2) == 1;
  const xg::Shape pshape =
      params == 0 ? xg::Shape{shape[1]} : xg::Shape(shape.end() - params, shape.end());
  Tf x = random_tensor(shape, 1, true);
  Tf w = random_tensor(pshape, 2, true);
  Tf b = random_tensor(pshape, 3, true);
  const Tf g = random_tensor(shape, 4, false);
  for (auto _ : state) {
    const Tf y = step(x, w, b);
    if (backward) y.backward(g);
    benchmark::DoNotOptimize(y.value().data());
  }
  xg::set_num_threads(before);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(x.size() * sizeof(float)));
}

xg::Shape shape_arg(const benchmark::State& state) {
  const auto& s = kShapes[static_cast<std::size_t>(state.range(0))];
  return xg::Shape(s.begin(), s.end());
}

void BM_BatchNormTrain(benchmark::State& state) {
  run(state, shape_arg(state), 0, [](const Tf& x, const Tf& w, const Tf& b) {
    return xg::batch_norm(x, Tf(), Tf(), w, b, true);
  });
}

void BM_BatchNormEval(benchmark::State& state) {
  const xg::Shape s = shape_arg(state);
  const Tf rm = random_tensor({s[1]}, 5, false);
  Tf rv = random_tensor({s[1]}, 6, false);
  for (auto& v : rv.mutable_value()) v += 1.5f;  // positive variances
  run(state, s, 0, [&](const Tf& x, const Tf& w, const Tf& b) {
    return xg::batch_norm(x, rm, rv, w, b, false);
  });
}

/// layer_norm over the last two axes (each image plane), weight and bias of that shape.
void BM_LayerNorm(benchmark::State& state) {
  const xg::Shape s = shape_arg(state);
  run(state, s, 2, [](const Tf& x, const Tf& w, const Tf& b) {
    return xg::layer_norm(x, {x.shape()[2], x.shape()[3]}, w, b);
  });
}

void args(benchmark::internal::Benchmark* b) {
  for (long shape = 0; shape < 3; ++shape) {
    for (long threads : {1, 2}) {
      for (long mode : {0, 1}) b->Args({shape, threads, mode});
    }
  }
  b->ArgNames({"shape", "threads", "backward"})->Unit(benchmark::kMicrosecond)->UseRealTime();
}
BENCHMARK(BM_BatchNormTrain)->Apply(args);
BENCHMARK(BM_BatchNormEval)->Apply(args);
BENCHMARK(BM_LayerNorm)->Apply(args);

}  // namespace
