// xg::checkpoint (xgrad/checkpoint.hpp): the unrecorded first run, the "checkpoint" node, and its
// rule, which replays the segment on the tape and runs a backward pass of its own through it.
#include "xgrad/checkpoint.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "checkpoint/leaf_capture.hpp"
#include "checkpoint/rng_replay.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/engine.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::detail {

namespace {

/// The segment's operations are a forward computation even when a backward rule (this one's
/// replay, an enclosing checkpoint's) runs them: observers, LeafCapture among them, hear them.
class ForwardEvents {
 public:
  ForwardEvents() : previous_(std::exchange(in_backward, false)) {}
  ~ForwardEvents() { in_backward = previous_; }
  ForwardEvents(const ForwardEvents&) = delete;
  ForwardEvents& operator=(const ForwardEvents&) = delete;

 private:
  bool previous_;
};

template <class T>
struct Segment {
  SegmentFunction<T> fn;
  RngSnapshot rng;
  std::size_t explicit_inputs = 0;
  std::vector<Shape> output_shapes;
};

template <class T>
std::vector<Tensor<T>> checked_outputs(std::vector<Tensor<T>> outs, const char* when) {
  if (outs.empty()) {
    throw GraphError(std::string("checkpoint: the segment returned no tensor ") + when);
  }
  for (std::size_t k = 0; k < outs.size(); ++k) {
    if (!outs[k].defined()) {
      throw GraphError("checkpoint: output " + std::to_string(k) +
                       " of the segment is an undefined tensor " + when);
    }
  }
  return outs;
}

/// The node's value: the one output (moved when nothing else holds it), or all of them
/// flattened one after another.
template <class T>
xt::xarray<T> node_value(std::vector<Tensor<T>>& outs) {
  if (outs.size() == 1) {
    if (NodeAccess<T>::node(outs[0]).use_count() == 1) return std::move(outs[0].mutable_value());
    return outs[0].value();
  }
  std::size_t total = 0;
  for (const auto& o : outs) total += o.size();
  xt::xarray<T> flat = xt::xarray<T>::from_shape({total});
  T* at = flat.data();
  for (const auto& o : outs) at = std::copy(o.value().data(), o.value().data() + o.size(), at);
  return flat;
}

std::vector<std::ptrdiff_t> dims(const Shape& s) {
  return std::vector<std::ptrdiff_t>(s.begin(), s.end());
}

template <class T>
class Replay {
 public:
  explicit Replay(std::shared_ptr<const Segment<T>> s) : s_(std::move(s)) {}

  void operator()(BackwardContext<T>& c) const {
    if (is_grad_enabled()) {
      throw GraphError(
          "backward of 'checkpoint': create_graph is not supported through a checkpointed "
          "segment, whose tape is not kept; take higher derivatives of that part of the model "
          "without xg::checkpoint");
    }
    const Segment<T>& s = *s_;
    const std::vector<Tensor<T>> seeds = output_grads(c.grad);
    RngReplay rng(s.rng);
    std::vector<Tensor<T>> x;
    for (std::size_t i = 0; i < s.explicit_inputs; ++i) {
      x.push_back(c.inputs[i].detach());
      if (c.needs(i)) x.back().requires_grad_();
    }
    std::vector<Tensor<T>> outs;
    {
      GradModeGuard recording(true);
      ForwardEvents forward;
      outs = checked_outputs(s.fn(x), "when replayed for backward");
    }
    if (outs.size() != s.output_shapes.size()) {
      throw GraphError("backward of 'checkpoint': the replayed segment returned " +
                       std::to_string(outs.size()) + " tensors but " +
                       std::to_string(s.output_shapes.size()) +
                       " in the forward pass; a checkpointed segment must compute the same "
                       "thing when run again");
    }
    std::vector<Tensor<T>> roots, root_seeds, wanted;
    for (std::size_t k = 0; k < outs.size(); ++k) {
      const Shape& want = s.output_shapes[k];
      if (outs[k].shape() != want) {
        throw GraphError("backward of 'checkpoint': the replayed segment's output " +
                         std::to_string(k) + " has shape " + shape_str(outs[k].shape()) +
                         " but had shape " + shape_str(want) +
                         " in the forward pass; a checkpointed segment must compute the same "
                         "thing when run again");
      }
      if (!outs[k].requires_grad()) continue;
      roots.push_back(outs[k]);
      root_seeds.push_back(seeds[k]);
    }
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
      if (!c.needs(i)) continue;
      which.push_back(i);
      wanted.push_back(i < s.explicit_inputs ? x[i] : c.inputs[i]);
    }
    if (roots.empty() || wanted.empty()) return;
    auto g = grad<T>(roots, wanted, root_seeds, {.allow_unused = true});
    for (std::size_t j = 0; j < which.size(); ++j) c.input_grads[which[j]] = std::move(g[j]);
  }

 private:
  /// The gradient of each output: the node's gradient, or its slices when the outputs were
  /// flattened into one node.
  std::vector<Tensor<T>> output_grads(const Tensor<T>& grad) const {
    const auto& shapes = s_->output_shapes;
    if (shapes.size() == 1) return {grad};
    std::vector<Tensor<T>> parts;
    std::size_t offset = 0;
    for (const Shape& shape : shapes) {
      std::size_t n = 1;
      for (auto d : shape) n *= d;
      xt::xarray<T> part = xt::xarray<T>::from_shape(shape);
      std::copy(grad.value().data() + offset, grad.value().data() + offset + n, part.data());
      parts.emplace_back(std::move(part));
      offset += n;
    }
    return parts;
  }

  std::shared_ptr<const Segment<T>> s_;
};

}  // namespace

template <class T>
std::vector<Tensor<T>> checkpoint_segment(SegmentFunction<T> fn,
                                          const std::vector<Tensor<T>>& inputs,
                                          const CheckpointOptions& options) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      throw GraphError("checkpoint: input " + std::to_string(i) + " is undefined");
    }
  }
  if (!is_grad_enabled()) return checked_outputs(fn(inputs), "");
  auto s = std::make_shared<Segment<T>>();
  s->rng = RngSnapshot::take(options);
  s->explicit_inputs = inputs.size();
  LeafCapture<T> capture(inputs);
  std::vector<Tensor<T>> outs;
  {
    NoGradGuard unrecorded;
    ForwardEvents forward;
    ObserverGuard<T> listening(capture);
    outs = checked_outputs(fn(inputs), "");
  }
  bool differentiable = !capture.leaves().empty();
  for (const auto& in : inputs) differentiable = differentiable || in.requires_grad();
  if (!differentiable) return outs;

  std::vector<Tensor<T>> node_inputs = inputs;
  node_inputs.insert(node_inputs.end(), capture.leaves().begin(), capture.leaves().end());
  for (const auto& o : outs) s->output_shapes.push_back(o.shape());
  s->fn = std::move(fn);
  xt::xarray<T> value = node_value(outs);
  const auto shapes = s->output_shapes;
  Tensor<T> node = record<T>("checkpoint", std::move(value), node_inputs, Replay<T>(std::move(s)),
                             Saves{~std::uint32_t{0}, false});
  if (shapes.size() == 1) return {node};
  std::vector<Tensor<T>> parts;
  std::size_t offset = 0;
  for (const Shape& shape : shapes) {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    parts.push_back(reshape(narrow(node, 0, offset, n), dims(shape)));
    offset += n;
  }
  return parts;
}

XG_RULE_TEXT(checkpoint,
             "out = f(inputs) run without recording; d(inputs and the leaves f read) = f run "
             "again on the tape and differentiated with g");

#define XG_INSTANTIATE(T)                                \
  template std::vector<Tensor<T>> checkpoint_segment<T>( \
      SegmentFunction<T>, const std::vector<Tensor<T>>&, const CheckpointOptions&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::detail
