// Anomaly mode: a scoped guard that turns the first NaN or Inf of a forward value or a backward
// gradient into an exception naming the operation, its shapes and where the node was created.
//
//   {
//     xg::DetectAnomaly<float> anomaly;   // this thread, this scope
//     auto loss = model(x) ...;           // a NaN/Inf forward value throws AnomalyError here
//     loss.backward();                    // a NaN/Inf gradient throws AnomalyError here
//   }
//
// It is a TapeObserver: with no guard alive nothing is checked and nothing is remembered. While
// a guard is alive every operation's result is scanned and every recorded node gets a creation
// description (sequence number, expression down to named leaves, optionally a call stack), so
// expect forward and backward to run noticeably slower: it is a debugging tool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "xgrad/errors.hpp"
#include "xgrad/tools/observer.hpp"

namespace xg {

/// A NaN or Inf found by DetectAnomaly.
class AnomalyError : public Error {
 public:
  using Error::Error;
};

struct AnomalyOptions {
  /// Record the call stack of every operation (symbolised only when reporting). Function names
  /// of the executable itself appear when it is linked with -rdynamic.
  bool backtrace = true;
  /// How many levels of inputs the creation description shows before "...".
  std::size_t depth = 6;
};

template <class T>
class DetectAnomaly final : public TapeObserver<T> {
 public:
  explicit DetectAnomaly(AnomalyOptions options = {});
  DetectAnomaly(const DetectAnomaly&) = delete;
  DetectAnomaly& operator=(const DetectAnomaly&) = delete;

  void on_forward(const char* op, InputSpan<T> inputs, const Tensor<T>& result) override;
  void on_backward_begin(NodeView<T> node, const Tensor<T>& grad) override;
  void on_backward_end(NodeView<T> node, const Tensor<T>& grad,
                       const std::vector<Tensor<T>>& input_grads) override;
  void on_gradient(NodeView<T> node, const Tensor<T>& grad) override;

  /// "#12 sigmoid(add(matmul(input, 0.weight), 0.bias))" plus the call stack when recorded, for
  /// a node recorded while this guard was alive; "(created before anomaly mode)" otherwise.
  std::string origin(NodeView<T> node) const;
  /// Creation records held for live nodes (dead nodes' records are pruned as the tape grows).
  std::size_t tracked() const { return origins_.size(); }

 private:
  struct Origin {
    std::weak_ptr<const void> node;  // weak: anomaly mode must not keep graphs alive
    std::uint64_t seq = 0;
    std::string expression;
    std::vector<void*> frames;
  };
  void prune();

  AnomalyOptions options_;
  std::unordered_map<const void*, Origin> origins_;  // by NodeView::identity()
  std::uint64_t next_seq_ = 0;
  std::size_t prune_at_ = 1024;
  ObserverGuard<T> guard_;  // last: installed once everything above is ready
};

}  // namespace xg
