// Is a float kernel bound by memory or by its arithmetic? Each one timed on 64,000 floats (in L2)
// and on 1,024,000 (in L3), ns per element, best of 7 rounds, one thread: a loop bound by memory
// slows down as its data leaves L2, as memcpy does (docs/performance.md). Calls the kernels of
// autograd/src/kernels directly, so no tape or allocation is timed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <vector>
#include "kernels/activation.hpp"
#include "kernels/math.hpp"
#include "kernels/softmax.hpp"
using clk = std::chrono::steady_clock;
static double best_ns_per_elem(std::size_t n, const std::function<void()>& f) {
  const int reps = std::max<int>(1, int(16'000'000 / n));
  double best = 1e30;
  for (int round = 0; round < 7; ++round) {
    auto t0 = clk::now();
    for (int r = 0; r < reps; ++r) f();
    double ns = std::chrono::duration<double, std::nano>(clk::now() - t0).count() / reps / n;
    best = std::min(best, ns);
  }
  return best;
}
int main() {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-3.f, 3.f);
  std::printf(
      "| kernel | ns/elem, 64K floats (L2) | ns/elem, 1M floats (L3) | L3 / L2 "
      "|\n|---|---|---|---|\n");
  for (auto [name, id] :
       std::vector<std::pair<const char*, int>>{{"memcpy", 0},
                                                {"exp", 1},
                                                {"log", 2},
                                                {"tanh", 3},
                                                {"sigmoid", 4},
                                                {"elu", 5},
                                                {"softplus", 6},
                                                {"softplus_backward", 7},
                                                {"logsumexp (rows of 1000)", 8},
                                                {"softmax (rows of 1000)", 9},
                                                {"log_softmax (rows of 1000)", 10},
                                                {"logsumexp backward (rows of 1000)", 11}}) {
    double r[2];
    int k = 0;
    for (std::size_t n : {std::size_t(64000), std::size_t(1024000)}) {
      std::vector<float> x(n), g(n), out(n);
      for (auto& v : x) v = id == 2 ? std::abs(d(rng)) + 0.01f : d(rng);
      for (auto& v : g) v = d(rng);
      const float* px = x.data();
      const float* pg = g.data();
      float* po = out.data();
      std::function<void()> f;
      switch (id) {
        case 0:
          f = [=] { std::memcpy(po, px, n * 4); };
          break;
        case 1:
          f = [=] { xg::kernels::exp(px, po, n); };
          break;
        case 2:
          f = [=] { xg::kernels::log(px, po, n); };
          break;
        case 3:
          f = [=] { xg::kernels::tanh(px, po, n); };
          break;
        case 4:
          f = [=] { xg::kernels::sigmoid(px, po, n); };
          break;
        case 5:
          f = [=] { xg::kernels::elu(px, po, n, 1.f); };
          break;
        case 6:
          f = [=] { xg::kernels::softplus(px, po, n, 1.f, 20.f); };
          break;
        case 7:
          f = [=] { xg::kernels::softplus_backward(pg, px, po, n, 1.f, 20.f); };
          break;
        case 8:
          f = [=] {
            xg::kernels::softmax_slices(px, 0, n / 1000, 1000, 1, po,
                                        xg::kernels::SoftmaxKind::logsumexp);
          };
          break;
        case 9:
          f = [=] {
            xg::kernels::softmax_slices(px, 0, n / 1000, 1000, 1, po,
                                        xg::kernels::SoftmaxKind::softmax);
          };
          break;
        case 11:
          f = [=] { xg::kernels::logsumexp_backward_slices(pg, px, 0, n / 1000, 1000, 1, po); };
          break;
        case 10:
          f = [=] {
            xg::kernels::softmax_slices(px, 0, n / 1000, 1000, 1, po,
                                        xg::kernels::SoftmaxKind::log_softmax);
          };
          break;
      }
      r[k++] = best_ns_per_elem(n, f);
    }
    std::printf("| %s | %.3f | %.3f | %.2f |\n", name, r[0], r[1], r[1] / r[0]);
  }
}
