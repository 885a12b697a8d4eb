// The steps the functional transforms (xgrad/functional.hpp) share: the point f is called at,
// the checks of what f returns and of the vectors v, gradients of the outputs that can have one,
// and zeros where an output does not depend on an input (prepare.cpp).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "xgrad/functional.hpp"
#include "xgrad/tensor.hpp"

namespace xg::detail {

/// What f is differentiated at, as torch.autograd.functional does: for each input a copy cut
/// from the tape that requires grad; with create_graph, an input that requires grad enters
/// through a recorded identity instead, so that the results stay differentiable with respect
/// to the caller's tensor. GraphError for no inputs or an undefined one.
template <class T>
std::vector<Tensor<T>> differentiable_inputs(const char* op, const std::vector<Tensor<T>>& inputs,
                                             bool create_graph);

/// f(x); GraphError when f returns no tensor or an undefined one.
template <class T>
std::vector<Tensor<T>> call_function(const char* op, const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& x);

/// The one tensor of a function given to hessian, hvp or vhp; ShapeError unless it has one
/// element.
template <class T>
const Tensor<T>& scalar_output(const char* op, const std::vector<Tensor<T>>& outputs);

/// The vectors v that pair with `like` ("output" or "input" in messages), checked for count and
/// shapes (ShapeError). Empty v stands for ones when every tensor of `like` has one element.
template <class T>
std::vector<Tensor<T>> checked_vectors(const char* op, const char* what,
                                       const std::vector<Tensor<T>>& v,
                                       const std::vector<Tensor<T>>& like);

/// xg::grad of those `outputs` that require grad (the others have no gradient to give), seeded
/// with the matching `seeds`; an undefined entry for every input they do not reach.
template <class T>
std::vector<Tensor<T>> grad_of_differentiable(const std::vector<Tensor<T>>& outputs,
                                              const std::vector<Tensor<T>>& inputs,
                                              const std::vector<Tensor<T>>& seeds,
                                              bool create_graph, bool retain_graph);

/// Says what does not depend on what, for the i-th undefined derivative.
using Independence = std::function<std::string(std::size_t i)>;

/// Zeros of `like[i]`'s shape for each undefined grads[i]; in strict mode a GraphError with
/// `independent(i)` instead.
template <class T>
void fill_zeros(const char* op, std::vector<Tensor<T>>& grads, const std::vector<Tensor<T>>& like,
                bool strict, const Independence& independent);

/// "the function's output does not depend on input i of shape (...)".
template <class T>
Independence output_independent_of_input(const std::vector<Tensor<T>>& inputs);

/// The results as the caller gets them: cut from the tape unless create_graph.
template <class T>
void finish(std::vector<Tensor<T>>& results, bool create_graph);

}  // namespace xg::detail
