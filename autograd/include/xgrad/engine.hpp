// The reverse-mode engine. Tensor::backward() calls it; xg::grad() is the functional form that
// returns gradients instead of accumulating them into leaves (use it for higher-order
// derivatives: it leaves no gradient holding the graph alive).
#pragma once

#include <span>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg {

/// What xg::grad() does besides computing the gradients.
struct GradOptions {
  /// Keep the tape after the pass so it can be walked again. Default: release it.
  bool retain_graph = false;
  /// Record the backward pass so the returned gradients can be differentiated again.
  bool create_graph = false;
  /// Return an undefined tensor for an input the outputs do not depend on, instead of throwing.
  bool allow_unused = false;
};

/// Gradients of sum_k <grad_outputs[k], outputs[k]> with respect to each of `inputs`.
/// grad_outputs may be empty when every output has one element (seed 1 each).
template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs,
                            const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs = {},
                            GradOptions options = {});

/// Accumulates gradients of `roots` (seeded with `seeds`) into the leaves, like
/// roots[0].backward(seeds[0]) for several roots at once.
template <class T>
void backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& seeds,
              BackwardOptions options = {});

namespace detail {
/// backward() on roots and seeds that are not in vectors (Tensor::backward's path: a training
/// step's backward allocates no list). Empty `seeds`: 1 for each one-element root.
template <class T>
void backward_roots(std::span<const Tensor<T>> roots, std::span<const Tensor<T>> seeds,
                    BackwardOptions options);
}  // namespace detail

}  // namespace xg
