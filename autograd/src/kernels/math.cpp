#include "kernels/math.hpp"

#include <cmath>

#include "kernels/fast_math.hpp"
#include "kernels/target_clones.hpp"

namespace xg::kernels {

XG_TARGET_CLONES void exp(const float* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = detail::exp_float(x[i]);
}
void exp(const double* x, double* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
}

XG_TARGET_CLONES void log(const float* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = detail::log_float(x[i]);
}
void log(const double* x, double* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::log(x[i]);
}

}  // namespace xg::kernels
