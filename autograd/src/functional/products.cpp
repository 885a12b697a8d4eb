// vjp, jvp, vhp and hvp (xgrad/functional.hpp): each a few xg::grad passes over f's tape.
#include <string>
#include <vector>

#include "functional/prepare.hpp"
#include "ops/util.hpp"
#include "xgrad/grad_mode.hpp"

namespace xg::detail {

template <class T>
FunctionalProducts<T> functional_vjp(const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& inputs,
                                     const std::vector<Tensor<T>>& v, FunctionalOptions o) {
  const char* op = "vjp";
  GradModeGuard grad_on(true);
  const auto x = differentiable_inputs(op, inputs, o.create_graph);
  auto outputs = call_function(op, f, x);
  const auto seeds = checked_vectors(op, "output", v, outputs);
  auto product = grad_of_differentiable(outputs, x, seeds, o.create_graph, o.create_graph);
  fill_zeros(op, product, x, o.strict, output_independent_of_input(x));
  finish(outputs, o.create_graph);
  finish(product, o.create_graph);
  return {std::move(outputs), std::move(product)};
}

// J v by the double-vjp trick: g(u) = J^T u is recorded for a cotangent u (zeros that require
// grad) and is linear in u, so its own vjp with v, d<g(u), v>/du, is J v.
template <class T>
FunctionalProducts<T> functional_jvp(const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& inputs,
                                     const std::vector<Tensor<T>>& v, FunctionalOptions o) {
  const char* op = "jvp";
  GradModeGuard grad_on(true);
  const auto x = differentiable_inputs(op, inputs, o.create_graph);
  const auto tangents = checked_vectors(op, "input", v, inputs);
  auto outputs = call_function(op, f, x);
  std::vector<Tensor<T>> u;
  for (const auto& y : outputs) u.push_back(Tensor<T>::zeros(y.shape(), /*requires_grad=*/true));
  const auto g = grad_of_differentiable(outputs, x, u, /*create_graph=*/true, true);
  if (o.strict) {
    std::vector<Tensor<T>> used = g;
    fill_zeros(op, used, x, true, output_independent_of_input(x));
  }
  std::vector<Tensor<T>> product;
  {
    std::vector<Tensor<T>> roots, seeds;  // the gradients that depend on u at all
    for (std::size_t k = 0; k < g.size(); ++k) {
      if (!g[k].defined() || !g[k].requires_grad()) continue;
      roots.push_back(g[k]);
      seeds.push_back(tangents[k]);
    }
    product = grad_of_differentiable(roots, u, seeds, o.create_graph, false);
  }
  fill_zeros(op, product, outputs, o.strict, [&outputs](std::size_t i) {
    return "output " + std::to_string(i) + " of shape " + shape_str(outputs[i].shape()) +
           " does not depend on the inputs";
  });
  finish(outputs, o.create_graph);
  finish(product, o.create_graph);
  return {std::move(outputs), std::move(product)};
}

namespace {

/// v^T H: the gradient of <grad f, v>.
template <class T>
FunctionalProducts<T> vector_hessian_product(const char* op, const VectorFunction<T>& f,
                                             const std::vector<Tensor<T>>& inputs,
                                             const std::vector<Tensor<T>>& v, FunctionalOptions o) {
  GradModeGuard grad_on(true);
  const auto x = differentiable_inputs(op, inputs, o.create_graph);
  const auto vectors = checked_vectors(op, "input", v, inputs);
  auto outputs = call_function(op, f, x);
  const Tensor<T>& y = scalar_output(op, outputs);
  if (o.strict && !y.requires_grad()) {
    throw GraphError(std::string(op) + ": the function's output does not depend on the inputs " +
                     "(strict mode; without it the product is zeros)");
  }
  auto g = grad_of_differentiable<T>({y}, x, {Tensor<T>::ones(y.shape())}, true, true);
  fill_zeros(op, g, x, o.strict, output_independent_of_input(x));
  std::vector<Tensor<T>> roots, seeds;  // the gradients that still depend on the inputs
  for (std::size_t k = 0; k < g.size(); ++k) {
    if (!g[k].requires_grad()) continue;
    roots.push_back(g[k]);
    seeds.push_back(vectors[k]);
  }
  auto product = grad_of_differentiable(roots, x, seeds, o.create_graph, false);
  fill_zeros(op, product, x, o.strict, [&x](std::size_t i) {
    return "the gradient does not depend on input " + std::to_string(i) + " of shape " +
           shape_str(x[i].shape());
  });
  finish(outputs, o.create_graph);
  finish(product, o.create_graph);
  return {std::move(outputs), std::move(product)};
}

}  // namespace

template <class T>
FunctionalProducts<T> functional_vhp(const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& inputs,
                                     const std::vector<Tensor<T>>& v, FunctionalOptions o) {
  return vector_hessian_product("vhp", f, inputs, v, o);
}

template <class T>
FunctionalProducts<T> functional_hvp(const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& inputs,
                                     const std::vector<Tensor<T>>& v, FunctionalOptions o) {
  return vector_hessian_product("hvp", f, inputs, v, o);  // H is symmetric (functional.hpp)
}

#define XG_INSTANTIATE(T)                                                                     \
  template FunctionalProducts<T> functional_vjp<T>(                                           \
      const VectorFunction<T>&, const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, \
      FunctionalOptions);                                                                     \
  template FunctionalProducts<T> functional_jvp<T>(                                           \
      const VectorFunction<T>&, const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, \
      FunctionalOptions);                                                                     \
  template FunctionalProducts<T> functional_vhp<T>(                                           \
      const VectorFunction<T>&, const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, \
      FunctionalOptions);                                                                     \
  template FunctionalProducts<T> functional_hvp<T>(                                           \
      const VectorFunction<T>&, const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, \
      FunctionalOptions);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::detail
