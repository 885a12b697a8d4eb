#include "functional/prepare.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "ops/util.hpp"
#include "xgrad/engine.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::detail {

template <class T>
std::vector<Tensor<T>> differentiable_inputs(const char* op, const std::vector<Tensor<T>>& inputs,
                                             bool create_graph) {
  if (inputs.empty()) throw GraphError(std::string(op) + ": no inputs to differentiate by");
  std::vector<Tensor<T>> x;
  x.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor<T>& in = inputs[i];
    if (!in.defined()) {
      throw GraphError(std::string(op) + ": input " + std::to_string(i) + " is undefined");
    }
    if (create_graph && in.requires_grad()) {
      std::vector<std::ptrdiff_t> same;
      for (auto d : in.value().shape()) same.push_back(static_cast<std::ptrdiff_t>(d));
      x.push_back(reshape(in, same));  // torch's view_as: a node of its own, tied to `in`
    } else {
      x.push_back(in.detach().requires_grad_());
    }
  }
  return x;
}

template <class T>
std::vector<Tensor<T>> call_function(const char* op, const VectorFunction<T>& f,
                                     const std::vector<Tensor<T>>& x) {
  std::vector<Tensor<T>> out = f(x);
  if (out.empty()) throw GraphError(std::string(op) + ": the function returned no tensor");
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!out[i].defined()) {
      throw GraphError(std::string(op) + ": output " + std::to_string(i) +
                       " of the function is an undefined tensor");
    }
  }
  return out;
}

template <class T>
const Tensor<T>& scalar_output(const char* op, const std::vector<Tensor<T>>& outputs) {
  if (outputs.size() != 1) {
    throw ShapeError(std::string(op) + ": the function returned " + std::to_string(outputs.size()) +
                     " tensors; it must return one tensor with one element");
  }
  if (outputs[0].size() != 1) {
    throw ShapeError(std::string(op) + ": the function's output has shape " +
                     shape_str(outputs[0].shape()) +
                     "; it must have one element (a scalar, such as a loss)");
  }
  return outputs[0];
}

template <class T>
std::vector<Tensor<T>> checked_vectors(const char* op, const char* what,
                                       const std::vector<Tensor<T>>& v,
                                       const std::vector<Tensor<T>>& like) {
  if (v.empty()) {
    std::vector<Tensor<T>> ones;
    for (std::size_t i = 0; i < like.size(); ++i) {
      if (like[i].size() != 1) {
        throw ShapeError(std::string(op) + ": v may be left out only when every " + what +
                         " has one element, but " + what + " " + std::to_string(i) + " has shape " +
                         shape_str(like[i].shape()));
      }
      ones.push_back(Tensor<T>::ones(like[i].shape()));
    }
    return ones;
  }
  if (v.size() != like.size()) {
    throw ShapeError(std::string(op) + ": " + std::to_string(v.size()) + " vectors v for " +
                     std::to_string(like.size()) + " " + what + (like.size() == 1 ? "" : "s"));
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].defined()) {
      throw GraphError(std::string(op) + ": v[" + std::to_string(i) + "] is undefined");
    }
    if (v[i].value().shape() != like[i].value().shape()) {
      throw ShapeError(std::string(op) + ": v[" + std::to_string(i) + "] has shape " +
                       shape_str(v[i].shape()) + " but " + what + " " + std::to_string(i) +
                       " has shape " + shape_str(like[i].shape()));
    }
  }
  return v;
}

template <class T>
std::vector<Tensor<T>> grad_of_differentiable(const std::vector<Tensor<T>>& outputs,
                                              const std::vector<Tensor<T>>& inputs,
                                              const std::vector<Tensor<T>>& seeds,
                                              bool create_graph, bool retain_graph) {
  std::vector<Tensor<T>> roots, used_seeds;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].requires_grad()) continue;
    roots.push_back(outputs[i]);
    used_seeds.push_back(seeds[i]);
  }
  if (roots.empty()) return std::vector<Tensor<T>>(inputs.size());
  return grad<T>(
      roots, inputs, used_seeds,
      {.retain_graph = retain_graph, .create_graph = create_graph, .allow_unused = true});
}

template <class T>
void fill_zeros(const char* op, std::vector<Tensor<T>>& grads, const std::vector<Tensor<T>>& like,
                bool strict, const Independence& independent) {
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (grads[i].defined()) continue;
    if (strict) {
      throw GraphError(std::string(op) + ": " + independent(i) +
                       " (strict mode; without it the derivative is zeros)");
    }
    grads[i] = Tensor<T>::zeros(like[i].shape());
  }
}

template <class T>
Independence output_independent_of_input(const std::vector<Tensor<T>>& inputs) {
  return [&inputs](std::size_t i) {
    return "the function's output does not depend on input " + std::to_string(i) + " of shape " +
           shape_str(inputs[i].shape());
  };
}

template <class T>
void finish(std::vector<Tensor<T>>& results, bool create_graph) {
  if (create_graph) return;
  for (auto& r : results) {
    if (r.requires_grad()) r = r.detach();
  }
}

#define XG_INSTANTIATE(T)                                                                          \
  template std::vector<Tensor<T>> differentiable_inputs<T>(const char*,                            \
                                                           const std::vector<Tensor<T>>&, bool);   \
  template std::vector<Tensor<T>> call_function<T>(const char*, const VectorFunction<T>&,          \
                                                   const std::vector<Tensor<T>>&);                 \
  template const Tensor<T>& scalar_output<T>(const char*, const std::vector<Tensor<T>>&);          \
  template std::vector<Tensor<T>> checked_vectors<T>(                                              \
      const char*, const char*, const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&);     \
  template std::vector<Tensor<T>> grad_of_differentiable<T>(                                       \
      const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, \
      bool, bool);                                                                                 \
  template void fill_zeros<T>(const char*, std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, \
                              bool, const Independence&);                                          \
  template Independence output_independent_of_input<T>(const std::vector<Tensor<T>>&);             \
  template void finish<T>(std::vector<Tensor<T>>&, bool);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::detail
