// Kernels of the normalisation operations (ops/normalization.cpp). A tensor is viewed as
// (outer, channels, inner), row-major, with statistics per channel over the outer x inner values
// of that channel: batch norm's (N, C, L) with L the product of the spatial axes, layer norm's
// (1, rows, M) with M the elements of the normalised trailing axes. The affine parameters vary
// along the channels (batch norm) or along the inner axis (layer norm, where outer is 1).
//
// Loops are split over the pool by channel ranges, so each channel's sums are taken whole by one
// thread in a fixed order (the same bits for any thread count). A channel is handled in one go:
// its statistics and then its output, or its gradient sums and then its input gradient, so the
// second pass reads values the first left in cache and the tensor crosses memory once.
#pragma once

#include <cstddef>

namespace xg::kernels {

struct NormLayout {
  std::size_t outer = 1, channels = 1, inner = 1;
  /// The values per channel that its statistics are taken over.
  std::size_t count() const { return outer * inner; }
  std::size_t size() const { return outer * channels * inner; }
};

/// Which axis of the layout weight and bias run along: one value per channel, or one per inner
/// position (then the layout's outer must be 1).
enum class AffineAxis { channel, inner };

/// weight and bias (either may be null: scale 1, shift 0) and the axis they run along.
template <class T>
struct NormAffine {
  const T* weight = nullptr;
  const T* bias = nullptr;
  AffineAxis axis = AffineAxis::channel;
};

/// Per channel c: mean[c] and the biased variance var[c] of its values by the corrected two-pass
/// algorithm (sums in double), rstd[c] = 1 / sqrt(var[c] + eps), and
/// out = (x - mean[c]) * rstd[c] * weight + bias. count() must be at least 1.
void norm_forward(const float* x, NormLayout l, double eps, NormAffine<float> a, float* mean,
                  float* var, float* rstd, float* out);
void norm_forward(const double* x, NormLayout l, double eps, NormAffine<double> a, double* mean,
                  double* var, double* rstd, double* out);

/// out = (x - mean[c]) * rstd[c] * weight + bias with the given statistics.
void norm_apply(const float* x, NormLayout l, const float* mean, const float* rstd,
                NormAffine<float> a, float* out);
void norm_apply(const double* x, NormLayout l, const double* mean, const double* rstd,
                NormAffine<double> a, double* out);

/// Where norm_backward writes; any may be null (not wanted). dweight and dbias have one value
/// per channel or per inner position, as the affine axis.
template <class T>
struct NormGrads {
  T* dx = nullptr;
  T* dweight = nullptr;  // sum of g * xhat, xhat = (x - mean) * rstd
  T* dbias = nullptr;    // sum of g
};

/// The gradients of y = xhat * weight + bias, xhat = (x - mean[c]) * rstd[c], for the upstream
/// gradient g. With fixed_stats the statistics are constants: dx = g * weight * rstd. Without,
/// they are x's own (norm_forward's), and dx goes through them too:
/// dx = rstd * (u - mean_c(u) - xhat * mean_c(u * xhat)), u = g * weight, the means over each
/// channel. Only a.weight and a.axis of `a` are read.
void norm_backward(const float* g, const float* x, NormLayout l, const float* mean,
                   const float* rstd, NormAffine<float> a, bool fixed_stats, NormGrads<float> out);
void norm_backward(const double* g, const double* x, NormLayout l, const double* mean,
                   const double* rstd, NormAffine<double> a, bool fixed_stats,
                   NormGrads<double> out);

}  // namespace xg::kernels
