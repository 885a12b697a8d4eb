// Matching the entries of a saved state with the entries a loader expects, shared by every
// loader (module parameters, optimizer state), as PyTorch's load_state_dict(strict=...): a strict
// load names each missing and unexpected entry in an error, a non-strict one reports them.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace xg {

/// The entries a non-strict load skipped (PyTorch's `_IncompatibleKeys`), each list sorted.
struct IncompatibleKeys {
  std::vector<std::string> missing_keys;     ///< expected, absent from the saved state
  std::vector<std::string> unexpected_keys;  ///< in the saved state, not expected
  bool empty() const { return missing_keys.empty() && unexpected_keys.empty(); }
};

/// The entries a loader takes: every `required` one, and any other for which `optional` is true
/// (none if it is empty). `summary` lists them for error messages ("lr, iterations, exp_avg.<i>").
struct ExpectedKeys {
  std::vector<std::string> required;
  std::function<bool(const std::string&)> optional;
  std::string summary;
};

/// Compares the names of the saved entries, `found`, with `expected`. Strict: throws xg::Error
/// from `who` naming every missing and unexpected entry and where they were looked for (the
/// checkpoint `directory` and each entry's file in it; an empty `directory` means an in-memory
/// state). Not strict: returns them.
IncompatibleKeys match_keys(const std::string& who, const std::vector<std::string>& found,
                            const ExpectedKeys& expected, bool strict,
                            const std::string& directory = "");

}  // namespace xg
