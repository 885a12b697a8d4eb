// A very deep Linear + tanh network trained with and without Sequential::checkpoint_every
// (docs/performance.md, "Activation checkpointing"): peak memory, memory beyond the parameters
// and their gradients, time per step, and whether the gradients are bit-identical.
//
// Each variant runs in a process of its own (the program starts itself once per variant), so
// that each peak resident size is that variant's alone.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"

namespace {

using Tf = xg::Tensor<float>;

struct Config {
  long long layers = 10000, width = 256, batch = 32, every = 100, steps = 3;
  long long threads = 1;
};

double resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      double kib = 0;
      status >> kib;
      return kib / 1024.0;
    }
    status.ignore(1 << 20, '\n');
  }
  return 0;
}

double peak_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

/// FNV-1a over the bytes of every gradient: equal hashes of two runs mean identical bits.
std::uint64_t gradient_hash(const std::vector<Tf>& params) {
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& p : params) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(p.grad().value().data());
    for (std::size_t i = 0; i < p.size() * sizeof(float); ++i)
      h = (h ^ bytes[i]) * 1099511628211ull;
  }
  return h;
}

/// One variant: prints "baseline_mib peak_mib seconds_per_step hash".
int run_variant(const Config& c) {
  xg::set_num_threads(static_cast<int>(c.threads));
  xg::nn::manual_seed(1);
  xg::nn::Sequential<float> model;
  for (long long i = 0; i < c.layers; ++i) {
    model.add(xg::nn::Linear<float>(c.width, c.width));
    model.add(xg::nn::Tanh<float>());
  }
  model.checkpoint_every(static_cast<std::size_t>(2 * c.every));  // a layer is Linear + Tanh
  const auto params = model.parameters();
  xt::xarray<float> xs = xt::xarray<float>::from_shape(
      {static_cast<std::size_t>(c.batch), static_cast<std::size_t>(c.width)});
  for (std::size_t i = 0; i < xs.size(); ++i) xs.data()[i] = std::sin(0.37f * float(i));
  const Tf x(std::move(xs));
  const double baseline = resident_mib();
  std::vector<double> seconds;
  std::uint64_t hash = 0;
  for (long long s = 0; s < c.steps; ++s) {
    for (auto p : params) p.zero_grad();
    const auto t0 = std::chrono::steady_clock::now();
    Tf y = model(x);
    xg::mean(y * y).backward();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (s == 0) hash = gradient_hash(params);
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("%.1f %.1f %.4f %016llx\n", baseline, peak_mib(), seconds[seconds.size() / 2],
              static_cast<unsigned long long>(hash));
  return 0;
}

struct Result {
  double baseline = 0, peak = 0, seconds = 0;
  std::string hash;
};

Result run_child(const std::string& self, const Config& c, long long every) {
  const std::string cmd = self + " --variant --layers " + std::to_string(c.layers) + " --width " +
                          std::to_string(c.width) + " --batch " + std::to_string(c.batch) +
                          " --every " + std::to_string(every) + " --steps " +
                          std::to_string(c.steps) + " --threads " + std::to_string(c.threads);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  Result r;
  char hash[64] = {0};
  if (!pipe ||
      std::fscanf(pipe.get(), "%lf %lf %lf %63s", &r.baseline, &r.peak, &r.seconds, hash) != 4) {
    throw std::runtime_error("checkpoint_depth: the variant run failed: " + cmd);
  }
  r.hash = hash;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  bool variant = false;
  CLI::App app{
      "A deep Linear + tanh network with and without activation checkpointing: "
      "memory, time per step and gradient identity.",
      "xgrad_checkpoint_depth"};
  app.add_option("--layers", c.layers, "Linear + tanh layers")->check(examples::kCount);
  app.add_option("--width", c.width, "features per layer")->check(examples::kCount);
  app.add_option("--batch", c.batch, "rows per step")->check(examples::kCount);
  app.add_option("--every", c.every, "layers per checkpointed segment (0: none)")
      ->check(examples::kWhole);
  app.add_option("--steps", c.steps, "training steps (median time reported)")
      ->check(examples::kCount);
  app.add_option("--threads", c.threads, "xg::set_num_threads")->check(examples::kCount);
  app.add_flag("--variant", variant, "run one variant and print its figures (internal)");
  if (auto status = examples::parse_command_line(app, argc, argv)) return *status;
  if (variant) return run_variant(c);

  const double param_mib = double(c.layers) * double(c.width * c.width + c.width) * 4 / 1048576;
  const Result plain = run_child(argv[0], c, 0);
  const Result ckpt = run_child(argv[0], c, c.every);
  // Beyond the parameters (in the baseline) and their gradients (as many bytes again).
  auto beyond = [&](const Result& r) { return r.peak - r.baseline - param_mib; };
  std::printf("%lld x Linear(%lld)+tanh, batch %lld, %lld thread(s); parameters %.0f MiB\n",
              c.layers, c.width, c.batch, c.threads, param_mib);
  std::printf("%-22s %12s %18s %12s\n", "", "peak MiB", "beyond params+grads", "s / step");
  std::printf("%-22s %12.0f %18.0f %12.3f\n", "plain", plain.peak, beyond(plain), plain.seconds);
  std::printf("%-22s %12.0f %18.0f %12.3f\n",
              ("checkpoint every " + std::to_string(c.every)).c_str(), ckpt.peak, beyond(ckpt),
              ckpt.seconds);
  std::printf("ratios: peak %.3f, beyond params+grads %.3f, time %.3f\n", ckpt.peak / plain.peak,
              beyond(ckpt) / beyond(plain), ckpt.seconds / plain.seconds);
  const bool same = plain.hash == ckpt.hash;
  std::printf("gradients %s (hash %s / %s)\n", same ? "bit-identical" : "DIFFER",
              plain.hash.c_str(), ckpt.hash.c_str());
  return same ? 0 : 1;
}
