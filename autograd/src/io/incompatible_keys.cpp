// Strict and non-strict matching of saved entries (see incompatible_keys.hpp).
#include "xgrad/io/incompatible_keys.hpp"

#include <algorithm>
#include <set>

#include "xgrad/errors.hpp"

namespace xg {

namespace {

constexpr std::size_t kListedPerKind = 10;  // longer lists end in "and N more"

std::string listing(const std::vector<std::string>& keys, const std::string& directory) {
  std::string out;
  for (std::size_t i = 0; i < keys.size() && i < kListedPerKind; ++i) {
    if (i > 0) out += ", ";
    out += "'" + keys[i] + "'";
    if (!directory.empty()) out += " (" + keys[i] + ".npy)";
  }
  if (keys.size() > kListedPerKind) {
    out += " and " + std::to_string(keys.size() - kListedPerKind) + " more";
  }
  return out;
}

}  // namespace

IncompatibleKeys match_keys(const std::string& who, const std::vector<std::string>& found,
                            const ExpectedKeys& expected, bool strict,
                            const std::string& directory) {
  const std::set<std::string> present(found.begin(), found.end());
  const std::set<std::string> required(expected.required.begin(), expected.required.end());
  IncompatibleKeys keys;
  for (const auto& name : required) {
    if (!present.count(name)) keys.missing_keys.push_back(name);
  }
  for (const auto& name : present) {
    if (required.count(name)) continue;
    if (!expected.optional || !expected.optional(name)) keys.unexpected_keys.push_back(name);
  }
  if (!strict || keys.empty()) return keys;

  std::string message = who + ": ";
  message += directory.empty() ? "the state" : "the checkpoint '" + directory + "'";
  message += " does not match";
  if (!keys.missing_keys.empty()) {
    message += "; missing " + std::to_string(keys.missing_keys.size()) + " entr" +
               (keys.missing_keys.size() == 1 ? "y: " : "ies: ") +
               listing(keys.missing_keys, directory);
  }
  if (!keys.unexpected_keys.empty()) {
    message += "; unexpected " + std::to_string(keys.unexpected_keys.size()) + " entr" +
               (keys.unexpected_keys.size() == 1 ? "y: " : "ies: ") +
               listing(keys.unexpected_keys, directory);
  }
  if (!expected.summary.empty()) message += "; expected " + expected.summary;
  message += " (strict = false loads the entries that match and returns the others)";
  throw Error(message);
}

}  // namespace xg
