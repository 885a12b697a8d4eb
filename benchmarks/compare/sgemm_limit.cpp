// The sgemm limit of case 3: the matrix products of one training step of the 784-500-500-10 MLP,
// straight through cblas_sgemm on preallocated buffers (no autograd, activations or
// allocation). Only <cblas.h> here: it clashes with xtensor-blas.
#include <cblas.h>

#include <algorithm>
#include <random>

#include "compare.hpp"

namespace compare {

SgemmLimit measure_sgemm_limit(std::size_t batch_size, const Budget& budget) {
  constexpr int kSizes[] = {784, 500, 500, 10};
  constexpr int kLayers = 3;
  const int b = static_cast<int>(batch_size);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto buffer = [&](int n) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& x : v) x = dist(rng);
    return v;
  };
  // act[l], grad[l]: (batch, sizes[l]); w[l], dw[l]: (sizes[l], sizes[l + 1]).
  std::vector<std::vector<float>> act, grad, w, dw;
  SgemmLimit out;
  for (int l = 0; l <= kLayers; ++l) {
    act.push_back(buffer(b * kSizes[l]));
    grad.push_back(buffer(b * kSizes[l]));
  }
  for (int l = 0; l < kLayers; ++l) {
    w.push_back(buffer(kSizes[l] * kSizes[l + 1]));
    dw.push_back(buffer(kSizes[l] * kSizes[l + 1]));
    // 2 FLOPs per multiply-add: X W and dW = X^T G, plus dX = G W^T except for the input.
    out.flops += (l > 0 ? 3.0 : 2.0) * 2.0 * b * kSizes[l] * kSizes[l + 1];
  }

  const StepTimes t = time_steps(
      [&] {
        for (int l = 0; l < kLayers; ++l) {  // Y (b, out) = X (b, in) W (in, out)
          const int in = kSizes[l], o = kSizes[l + 1];
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, o, in, 1.0f, act[l].data(), in,
                      w[l].data(), o, 0.0f, act[l + 1].data(), o);
        }
        for (int l = kLayers - 1; l >= 0; --l) {
          const int in = kSizes[l], o = kSizes[l + 1];
          // dW (in, out) = X^T (in, b) G (b, out)
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, o, b, 1.0f, act[l].data(), in,
                      grad[l + 1].data(), o, 0.0f, dw[l].data(), o);
          if (l > 0) {  // dX (b, in) = G (b, out) W^T (out, in)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, in, o, 1.0f, grad[l + 1].data(),
                        o, w[l].data(), o, 0.0f, grad[l].data(), in);
          }
        }
        return static_cast<double>(dw[0][0]);
      },
      budget);
  std::vector<double> s = t.seconds;
  std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
  out.seconds = s[s.size() / 2];
  return out;
}

std::string openblas_description() {
  return openblas_get_config();
}

}  // namespace compare
