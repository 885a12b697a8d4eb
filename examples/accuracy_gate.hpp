// fashion_mnist's --min-accuracy gate: a gate that cannot be evaluated fails.
#pragma once

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace examples {

/// The mean of the runs' accuracies; NaN when there is none.
inline double mean_accuracy(const std::vector<double>& accuracies) {
  if (accuracies.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (double a : accuracies) sum += a;
  return sum / static_cast<double>(accuracies.size());
}

/// Why the runs fail the gate `min_accuracy`, or nothing when they pass: no accuracy at all, or
/// one that is not a number (an empty test set), fails as surely as a low one.
inline std::optional<std::string> accuracy_gate_failure(const std::vector<double>& accuracies,
                                                        double min_accuracy) {
  char bound[64];
  std::snprintf(bound, sizeof bound, "--min-accuracy %.4f", min_accuracy);
  if (accuracies.empty()) return "no test accuracy to compare with " + std::string(bound);
  for (double a : accuracies) {
    if (!std::isfinite(a))
      return "a run has no test accuracy to compare with " + std::string(bound);
  }
  if (!(mean_accuracy(accuracies) >= min_accuracy)) {
    return "mean accuracy below " + std::string(bound);
  }
  return std::nullopt;
}

}  // namespace examples
