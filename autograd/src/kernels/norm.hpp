// Kernels of the normalisation operations (ops/normalization.cpp). A tensor is viewed as
// (outer, channels, inner), row-major, with statistics per channel over the outer x inner values
// of that channel: batch norm's (N, C, L) with L the product of the spatial axes, layer norm's
// (1, rows, M) with M the elements of the normalised trailing axes. Loops are split over the
// pool by channel ranges, so each channel's sums are taken whole by one thread in a fixed order
// (the same bits for any thread count).
#pragma once

#include <cstddef>

namespace xg::kernels {

struct NormLayout {
  std::size_t outer = 1, channels = 1, inner = 1;
  /// The values per channel that its statistics are taken over.
  std::size_t count() const { return outer * inner; }
  std::size_t size() const { return outer * channels * inner; }
};

/// Per channel c: mean[c] and the biased variance var[c] of its values, by the corrected
/// two-pass algorithm (sums in double): var = (sum d^2 - (sum d)^2 / n) / n, d = x - mean.
/// count() must be at least 1.
void norm_stats(const float* x, NormLayout l, float* mean, float* var);
void norm_stats(const double* x, NormLayout l, double* mean, double* var);

/// out = (x - mean[c]) * rstd[c].
void norm_apply(const float* x, NormLayout l, const float* mean, const float* rstd, float* out);
void norm_apply(const double* x, NormLayout l, const double* mean, const double* rstd, double* out);

/// The gradient of the normalisation through both statistics:
/// out = rstd[c] * (g - mean_c(g) - xhat * mean_c(g * xhat)), the means over each channel.
void norm_backward(const float* g, const float* xhat, NormLayout l, const float* rstd, float* out);
void norm_backward(const double* g, const double* xhat, NormLayout l, const double* rstd,
                   double* out);

}  // namespace xg::kernels
