// Batches of 64 Fashion-MNIST-sized images gathered as (64, 1, 28, 28), plain (argument 0) and
// with a random crop after 4 pixels of padding and a random horizontal flip (argument 1): the
// per-batch cost the training loader adds to a CNN step.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <vector>

#include "xgrad/data.hpp"

namespace {

void BM_ImageBatch(benchmark::State& state) {
  const std::size_t n = 6400;
  xt::xarray<float> pixels = xt::xarray<float>::from_shape({n, 784});
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (auto& v : pixels) v = u(gen);
  std::vector<std::size_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = i % 10;
  xg::data::LoaderOptions options{.batch_size = 64, .seed = 1, .sample_shape = {1, 28, 28}};
  if (state.range(0) == 1) options.augment = xg::data::crop_and_flip({1, 28, 28}, 4, 2);
  xg::data::DataLoader<float> loader(xg::Tensor<float>(pixels), labels, options);
  std::size_t images = 0;
  while (state.KeepRunning()) {
    for (const auto& batch : loader) {
      benchmark::DoNotOptimize(batch.inputs.value().data());
      images += batch.size();
    }
  }
  // Seconds per image, printed with an SI prefix (900n is 0.9 microseconds).
  state.counters["s_per_image"] = benchmark::Counter(
      static_cast<double>(images), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ImageBatch)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
