// Functional transforms in the manner of torch.autograd.functional: derivatives of a function
// f at a point, returned instead of accumulated into leaves.
//
//   auto f = [](const xg::Tensor<double>& x) { return xg::softmax(x, 0); };
//   xg::Tensor<double> J = xg::jacobian(f, x);          // shape out.shape + in.shape
//   auto [y, jv] = xg::jvp(f, x, v);                    // f(x) and J v
//
// f takes one tensor or a std::vector of tensors and returns one tensor or a std::vector; the
// results follow the same structure (see each function). f is called once, in grad mode, on
// copies of the inputs cut from the tape; an input f does not use gets zeros. Without
// create_graph every result is a constant; with it the results are recorded and stay
// differentiable, also with respect to the caller's inputs that require grad.
//
// A braced list of inputs does not deduce the element type: name it, xg::vjp<double>(f, {a, b},
// {v}), or pass a std::vector.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg {

/// What the functional transforms do besides computing the derivative.
struct FunctionalOptions {
  /// Record the computation so that the results can be differentiated again (then f's output is
  /// returned on the tape too). Default: results and output are constants.
  bool create_graph = false;
  /// Throw GraphError when an output does not depend on an input (torch's strict = True),
  /// instead of giving zeros.
  bool strict = false;
};

/// f's output and a derivative product (vjp, jvp, hvp, vhp): `auto [y, vj] = xg::vjp(f, x, v);`
template <class Output, class Product>
struct OutputAndProduct {
  Output output;
  Product product;
};

namespace detail {

template <class T>
using VectorFunction = std::function<std::vector<Tensor<T>>(const std::vector<Tensor<T>>&)>;

template <class T>
struct FunctionalProducts {
  std::vector<Tensor<T>> outputs;
  std::vector<Tensor<T>> product;
};

// The transforms on lists of tensors, compiled for float and double (autograd/src/functional/).
template <class T>
FunctionalProducts<T> functional_vjp(const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& inputs,
                                     const std::vector<Tensor<T>>& v, FunctionalOptions options);
template <class T>
FunctionalProducts<T> functional_jvp(const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& inputs,
                                     const std::vector<Tensor<T>>& v, FunctionalOptions options);
template <class T>
FunctionalProducts<T> functional_vhp(const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& inputs,
                                     const std::vector<Tensor<T>>& v, FunctionalOptions options);
template <class T>
FunctionalProducts<T> functional_hvp(const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& inputs,
                                     const std::vector<Tensor<T>>& v, FunctionalOptions options);
/// [output][input] blocks of shape output.shape + input.shape.
template <class T>
std::vector<std::vector<Tensor<T>>> functional_jacobian(const VectorFunction<T>& f,
                                                        const std::vector<Tensor<T>>& inputs,
                                                        FunctionalOptions options);
/// [input][input] blocks of shape input_i.shape + input_j.shape.
template <class T>
std::vector<std::vector<Tensor<T>>> functional_hessian(const VectorFunction<T>& f,
                                                       const std::vector<Tensor<T>>& inputs,
                                                       FunctionalOptions options);

/// What f returns when called with `In` (a Tensor<T> or a std::vector<Tensor<T>>).
template <class F, class In>
using result_of_t = std::remove_cvref_t<std::invoke_result_t<F&, const In&>>;

template <class T, class S>
inline constexpr bool is_tensor_structure_v =
    std::is_same_v<S, Tensor<T>> || std::is_same_v<S, std::vector<Tensor<T>>>;

/// f can be called with In and returns a tensor or a vector of tensors.
template <class F, class T, class In>
concept TensorFunctionOf =
    std::invocable<F&, const In&> && is_tensor_structure_v<T, result_of_t<F, In>>;

template <class T>
std::vector<Tensor<T>> as_list(const Tensor<T>& t) {
  return {t};
}
template <class T>
const std::vector<Tensor<T>>& as_list(const std::vector<Tensor<T>>& v) {
  return v;
}

/// The list `v` as the structure S: its one element for a Tensor.
template <class S, class T>
S as_structure(std::vector<Tensor<T>>&& v) {
  if constexpr (std::is_same_v<S, Tensor<T>>) {
    return std::move(v.at(0));
  } else {
    return std::move(v);
  }
}

/// f as a function of lists; valid while f lives (the transforms call it before returning).
template <class T, class In, class F>
VectorFunction<T> as_vector_function(F& f) {
  return [&f](const std::vector<Tensor<T>>& x) -> std::vector<Tensor<T>> {
    auto call = [&]() -> decltype(auto) {
      if constexpr (std::is_same_v<In, Tensor<T>>) {
        return std::invoke(f, x.at(0));
      } else {
        return std::invoke(f, x);
      }
    };
    if constexpr (std::is_same_v<result_of_t<F, In>, Tensor<T>>) {
      return {call()};
    } else {
      return call();
    }
  };
}

/// The Jacobian's structure: a tensor for one input and one output, a vector over the inputs
/// or over the outputs when only one side is a list, [output][input] when both are.
template <class T, class Out, class In>
auto jacobian_structure(std::vector<std::vector<Tensor<T>>>&& j) {
  constexpr bool one_out = std::is_same_v<Out, Tensor<T>>;
  constexpr bool one_in = std::is_same_v<In, Tensor<T>>;
  if constexpr (one_out && one_in) {
    return std::move(j.at(0).at(0));
  } else if constexpr (one_out) {
    return std::move(j.at(0));
  } else if constexpr (one_in) {
    std::vector<Tensor<T>> per_output;
    for (auto& row : j) per_output.push_back(std::move(row.at(0)));
    return per_output;
  } else {
    return std::move(j);
  }
}

/// A vector v as a list; an undefined tensor stands for "omitted" (ones, for one-element
/// tensors).
template <class T>
std::vector<Tensor<T>> vectors_of(const Tensor<T>& v) {
  return v.defined() ? std::vector<Tensor<T>>{v} : std::vector<Tensor<T>>{};
}
template <class T>
const std::vector<Tensor<T>>& vectors_of(const std::vector<Tensor<T>>& v) {
  return v;
}

template <class T, class In, class F>
auto vjp_of(F& f, const In& inputs, const result_of_t<F, In>& v, FunctionalOptions o) {
  using Out = result_of_t<F, In>;
  auto r = functional_vjp<T>(as_vector_function<T, In>(f), as_list(inputs), vectors_of(v), o);
  return OutputAndProduct<Out, In>{as_structure<Out>(std::move(r.outputs)),
                                   as_structure<In>(std::move(r.product))};
}

template <class T, class In, class F>
auto jvp_of(F& f, const In& inputs, const In& v, FunctionalOptions o) {
  using Out = result_of_t<F, In>;
  auto r = functional_jvp<T>(as_vector_function<T, In>(f), as_list(inputs), vectors_of(v), o);
  return OutputAndProduct<Out, Out>{as_structure<Out>(std::move(r.outputs)),
                                    as_structure<Out>(std::move(r.product))};
}

template <class T, class In, class F>
auto second_order_product_of(bool hessian_times_v, F& f, const In& inputs, const In& v,
                             FunctionalOptions o) {
  static_assert(std::is_same_v<result_of_t<F, In>, Tensor<T>>,
                "xg::hvp / xg::vhp: f must return one tensor (with one element)");
  auto g = as_vector_function<T, In>(f);
  auto r = hessian_times_v ? functional_hvp<T>(g, as_list(inputs), vectors_of(v), o)
                           : functional_vhp<T>(g, as_list(inputs), vectors_of(v), o);
  return OutputAndProduct<Tensor<T>, In>{std::move(r.outputs.at(0)),
                                         as_structure<In>(std::move(r.product))};
}

template <class T, class In, class F>
auto hessian_of(F& f, const In& inputs, FunctionalOptions o) {
  static_assert(std::is_same_v<result_of_t<F, In>, Tensor<T>>,
                "xg::hessian: f must return one tensor (with one element)");
  auto h = functional_hessian<T>(as_vector_function<T, In>(f), as_list(inputs), o);
  return jacobian_structure<T, In, In>(std::move(h));  // [i][j] blocks over the inputs
}

}  // namespace detail

/// f(inputs) and the vector-Jacobian product v^T J: for each input, the gradient of
/// sum_k <v_k, f(inputs)_k>. v has f's output structure and shapes; it may be left out (an
/// undefined tensor or an empty vector) when every output has one element. Cost: one forward
/// and one reverse pass.
template <class T, class F>
requires detail::TensorFunctionOf<F, T, Tensor<T>>
auto vjp(F&& f, const Tensor<T>& input, const detail::result_of_t<F, Tensor<T>>& v = {},
         FunctionalOptions options = {}) {
  return detail::vjp_of<T>(f, input, v, options);
}
template <class T, class F>
requires detail::TensorFunctionOf<F, T, std::vector<Tensor<T>>>
auto vjp(F&& f, const std::vector<Tensor<T>>& inputs,
         const detail::result_of_t<F, std::vector<Tensor<T>>>& v = {},
         FunctionalOptions options = {}) {
  return detail::vjp_of<T>(f, inputs, v, options);
}

/// f(inputs) and the Jacobian-vector product J v (f's output structure); v has the inputs'
/// structure and shapes and may be left out when every input has one element. By the
/// double-vjp trick, as torch.autograd.functional.jvp: one forward pass and two reverse passes
/// (the first recorded, linear in a dummy cotangent u; the second differentiates it by u).
template <class T, class F>
requires detail::TensorFunctionOf<F, T, Tensor<T>>
auto jvp(F&& f, const Tensor<T>& input, const Tensor<T>& v = {}, FunctionalOptions options = {}) {
  return detail::jvp_of<T>(f, input, v, options);
}
template <class T, class F>
requires detail::TensorFunctionOf<F, T, std::vector<Tensor<T>>>
auto jvp(F&& f, const std::vector<Tensor<T>>& inputs, const std::vector<Tensor<T>>& v = {},
         FunctionalOptions options = {}) {
  return detail::jvp_of<T>(f, inputs, v, options);
}

/// The Jacobian: for output y and input x a tensor of shape y.shape + x.shape with
/// J[i..., j...] = d y[i...] / d x[j...]. One tensor for one input and one output; a vector over
/// the inputs (or the outputs) when only that side is a list; [output][input] when both are.
/// Cost: one forward pass and one reverse pass per output element.
template <class T, class F>
requires detail::TensorFunctionOf<F, T, Tensor<T>>
auto jacobian(F&& f, const Tensor<T>& input, FunctionalOptions options = {}) {
  using Out = detail::result_of_t<F, Tensor<T>>;
  return detail::jacobian_structure<T, Out, Tensor<T>>(detail::functional_jacobian<T>(
      detail::as_vector_function<T, Tensor<T>>(f), {input}, options));
}
template <class T, class F>
requires detail::TensorFunctionOf<F, T, std::vector<Tensor<T>>>
auto jacobian(F&& f, const std::vector<Tensor<T>>& inputs, FunctionalOptions options = {}) {
  using In = std::vector<Tensor<T>>;
  using Out = detail::result_of_t<F, In>;
  return detail::jacobian_structure<T, Out, In>(
      detail::functional_jacobian<T>(detail::as_vector_function<T, In>(f), inputs, options));
}

/// The Hessian of f, which returns one one-element tensor (a loss): for inputs x_i and x_j a
/// tensor of shape x_i.shape + x_j.shape; one tensor for one input, [i][j] for a list. The
/// gradient is computed with create_graph, then differentiated once per element (one reverse
/// pass each through the recorded backward pass).
template <class T, class F>
requires detail::TensorFunctionOf<F, T, Tensor<T>>
auto hessian(F&& f, const Tensor<T>& input, FunctionalOptions options = {}) {
  return detail::hessian_of<T>(f, input, options);
}
template <class T, class F>
requires detail::TensorFunctionOf<F, T, std::vector<Tensor<T>>>
auto hessian(F&& f, const std::vector<Tensor<T>>& inputs, FunctionalOptions options = {}) {
  return detail::hessian_of<T>(f, inputs, options);
}

/// f(inputs) (one one-element tensor) and v^T H, of the inputs' structure: the gradient of
/// <grad f, v> (reverse over reverse: one forward and two reverse passes).
template <class T, class F>
requires detail::TensorFunctionOf<F, T, Tensor<T>>
auto vhp(F&& f, const Tensor<T>& input, const Tensor<T>& v = {}, FunctionalOptions options = {}) {
  return detail::second_order_product_of<T>(false, f, input, v, options);
}
template <class T, class F>
requires detail::TensorFunctionOf<F, T, std::vector<Tensor<T>>>
auto vhp(F&& f, const std::vector<Tensor<T>>& inputs, const std::vector<Tensor<T>>& v = {},
         FunctionalOptions options = {}) {
  return detail::second_order_product_of<T>(false, f, inputs, v, options);
}

/// f(inputs) and H v. The Hessian of a twice continuously differentiable f is symmetric, so
/// H v = (v^T H)^T is computed as vhp is, in one forward and two reverse passes (PyTorch's hvp
/// takes a third pass, the double-vjp trick, to be exact also where f is not twice
/// continuously differentiable: at a kink of relu, abs or max).
template <class T, class F>
requires detail::TensorFunctionOf<F, T, Tensor<T>>
auto hvp(F&& f, const Tensor<T>& input, const Tensor<T>& v = {}, FunctionalOptions options = {}) {
  return detail::second_order_product_of<T>(true, f, input, v, options);
}
template <class T, class F>
requires detail::TensorFunctionOf<F, T, std::vector<Tensor<T>>>
auto hvp(F&& f, const std::vector<Tensor<T>>& inputs, const std::vector<Tensor<T>>& v = {},
         FunctionalOptions options = {}) {
  return detail::second_order_product_of<T>(true, f, inputs, v, options);
}

}  // namespace xg
