// Gradient checking as a public API: compare the tape's gradients with central finite
// differences, for unit tests of your own models and operations.
//
//   auto f = [](const std::vector<xg::Tensor<double>>& x) { return xg::tanh(x[0] * x[1]); };
//   auto r = xg::gradcheck<double>(f, {a, b});
//   EXPECT_TRUE(r.ok) << r.message;
//
// Non-scalar outputs are checked in full: a random upstream gradient u projects the output to
// the scalar sum(u * f(x)). The check also verifies that backward *adds* to a gradient already
// present in a leaf instead of overwriting it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg {

/// Step size, tolerances and seed of gradcheck / gradgradcheck.
struct GradcheckOptions {
  /// Finite-difference step, relative to each value's magnitude: h = eps * max(1, |x|).
  /// 0 picks 1e-6 for double and 1e-3 for float.
  double eps = 0;
  /// Pass when |analytic - numeric| <= atol + rtol * |numeric|. 0 picks defaults per type
  /// (double: 1e-5 / 1e-3; float: 1e-2 / 1e-2).
  double atol = 0;
  /// Relative tolerance (see atol).
  double rtol = 0;
  /// Seed of the random upstream gradient and of the pre-existing gradient.
  std::uint64_t seed = 42;
  /// Also check that backward accumulates into an existing leaf gradient.
  bool check_accumulation = true;
};

/// The outcome of a check; on failure, the first element whose gradients disagree.
struct GradcheckResult {
  /// True when every compared element is within tolerance.
  bool ok = true;
  /// Empty when ok; otherwise which input, which element, analytic vs numeric and the error.
  std::string message;
  /// Index of the failing input.
  std::size_t input = 0;
  /// Row-major index of the failing element within that input.
  std::size_t element = 0;
  /// The tape's gradient at the failing element.
  double analytic = 0;
  /// The finite-difference estimate at the failing element.
  double numeric = 0;
  /// |analytic - numeric| at the failing element.
  double error = 0;
  /// Number of gradient elements compared.
  std::size_t checked = 0;
  /// Same as ok, so `if (auto r = gradcheck(...))` reads naturally.
  explicit operator bool() const { return ok; }
};

template <class T>
using TensorFunction = std::function<Tensor<T>(const std::vector<Tensor<T>>&)>;

/// Checks d f / d inputs for every input that requires grad. The inputs are not modified (the
/// check works on copies). Differences are accumulated in double; for T = float the function's
/// own rounding limits the accuracy, hence the looser default tolerances.
template <class T>
GradcheckResult gradcheck(const TensorFunction<T>& f, const std::vector<Tensor<T>>& inputs,
                          GradcheckOptions options = {});

/// Checks second derivatives: gradcheck of x -> sum_i <v_i, d<u, f(x)>/dx_i> with random u, v,
/// the inner gradient computed with create_graph.
template <class T>
GradcheckResult gradgradcheck(const TensorFunction<T>& f, const std::vector<Tensor<T>>& inputs,
                              GradcheckOptions options = {});

}  // namespace xg
