// Optimizer base: parameter checks, the step loop, per-parameter buffers, state dictionaries.
#include "xgrad/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include "detail.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/io/npy.hpp"

namespace xg::optim {

namespace {
template <class S1, class S2>
bool shapes_equal(const S1& a, const S2& b) {
  // A plain loop: std::equal calls memcmp, a call that costs more than these few extents.
  if (a.size() != b.size()) return false;
  for (std::size_t d = 0; d < a.size(); ++d) {
    if (a[d] != b[d]) return false;
  }
  return true;
}

}  // namespace

namespace detail {

std::string number_str(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the shortest form that reads back exactly ("0.01", not "0.01000000000000000021").
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[64];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

namespace {

template <class T>
const char* type_label() {
  return std::is_same_v<T, float> ? "float" : "double";
}

bool in_range(double v, Range range) {
  switch (range) {
    case Range::non_negative:
      return v >= 0;
    case Range::positive:
      return v > 0;
    case Range::unit_closed:
      return v >= 0 && v <= 1;
    case Range::unit_open:
      return v >= 0 && v < 1;
  }
  return false;
}

const char* range_text(Range range) {
  switch (range) {
    case Range::non_negative:
      return "a non-negative number";
    case Range::positive:
      return "a positive number";
    case Range::unit_closed:
      return "in [0, 1]";
    case Range::unit_open:
      return "in [0, 1)";
  }
  return "";
}

}  // namespace

template <class T>
void check_option(const char* who, const char* option, double value, Range range) {
  // Compared before converting: a double beyond T's range has no defined conversion.
  const bool finite = std::isfinite(value) && std::fabs(value) <= std::numeric_limits<T>::max();
  if (finite && in_range(value, range) &&
      in_range(static_cast<double>(static_cast<T>(value)), range)) {
    return;
  }
  throw DomainError(std::string(who) + ": " + option + " must be " + range_text(range) +
                    ", finite as " + type_label<T>() + ", got " + number_str(value) +
                    (finite ? std::string()
                            : std::string(" (largest finite ") + type_label<T>() + ": " +
                                  number_str(std::numeric_limits<T>::max()) + ")"));
}

#define XG_INSTANTIATE_DETAIL(T) \
  template void check_option<T>(const char*, const char*, double, Range);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE_DETAIL)

}  // namespace detail

namespace {

/// "parameter 3" or "parameter 3 ('weight')".
template <class T>
std::string describe(const Tensor<T>& p, std::size_t index) {
  std::string s = "parameter " + std::to_string(index);
  if (p.defined() && !p.name().empty()) s += " ('" + p.name() + "')";
  return s;
}

template <class T>
[[noreturn]] void throw_gradient_shape_error(const char* optimizer, const Tensor<T>& p,
                                             std::size_t i) {
  throw ShapeError(std::string(optimizer) + "::step: the gradient of " + describe(p, i) +
                   " has shape " + shape_str(p.grad().value().shape()) +
                   " but the parameter has shape " + shape_str(p.value().shape()));
}

/// ShapeError if a defined gradient's shape differs from its parameter's (checked for all
/// parameters before any is updated).
template <class T>
void check_gradients(const char* optimizer, const std::vector<Tensor<T>>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor<T>& g = params[i].grad();
    if (g.defined() && !shapes_equal(g.value().shape(), params[i].value().shape())) {
      throw_gradient_shape_error(optimizer, params[i], i);
    }
  }
}

/// Splits "exp_avg.12" into ("exp_avg", 12); false if the name has no numeric suffix.
bool split_entry(const std::string& entry, std::string& name, std::size_t& index) {
  const auto dot = entry.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == entry.size()) return false;
  const std::string digits = entry.substr(dot + 1);
  if (digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  name = entry.substr(0, dot);
  index = static_cast<std::size_t>(std::stoull(digits));
  return true;
}

}  // namespace

template <class T>
Optimizer<T>::Optimizer(std::vector<Tensor<T>> parameters, double lr, const char* name)
    : params_(std::move(parameters)), lr_(lr), name_(name) {
  detail::check_option<T>(name, "lr", lr);
  if (params_.empty()) {
    throw GraphError(std::string(name) +
                     ": got an empty parameter list (an optimizer needs a parameter to update)");
  }
  std::unordered_set<const void*> seen;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor<T>& p = params_[i];
    if (!p.defined()) throw GraphError(std::string(name) + ": " + describe(p, i) + " is undefined");
    if (!p.requires_grad()) {
      throw GraphError(std::string(name) + ": " + describe(p, i) + " of shape " +
                       shape_str(p.shape()) +
                       " does not require grad (call requires_grad_() on it, or leave it out)");
    }
    if (!p.is_leaf()) {
      throw GraphError(std::string(name) + ": " + describe(p, i) + " is the result of '" +
                       p.op_name() + "', not a leaf; only leaves can be optimized");
    }
    if (!seen.insert(p.identity()).second) {
      throw GraphError(std::string(name) + ": " + describe(p, i) +
                       " appears more than once in the parameter list");
    }
  }
}

template <class T>
void Optimizer<T>::step() {
  NoGradGuard no_grad;
  check_gradients(name_, params_);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor<T>& grad = params_[i].grad();
    if (grad.defined()) update(i, params_[i].mutable_value(), grad.value());
  }
  ++iterations_;
}

template <class T>
void Optimizer<T>::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

template <class T>
void Optimizer<T>::set_lr(double lr) {
  detail::check_option<T>("Optimizer::set_lr", "lr", lr);
  lr_ = lr;
}

template <class T>
bool Optimizer<T>::holds_state(const xt::xarray<T>& buffer, std::size_t i) const {
  return shapes_equal(buffer.shape(), params_[i].value().shape());
}

template <class T>
bool Optimizer<T>::create_if_absent(xt::xarray<T>& buffer, std::size_t i, T fill) const {
  if (holds_state(buffer, i)) return false;
  buffer = xt::xarray<T>::from_shape(params_[i].value().shape());
  std::fill(buffer.data(), buffer.data() + buffer.size(), fill);
  return true;
}

// Only called for kinds below buffer_kinds(), which is 0 here.
template <class T>
const char* Optimizer<T>::buffer_name(std::size_t) const {
  throw Error(std::string(name_) + ": has no per-parameter buffers");
}

template <class T>
const xt::xarray<T>& Optimizer<T>::buffer(std::size_t, std::size_t) const {
  throw Error(std::string(name_) + ": has no per-parameter buffers");
}

template <class T>
void Optimizer<T>::set_buffer(std::size_t, std::size_t, xt::xarray<T>) {
  throw Error(std::string(name_) + ": has no per-parameter buffers");
}

template <class T>
std::size_t Optimizer<T>::find_kind(const std::string& name) const {
  std::size_t kind = 0;
  while (kind < buffer_kinds() && name != buffer_name(kind)) ++kind;
  return kind;
}

template <class T>
StateDict<T> Optimizer<T>::state_dict() const {
  StateDict<T> state;
  if constexpr (std::numeric_limits<T>::digits < 64) {
    constexpr std::size_t exact = std::size_t(1) << std::numeric_limits<T>::digits;
    if (iterations_ > exact) {
      throw Error("Optimizer::state_dict: iterations = " + std::to_string(iterations_) +
                  " is not exactly representable in this element type (limit " +
                  std::to_string(exact) + "); keep the optimizer state in double");
    }
  }
  state.emplace("lr", xt::xarray<T>(static_cast<T>(lr_)));
  state.emplace("iterations", xt::xarray<T>(static_cast<T>(iterations_)));
  for (std::size_t kind = 0; kind < buffer_kinds(); ++kind) {
    const std::string prefix = std::string(buffer_name(kind)) + ".";
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const xt::xarray<T>& b = buffer(kind, i);
      if (holds_state(b, i)) state.emplace(prefix + std::to_string(i), b);
    }
  }
  save_extra(state);
  return state;
}

template <class T>
IncompatibleKeys Optimizer<T>::load_state_dict(const StateDict<T>& state, bool strict) {
  return restore(state, strict, "Optimizer::load_state_dict", "");
}

template <class T>
ExpectedKeys Optimizer<T>::expected_keys() const {
  ExpectedKeys expected;
  expected.required = {"lr", "iterations"};
  expected.optional = [this](const std::string& entry) {
    std::string name;
    std::size_t index = 0;
    return is_extra(entry) || (split_entry(entry, name, index) &&
                               find_kind(name) < buffer_kinds() && index < params_.size());
  };
  std::vector<std::string> names;
  for (std::size_t kind = 0; kind < buffer_kinds(); ++kind) names.push_back(buffer_name(kind));
  std::sort(names.begin(), names.end());
  expected.summary = "lr, iterations";
  for (const auto& name : names) expected.summary += ", " + name + ".<i>";
  const std::string extra = extra_summary();
  if (!names.empty() || extra.empty()) {
    expected.summary += " for i < " + std::to_string(params_.size()) + " (the parameters)";
  }
  if (!extra.empty()) expected.summary += ", " + extra;
  return expected;
}

template <class T>
IncompatibleKeys Optimizer<T>::restore(const StateDict<T>& state, bool strict,
                                       const std::string& who, const std::string& directory) {
  const std::string source = directory.empty() ? "" : " in '" + directory + "'";
  std::vector<std::string> found;
  for (const auto& [entry, array] : state) found.push_back(entry);
  IncompatibleKeys keys = match_keys(who, found, expected_keys(), strict, directory);

  // Check every entry that is loaded before changing anything.
  auto scalar_entry = [&](const char* key, double current) -> double {
    const auto it = state.find(key);
    if (it == state.end()) return current;  // only without strict
    if (it->second.dimension() != 0) {
      throw ShapeError(who + ": entry '" + key + "'" + source + " has shape " +
                       shape_str(it->second.shape()) + ", expected a 0-d array ()");
    }
    return static_cast<double>(it->second());
  };
  const double lr = scalar_entry("lr", lr_);
  const double iterations = scalar_entry("iterations", static_cast<double>(iterations_));
  detail::check_option<T>(who.c_str(), ("entry 'lr'" + source).c_str(), lr);
  if (!(iterations >= 0) || !std::isfinite(iterations) || std::floor(iterations) != iterations ||
      iterations > 9.007199254740992e15) {
    throw DomainError(who + ": entry 'iterations'" + source + " = " +
                      detail::number_str(iterations) + " is not a non-negative integer");
  }
  const std::set<std::string> skipped(keys.unexpected_keys.begin(), keys.unexpected_keys.end());
  std::vector<std::pair<std::size_t, std::size_t>> targets;  // (kind, parameter index)
  std::vector<const xt::xarray<T>*> sources;
  for (const auto& [entry, array] : state) {
    if (entry == "lr" || entry == "iterations" || skipped.count(entry) || is_extra(entry)) {
      continue;
    }
    std::string name;
    std::size_t index = 0;
    split_entry(entry, name, index);  // accepted by expected.optional
    const auto& want = params_[index].value().shape();
    if (!shapes_equal(array.shape(), want)) {
      throw ShapeError(who + ": entry '" + entry + "'" + source + " has shape " +
                       shape_str(array.shape()) + " but " + describe(params_[index], index) +
                       " has shape " + shape_str(want));
    }
    targets.emplace_back(find_kind(name), index);
    sources.push_back(&array);
  }
  check_extra(state, who + source);

  // Everything fits: replace the whole state.
  for (std::size_t kind = 0; kind < buffer_kinds(); ++kind) {
    for (std::size_t i = 0; i < params_.size(); ++i) set_buffer(kind, i, absent_buffer());
  }
  for (std::size_t k = 0; k < targets.size(); ++k) {
    set_buffer(targets[k].first, targets[k].second, *sources[k]);
  }
  commit_extra();
  lr_ = lr;
  iterations_ = static_cast<std::size_t>(iterations);
  return keys;
}

template <class T>
void Optimizer<T>::save(const std::string& directory) const {
  save_arrays<T>(directory, state_dict());
}

template <class T>
IncompatibleKeys Optimizer<T>::load(const std::string& directory, bool strict) {
  const auto names = list_arrays(directory);
  if (names.empty()) {
    throw Error("Optimizer::load: no .npy files in '" + directory + "'");
  }
  // Files this optimizer does not take are not read at all.
  IncompatibleKeys keys = match_keys("Optimizer::load", names, expected_keys(), strict, directory);
  const std::set<std::string> skipped(keys.unexpected_keys.begin(), keys.unexpected_keys.end());
  std::vector<std::string> wanted;
  for (const auto& name : names) {
    if (!skipped.count(name)) wanted.push_back(name);
  }
  restore(load_arrays<T>(directory, wanted), strict, "Optimizer::load", directory);
  return keys;
}

#define XG_INSTANTIATE(T) template class Optimizer<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
