// The GEMM limit of case 13: the matrix products of one training step of the CNN as im2col +
// GEMM computes them, straight through cblas_sgemm on preallocated buffers (no im2col, col2im,
// batch norm, pooling, activations or allocation), whatever kernels either library really uses.
// Only <cblas.h> here: it clashes with xtensor-blas.
#include <cblas.h>

#include <algorithm>
#include <random>

#include "compare.hpp"

namespace compare {

namespace {

/// A product's buffer, random in [-1, 1].
std::vector<float> buffer(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

/// A convolution as matrix products over the whole batch: W (out, k) with k = in kH kW, the
/// column matrix (k, l) with l = batch OH OW, the output and its gradient (out, l).
struct ConvGemms {
  int out, k, l;
  bool input_grad;
  std::vector<float> w, dw, cols, dcols, y, g;

  ConvGemms(std::size_t in_channels, std::size_t out_channels, std::size_t out_size,
            std::size_t batch, bool needs_input_grad, std::mt19937& rng)
      : out(static_cast<int>(out_channels)),
        k(static_cast<int>(in_channels * cnn::kKernel * cnn::kKernel)),
        l(static_cast<int>(batch * out_size * out_size)),
        input_grad(needs_input_grad) {
    const auto ok = static_cast<std::size_t>(out) * k, kl = static_cast<std::size_t>(k) * l;
    const auto ol = static_cast<std::size_t>(out) * l;
    w = buffer(ok, rng), dw = buffer(ok, rng), cols = buffer(kl, rng), y = buffer(ol, rng);
    g = buffer(ol, rng);
    if (input_grad) dcols = buffer(kl, rng);
  }
  double flops() const { return (input_grad ? 3.0 : 2.0) * 2.0 * out * k * l; }
  void forward() {  // Y (out, l) = W (out, k) cols (k, l)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, out, l, k, 1.0f, w.data(), k,
                cols.data(), l, 0.0f, y.data(), l);
  }
  void backward() {
    // dW (out, k) = G (out, l) cols^T (l, k)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, out, k, l, 1.0f, g.data(), l, cols.data(),
                l, 0.0f, dw.data(), k);
    if (input_grad) {  // dcols (k, l) = W^T (k, out) G (out, l), which col2im would scatter
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, l, out, 1.0f, w.data(), k, g.data(),
                  l, 0.0f, dcols.data(), l);
    }
  }
};

/// A Linear layer's products as in sgemm_limit.cpp: X (b, in), W (in, out), G (b, out).
struct LinearGemms {
  int b, in, out;
  std::vector<float> x, dx, w, dw, y, g;

  LinearGemms(std::size_t batch, std::size_t in_features, std::size_t out_features,
              std::mt19937& rng)
      : b(static_cast<int>(batch)),
        in(static_cast<int>(in_features)),
        out(static_cast<int>(out_features)) {
    x = buffer(batch * in_features, rng), dx = buffer(batch * in_features, rng);
    w = buffer(in_features * out_features, rng), dw = buffer(in_features * out_features, rng);
    y = buffer(batch * out_features, rng), g = buffer(batch * out_features, rng);
  }
  double flops() const { return 3.0 * 2.0 * b * in * out; }
  void forward() {  // Y = X W
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, out, in, 1.0f, x.data(), in, w.data(),
                out, 0.0f, y.data(), out);
  }
  void backward() {  // dW = X^T G, dX = G W^T
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, b, 1.0f, x.data(), in, g.data(),
                out, 0.0f, dw.data(), out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, in, out, 1.0f, g.data(), out, w.data(),
                out, 0.0f, dx.data(), in);
  }
};

}  // namespace

SgemmLimit measure_cnn_gemm_limit(std::size_t batch, const Budget& budget) {
  using namespace cnn;
  std::mt19937 rng(43);
  ConvGemms conv1(1, kChannels1, kOut1, batch, false, rng);  // the image needs no gradient
  ConvGemms conv2(kChannels1, kChannels2, kOut2, batch, true, rng);
  LinearGemms fc1(batch, kFlat, kHidden, rng), fc2(batch, kHidden, kClasses, rng);
  SgemmLimit out;
  out.flops = conv1.flops() + conv2.flops() + fc1.flops() + fc2.flops();
  const StepTimes t = time_steps(
      [&] {
        conv1.forward();
        conv2.forward();
        fc1.forward();
        fc2.forward();
        fc2.backward();
        fc1.backward();
        conv2.backward();
        conv1.backward();
        return static_cast<double>(conv1.dw[0]);
      },
      budget);
  out.seconds = median(t.seconds);
  return out;
}

}  // namespace compare
