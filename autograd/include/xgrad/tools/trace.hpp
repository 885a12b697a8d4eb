// Watching the chain rule: while an xg::BackwardTrace is alive, every backward pass on this
// thread reports each node in the order the engine runs it: the operation, the incoming
// gradient dLoss/dOutput, the local derivative rule, and the contribution sent to each input;
// then every leaf's total gradient.
//
//   std::ostringstream jsonl;
//   {
//     xg::BackwardTrace<double> trace({.text = &std::cout, .json = &jsonl});
//     loss.backward();
//   }
//
// The JSON lines are one object per event (see BackwardTrace below), for tests and tools.
#pragma once

#include <cstddef>
#include <map>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "xgrad/tensor.hpp"
#include "xgrad/tools/observer.hpp"

namespace xg {

/// Where and how a BackwardTrace writes.
struct TraceOptions {
  /// Readable report (nullptr: none).
  std::ostream* text = nullptr;
  /// One JSON object per line (nullptr: none). Numbers carry full precision (%.17g for double,
  /// %.9g for float); a non-finite value is written as null.
  std::ostream* json = nullptr;
  /// The text report shows at most this many values per tensor (JSON always has all).
  std::size_t max_values = 10;
  /// Significant digits in the text report.
  int precision = 6;
  /// Derivative rules of your own operations (op name -> formula text), used before the
  /// built-in table.
  std::map<std::string, std::string> extra_rules = {};
};

/// The local derivative rule of a built-in operation as text, e.g. "mul: da = g * b, db = g * a"
/// (g = dLoss/dOutput); an empty string for an unknown (custom) operation.
std::string derivative_rule(const std::string& op);

/// Names of all operations derivative_rule knows (every operation xgrad records).
std::vector<std::string> known_rules();

/// Scoped backward trace (an ObserverGuard for its own lifetime). JSON events:
///   {"event":"backward","step":k,"node":id,"op":"relu","label":"relu","shape":[10,1],
///    "grad":[...],"rule":"...","inputs":[{"index":0,"node":id,"label":"add","op":"add",
///    "shape":[10,1],"contribution":[...]|null}]}
///   {"event":"gradient","step":k,"node":id,"label":"b","op":"leaf","shape":[1],"grad":[...]}
/// `node` numbers each tape node once per trace (in order of appearance); `label` is the
/// tensor's name when it has one, else its op name ("leaf" for unnamed leaves); `contribution`
/// is null for an input that needs no gradient. Values are in row-major order. Node numbers are
/// keyed by address, so use one trace per backward pass (a freed node's address can be reused).
template <class T>
class BackwardTrace final : public TapeObserver<T> {
 public:
  /// Starts tracing on this thread; tracing stops when the object is destroyed.
  explicit BackwardTrace(TraceOptions options = {});
  BackwardTrace(const BackwardTrace&) = delete;
  BackwardTrace& operator=(const BackwardTrace&) = delete;

  void on_backward_begin(NodeView<T> node, const Tensor<T>& grad) override;
  void on_backward_end(NodeView<T> node, const Tensor<T>& grad,
                       const std::vector<Tensor<T>>& input_grads) override;
  void on_gradient(NodeView<T> node, const Tensor<T>& grad) override;

  /// Number of events reported so far.
  std::size_t steps() const { return step_; }

 private:
  std::size_t id_of(NodeView<T> node);
  std::string rule_of(const std::string& op) const;

  TraceOptions options_;
  std::unordered_map<const void*, std::size_t> ids_;  // by NodeView::identity()
  std::size_t step_ = 0;
  ObserverGuard<T> guard_;  // last: installed once everything else is ready
};

}  // namespace xg
