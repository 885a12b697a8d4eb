// jacobian and hessian (xgrad/functional.hpp): one reverse pass per element of f's output (of
// f's gradient, for the Hessian), each seeded with that element's one-hot vector.
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <xtensor/xbuilder.hpp>

#include "functional/prepare.hpp"
#include "ops/util.hpp"
#include "xgrad/engine.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::detail {

namespace {

template <class T>
std::vector<std::ptrdiff_t> joined_shape(const Tensor<T>& a, const Tensor<T>& b) {
  std::vector<std::ptrdiff_t> s;
  for (auto d : a.value().shape()) s.push_back(static_cast<std::ptrdiff_t>(d));
  for (auto d : b.value().shape()) s.push_back(static_cast<std::ptrdiff_t>(d));
  return s;
}

template <class T>
Tensor<T> zeros_of_shape(const std::vector<std::ptrdiff_t>& shape) {
  return Tensor<T>::zeros(Shape(shape.begin(), shape.end()));
}

/// The blocks d ys[i] / d x[k], [i][k], of shape ys[i].shape + x[k].shape: row j of a block is
/// the gradient of element j of ys[i]. `subject` names the ys in messages ("output").
template <class T>
std::vector<std::vector<Tensor<T>>> jacobian_blocks(const char* op,
                                                    const std::vector<Tensor<T>>& ys,
                                                    const std::vector<Tensor<T>>& x,
                                                    FunctionalOptions o, const char* subject) {
  std::vector<std::vector<Tensor<T>>> blocks(ys.size());
  for (std::size_t i = 0; i < ys.size(); ++i) {
    const Tensor<T>& y = ys[i];
    auto name = [&] {
      return std::string(subject) + " " + std::to_string(i) + " of shape " + shape_str(y.shape());
    };
    if (!y.requires_grad()) {
      if (o.strict) {
        throw GraphError(std::string(op) + ": " + name() +
                         " does not depend on the inputs (strict mode; without it the "
                         "derivative is zeros)");
      }
      for (const auto& xk : x) blocks[i].push_back(zeros_of_shape<T>(joined_shape(y, xk)));
      continue;
    }
    const std::size_t n = y.size();
    std::vector<xt::xarray<T>> values;                   // without create_graph: written row by row
    std::vector<std::vector<Tensor<T>>> rows(x.size());  // with it: stacked at the end
    if (!o.create_graph) {
      for (const auto& xk : x) {
        const auto shape = joined_shape(y, xk);
        values.push_back(zeros_of_shape<T>(shape).value());
      }
    }
    for (std::size_t j = 0; j < n; ++j) {
      xt::xarray<T> one_hot = xt::zeros<T>(y.value().shape());
      one_hot.data()[j] = T(1);
      const auto g =
          grad<T>({y}, x, {Tensor<T>(std::move(one_hot))},
                  {.retain_graph = true, .create_graph = o.create_graph, .allow_unused = true});
      for (std::size_t k = 0; k < x.size(); ++k) {
        if (!g[k].defined() && o.strict) {
          throw GraphError(std::string(op) + ": element " + std::to_string(j) + " of " + name() +
                           " does not depend on input " + std::to_string(k) + " of shape " +
                           shape_str(x[k].shape()) +
                           " (strict mode; without it the derivative is zeros)");
        }
        if (o.create_graph) {
          rows[k].push_back(g[k].defined() ? g[k] : Tensor<T>::zeros(x[k].shape()));
        } else if (g[k].defined()) {
          const auto& row = g[k].value();
          std::copy(row.data(), row.data() + row.size(), values[k].data() + j * row.size());
        }
      }
    }
    for (std::size_t k = 0; k < x.size(); ++k) {
      const auto shape = joined_shape(y, x[k]);
      if (!o.create_graph) {
        blocks[i].push_back(Tensor<T>(std::move(values[k])));
      } else if (n == 0) {
        blocks[i].push_back(zeros_of_shape<T>(shape));
      } else {
        blocks[i].push_back(reshape(stack(rows[k], 0), shape));
      }
    }
  }
  return blocks;
}

template <class T>
void finish_blocks(std::vector<std::vector<Tensor<T>>>& blocks, bool create_graph) {
  for (auto& row : blocks) finish(row, create_graph);
}

}  // namespace

template <class T>
std::vector<std::vector<Tensor<T>>> functional_jacobian(const VectorFunction<T>& f,
                                                        const std::vector<Tensor<T>>& inputs,
                                                        FunctionalOptions o) {
  const char* op = "jacobian";
  GradModeGuard grad_on(true);
  const auto x = differentiable_inputs(op, inputs, o.create_graph);
  const auto outputs = call_function(op, f, x);
  auto blocks = jacobian_blocks(op, outputs, x, o, "output");
  finish_blocks(blocks, o.create_graph);
  return blocks;
}

// The Jacobian of the gradient, which is computed with create_graph so that it can be
// differentiated: one reverse pass per element through the recorded backward pass.
template <class T>
std::vector<std::vector<Tensor<T>>> functional_hessian(const VectorFunction<T>& f,
                                                       const std::vector<Tensor<T>>& inputs,
                                                       FunctionalOptions o) {
  const char* op = "hessian";
  GradModeGuard grad_on(true);
  const auto x = differentiable_inputs(op, inputs, o.create_graph);
  const auto outputs = call_function(op, f, x);
  const Tensor<T>& y = scalar_output(op, outputs);
  if (o.strict && !y.requires_grad()) {
    throw GraphError(std::string(op) + ": the function's output does not depend on the inputs " +
                     "(strict mode; without it the Hessian is zeros)");
  }
  auto g = grad_of_differentiable<T>({y}, x, {Tensor<T>::ones(y.shape())}, true, true);
  fill_zeros(op, g, x, o.strict, output_independent_of_input(x));
  auto blocks = jacobian_blocks(op, g, x, o, "the gradient for input");
  finish_blocks(blocks, o.create_graph);
  return blocks;
}

#define XG_INSTANTIATE(T)                                                          \
  template std::vector<std::vector<Tensor<T>>> functional_jacobian<T>(             \
      const VectorFunction<T>&, const std::vector<Tensor<T>>&, FunctionalOptions); \
  template std::vector<std::vector<Tensor<T>>> functional_hessian<T>(              \
      const VectorFunction<T>&, const std::vector<Tensor<T>>&, FunctionalOptions);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::detail
