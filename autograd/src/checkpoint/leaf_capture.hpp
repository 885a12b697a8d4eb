// What a checkpointed segment differentiates by besides its inputs: the leaves that require
// grad its operations read (parameters captured by the closure), heard as an observer of the
// segment's unrecorded first run.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "ops/util.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/tools/observer.hpp"

namespace xg::detail {

template <class T>
class LeafCapture final : public TapeObserver<T> {
 public:
  explicit LeafCapture(const std::vector<Tensor<T>>& inputs) {
    for (const auto& in : inputs) known_.insert(NodeAccess<T>::get(in));
  }

  /// Under NoGradGuard nothing made inside the segment requires grad: an input that does came
  /// from outside. A leaf is a parameter; anything else has a tape of its own the checkpoint
  /// node would have to be connected to, so it must be passed as an input.
  void on_forward(const char* op, InputSpan<T> inputs, const Tensor<T>& /*result*/) override {
    for (const auto& in : inputs) {
      if (!in.requires_grad()) continue;
      const Node<T>* n = NodeAccess<T>::get(in);
      if (!known_.insert(n).second) continue;
      if (!in.is_leaf()) {
        throw GraphError(std::string("checkpoint: '") + op + "' inside the segment reads " +
                         describe(in) +
                         ", which requires grad and was computed outside the segment; pass it "
                         "to xg::checkpoint as an input so that its gradient flows back");
      }
      leaves_.push_back(in);
    }
  }

  const std::vector<Tensor<T>>& leaves() const { return leaves_; }

 private:
  static std::string describe(const Tensor<T>& t) {
    std::string s = "the result of '" + std::string(t.op_name()) + "'";
    if (!t.name().empty()) s += " named '" + t.name() + "'";
    return s + " of shape " + shape_str(t.shape());
  }

  std::unordered_set<const Node<T>*> known_;
  std::vector<Tensor<T>> leaves_;
};

}  // namespace xg::detail
