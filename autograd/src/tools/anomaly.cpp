// Anomaly mode (see anomaly.hpp).
#include "xgrad/tools/anomaly.hpp"

#include <cxxabi.h>
#include <execinfo.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "xgrad/detail/instantiate.hpp"

namespace xg {

namespace {

constexpr int kMaxFrames = 24;
constexpr std::size_t kMaxArgs = 4;  // wider inputs lists are cut with "..."

/// Index of the first NaN or Inf in `a`, or a.size() if all are finite.
template <class T>
std::size_t first_non_finite(const xt::xarray<T>& a) {
  const T* p = a.data();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(p[i])) return i;
  }
  return a.size();
}

template <class T>
std::string kind_of(T v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

/// "NaN at element 3 of (2, 4)" for the first non-finite value, "" if all are finite.
template <class T>
std::string non_finite(const Tensor<T>& t) {
  if (!t.defined()) return "";
  const auto& v = t.value();
  const std::size_t i = first_non_finite(v);
  if (i == v.size()) return "";
  return kind_of(v.data()[i]) + " at element " + std::to_string(i) + " of " + shape_str(v.shape());
}

template <class T>
std::string shapes_of(InputSpan<T> ts) {
  std::string s;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (i) s += ", ";
    s += ts[i].defined() ? shape_str(ts[i].value().shape()) : std::string("undefined");
  }
  return s;
}

/// A named tensor by its name, a leaf by its shape, an operation result as op(inputs...).
template <class T>
std::string describe(const Tensor<T>& t, std::size_t depth);

template <class T>
std::string describe_call(const char* op, InputSpan<T> inputs, std::size_t depth) {
  std::string s = std::string(op) + "(";
  if (depth == 0) return s + "...)";
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i) s += ", ";
    if (i == kMaxArgs) {
      s += "...";
      break;
    }
    s += describe(inputs[i], depth - 1);
  }
  return s + ")";
}

template <class T>
std::string describe(const Tensor<T>& t, std::size_t depth) {
  if (!t.defined()) return "undefined";
  const NodeView<T> n(t);
  if (!n.name().empty()) return n.name();
  if (n.is_leaf()) return (n.requires_grad() ? "leaf" : "tensor") + shape_str(n.value().shape());
  return describe_call<T>(n.op_name(), n.inputs(), depth);
}

/// The caller's stack without the observer machinery (on_forward and notify_forward): it starts
/// at xg::record inside the operation the user called.
[[gnu::noinline]] std::vector<void*> call_stack() {
  constexpr int kSkipped = 3;  // call_stack, on_forward, notify_forward
  std::vector<void*> frames(kMaxFrames + kSkipped);
  const int n = backtrace(frames.data(), kMaxFrames + kSkipped);
  frames.resize(static_cast<std::size_t>(std::max(n, kSkipped)));
  frames.erase(frames.begin(), frames.begin() + kSkipped);
  return frames;
}

/// One line per frame, demangled where the symbol is known.
std::string symbolise(const std::vector<void*>& frames) {
  std::string out;
  char** symbols = backtrace_symbols(frames.data(), static_cast<int>(frames.size()));
  if (symbols == nullptr) return out;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    std::string line = symbols[i];
    // glibc's format: "binary(mangled+0x1f) [0xaddr]".
    const auto open = line.find('(');
    const auto plus = line.find('+', open == std::string::npos ? 0 : open);
    if (open != std::string::npos && plus != std::string::npos && plus > open + 1) {
      const std::string mangled = line.substr(open + 1, plus - open - 1);
      int status = 0;
      char* name = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
      if (status == 0 && name != nullptr) line = std::string(name) + "  [" + line + "]";
      std::free(name);
    }
    out += "\n    " + line;
  }
  std::free(symbols);
  return out;
}

}  // namespace

template <class T>
DetectAnomaly<T>::DetectAnomaly(AnomalyOptions options) : options_(options), guard_(*this) {}

template <class T>
void DetectAnomaly<T>::prune() {
  for (auto it = origins_.begin(); it != origins_.end();) {
    it = it->second.node.expired() ? origins_.erase(it) : std::next(it);
  }
  prune_at_ = std::max<std::size_t>(1024, 2 * origins_.size());
}

template <class T>
std::string DetectAnomaly<T>::origin(NodeView<T> node) const {
  auto it = origins_.find(node.identity());
  // The address of a dead node may be reused: the record counts only if it is this node's.
  if (it == origins_.end() || it->second.node.lock().get() != node.identity()) {
    return "(created before anomaly mode)";
  }
  std::string s = "#";
  s += std::to_string(it->second.seq);
  s += ' ';
  s += it->second.expression;
  if (!it->second.frames.empty()) s += "\n  created at:" + symbolise(it->second.frames);
  return s;
}

template <class T>
void DetectAnomaly<T>::on_forward(const char* op, InputSpan<T> inputs, const Tensor<T>& result) {
  const std::uint64_t seq = next_seq_++;
  const std::string bad = non_finite(result);
  if (!bad.empty()) {
    std::string msg = "anomaly: forward of '" + std::string(op) + "' produced " + bad +
                      "; input shapes " + shapes_of(inputs) + " -> output " +
                      shape_str(result.value().shape());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::string in_bad = non_finite(inputs[i]);
      if (!in_bad.empty()) msg += "; input " + std::to_string(i) + " already holds " + in_bad;
    }
    msg +=
        "; operation #" + std::to_string(seq) + " " + describe_call<T>(op, inputs, options_.depth);
    if (options_.backtrace) {
      msg += "\n  called at:" + symbolise(call_stack());
    }
    throw AnomalyError(msg);
  }
  const auto& node = detail::NodeAccess<T>::node(result);
  if (node == nullptr || node->is_leaf()) return;  // not on the tape: backward never sees it
  Origin o;
  o.node = node;
  o.seq = seq;
  o.expression = describe_call<T>(op, inputs, options_.depth);
  if (options_.backtrace) o.frames = call_stack();
  origins_[result.identity()] = std::move(o);
  if (origins_.size() >= prune_at_) prune();
}

template <class T>
void DetectAnomaly<T>::on_backward_begin(NodeView<T> node, const Tensor<T>& grad) {
  const std::string bad = non_finite(grad);
  if (bad.empty()) return;
  throw AnomalyError("anomaly: the gradient arriving at '" + std::string(node.op_name()) +
                     "' (output " + shape_str(node.value().shape()) + ", input shapes " +
                     shapes_of(node.inputs()) + ") holds " + bad +
                     ", before its backward ran; node " + origin(node));
}

template <class T>
void DetectAnomaly<T>::on_backward_end(NodeView<T> node, const Tensor<T>& grad,
                                       const std::vector<Tensor<T>>& input_grads) {
  for (std::size_t i = 0; i < input_grads.size(); ++i) {
    const std::string bad = non_finite(input_grads[i]);
    if (bad.empty()) continue;
    const std::string in_name =
        i < node.inputs().size() ? describe(node.inputs()[i], 0) : std::string("?");
    throw AnomalyError("anomaly: backward of '" + std::string(node.op_name()) + "' produced " +
                       bad + " in the gradient of input " + std::to_string(i) + " (" + in_name +
                       "); input shapes " + shapes_of(node.inputs()) + " -> output " +
                       shape_str(node.value().shape()) + ", incoming gradient " +
                       (non_finite(grad).empty() ? "finite" : non_finite(grad)) + "; node " +
                       origin(node));
  }
}

template <class T>
void DetectAnomaly<T>::on_gradient(NodeView<T> node, const Tensor<T>& grad) {
  const std::string bad = non_finite(grad);
  if (bad.empty()) return;
  const std::string who = node.name().empty() ? "a leaf of shape " + shape_str(node.value().shape())
                                              : "'" + node.name() + "'";
  throw AnomalyError(
      "anomaly: the total gradient of " + who + " holds " + bad +
      " (no single contribution checked so far was: their sum overflowed, or the seed was not "
      "finite)");
}

#define XG_INSTANTIATE(T) template class DetectAnomaly<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
