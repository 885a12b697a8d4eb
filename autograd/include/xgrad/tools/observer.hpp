// Tape observers: a scoped way to watch operations being recorded and backward rules running.
//
// The engine itself knows nothing of tracing, anomaly detection or graph pictures; each of those
// is an observer installed for a scope on the current thread. With no observer installed the
// cost on the hot path is one thread-local test per operation and per backward node.
#pragma once

#include <vector>

#include "xgrad/detail/observer_hooks.hpp"
#include "xgrad/node_view.hpp"
#include "xgrad/tensor.hpp"

namespace xg {

/// Base class of everything that watches the tape. Override the events you need. A NodeView
/// passed to an event is valid during that call.
template <class T>
class TapeObserver {
 public:
  virtual ~TapeObserver() = default;

  /// An operation has produced `result` from `inputs` (called whether or not it was recorded,
  /// i.e. also under NoGradGuard and when no input requires grad).
  virtual void on_forward(const char* /*op*/, InputSpan<T> /*inputs*/,
                          const Tensor<T>& /*result*/) {}

  /// Backward is about to run the rule of `node` with `grad` = dLoss/dOutput (the sum of all
  /// contributions of its consumers).
  virtual void on_backward_begin(NodeView<T> /*node*/, const Tensor<T>& /*grad*/) {}

  /// The rule of `node` ran: input_grads[i] is the contribution sent to node.inputs()[i],
  /// already reduced to that input's shape (undefined when input i needs no gradient).
  virtual void on_backward_end(NodeView<T> /*node*/, const Tensor<T>& /*grad*/,
                               const std::vector<Tensor<T>>& /*input_grads*/) {}

  /// A leaf (or a node with retain_grad) receives its total gradient of this pass.
  virtual void on_gradient(NodeView<T> /*node*/, const Tensor<T>& /*grad*/) {}
};

/// Installs `observer` on the current thread for this scope. Observers nest: all installed ones
/// are called, the innermost last. The guard does not own the observer.
template <class T>
class ObserverGuard {
 public:
  /// Installs `observer` until the guard is destroyed; the observer must outlive the guard.
  explicit ObserverGuard(TapeObserver<T>& observer) : observer_(&observer) {
    detail::push_observer<T>(observer_);
  }
  ~ObserverGuard() { detail::pop_observer<T>(observer_); }
  ObserverGuard(const ObserverGuard&) = delete;
  ObserverGuard& operator=(const ObserverGuard&) = delete;

 private:
  TapeObserver<T>* observer_;
};

}  // namespace xg
