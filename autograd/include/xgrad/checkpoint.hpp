// Activation checkpointing (torch.utils.checkpoint): a segment of the forward pass that keeps
// only its inputs on the tape and is computed again when backward reaches it.
//
//   auto y = xg::checkpoint([&](const xg::Tensor<float>& x) { return block(x); }, x);
//
// The function runs once without recording; the tape gets one node, "checkpoint", whose inputs
// are the segment's inputs and every leaf that requires grad the function used (a layer's
// parameters, captured by the closure). Its rule replays the function with recording on and
// sends the gradient through the replayed tape: memory for one segment's intermediates at a
// time, for the price of a second forward pass of each segment.
#pragma once

#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "xgrad/random.hpp"
#include "xgrad/tensor.hpp"

namespace xg {

struct CheckpointOptions {
  /// Replay the segment with the random numbers of its first run: the default generator's state
  /// (and that of each of `generators`) is saved before the first run and put back for the
  /// replay, then the generators continue from where they were. Dropout and RReLU masks are then
  /// the same in both runs, so the gradient is the one of the forward pass the caller saw.
  bool preserve_rng_state = true;
  /// Further generators the segment draws from (a Dropout given its own generator).
  std::vector<Generator*> generators;
};

namespace detail {

template <class T>
using SegmentFunction = std::function<std::vector<Tensor<T>>(const std::vector<Tensor<T>>&)>;

/// The checkpoint of a function of lists (autograd/src/checkpoint/), compiled for float and
/// double.
template <class T>
std::vector<Tensor<T>> checkpoint_segment(SegmentFunction<T> fn,
                                          const std::vector<Tensor<T>>& inputs,
                                          const CheckpointOptions& options);

}  // namespace detail

/// fn(input) whose intermediates are not kept: recomputed during backward (see the top of this
/// header). fn must compute the same thing when called again on the same values: a segment
/// that reads state that changes between forward and backward (other than the random
/// generators, which are replayed) gets the gradient of the replay. Without grad mode, or
/// when nothing the segment uses requires grad, this is just fn(input). Backward through a
/// checkpoint with create_graph is refused (GraphError): double backward needs the segment's
/// tape, which a checkpoint by design does not keep. A tensor that requires grad and is
/// computed outside the segment must come in through `input(s)`, not through the closure
/// (GraphError naming it otherwise); leaves (parameters) may be captured.
template <class T, class F>
requires std::invocable < F&, const Tensor<T>
& > &&std::same_as<std::remove_cvref_t<std::invoke_result_t<F&, const Tensor<T>&>>, Tensor<T>>
        Tensor<T> checkpoint(F&& fn, const Tensor<T>& input,
                             const CheckpointOptions& options = {}) {
  // A copy of fn: the replay runs during backward, after the caller's temporary is gone.
  detail::SegmentFunction<T> segment =
      [f = std::forward<F>(fn)](const std::vector<Tensor<T>>& x) mutable {
        return std::vector<Tensor<T>>{f(x.at(0))};
      };
  return detail::checkpoint_segment<T>(std::move(segment), {input}, options).at(0);
}

/// The checkpoint of a function of several tensors with several results.
template <class T, class F>
requires std::invocable < F&, const std::vector<Tensor<T>>
& > &&std::same_as<std::remove_cvref_t<std::invoke_result_t<F&, const std::vector<Tensor<T>>&>>,
                   std::vector<Tensor<T>>>
        std::vector<Tensor<T>> checkpoint(F&& fn, const std::vector<Tensor<T>>& inputs,
                                          const CheckpointOptions& options = {}) {
  detail::SegmentFunction<T> segment =
      [f = std::forward<F>(fn)](const std::vector<Tensor<T>>& x) mutable { return f(x); };
  return detail::checkpoint_segment<T>(std::move(segment), inputs, options);
}

}  // namespace xg
