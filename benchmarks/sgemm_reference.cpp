// The sgemm limit for BM_MlpStep: the same matrix products as one training step of the
// 784-500-500-10 MLP at batch 128, straight through cblas_sgemm on preallocated buffers (no
// autograd, no activations, no allocation). Only <cblas.h> here: it clashes with xtensor-blas.
//
//   BM_SgemmReference/1  all 9 products of the FLOP formula 6 * batch * sum(in * out):
//                        per layer Y = X W, dW = X^T G, dX = G W^T
//   BM_SgemmReference/0  the 8 products xgrad actually runs (the input needs no gradient, so
//                        the first layer's dX is skipped)
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstddef>
#include <random>
#include <vector>

namespace {

constexpr int kBatch = 128;
constexpr int kSizes[] = {784, 500, 500, 10};
constexpr int kLayers = 3;

std::vector<float> random_buffer(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

void BM_SgemmReference(benchmark::State& state) {
  const bool first_layer_dx = state.range(0) != 0;
  std::mt19937 rng(42);
  // act[l]: (batch, sizes[l]) activations; grad[l]: gradient of the same shape.
  std::vector<std::vector<float>> act, grad, w, dw;
  for (int l = 0; l <= kLayers; ++l) {
    act.push_back(random_buffer(std::size_t(kBatch) * kSizes[l], rng));
    grad.push_back(random_buffer(std::size_t(kBatch) * kSizes[l], rng));
  }
  for (int l = 0; l < kLayers; ++l) {
    w.push_back(random_buffer(std::size_t(kSizes[l]) * kSizes[l + 1], rng));
    dw.push_back(std::vector<float>(w.back().size()));
  }
  double flops = 0;
  for (int l = 0; l < kLayers; ++l) {
    const double layer = 2.0 * kBatch * kSizes[l] * kSizes[l + 1];
    flops += (l > 0 || first_layer_dx) ? 3 * layer : 2 * layer;
  }

  for (auto _ : state) {
    for (int l = 0; l < kLayers; ++l) {  // Y (b, out) = X (b, in) W (in, out)
      const int in = kSizes[l], out = kSizes[l + 1];
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kBatch, out, in, 1.0f, act[l].data(),
                  in, w[l].data(), out, 0.0f, act[l + 1].data(), out);
    }
    for (int l = kLayers - 1; l >= 0; --l) {
      const int in = kSizes[l], out = kSizes[l + 1];
      // dW (in, out) = X^T (in, b) G (b, out)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, kBatch, 1.0f, act[l].data(), in,
                  grad[l + 1].data(), out, 0.0f, dw[l].data(), out);
      // dX (b, in) = G (b, out) W^T (out, in)
      if (l > 0 || first_layer_dx) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kBatch, in, out, 1.0f,
                    grad[l + 1].data(), out, w[l].data(), out, 0.0f, grad[l].data(), in);
      }
    }
    benchmark::DoNotOptimize(dw[0].data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["flops"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SgemmReference)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
