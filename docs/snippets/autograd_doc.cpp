// The code of docs/autograd.md, compiled and run by ctest (docs.snippet.autograd_doc).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>

#include "ice_cream_data.hpp"
#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"

namespace xg::docs_example {
// The library's recording of mul, under another name.
// snippet-begin: mul
template <class T>
Tensor<T> times(const Tensor<T>& a, const Tensor<T>& b) {
  return record<T>("times", a.value() * b.value(), {a, b}, [](BackwardContext<T>& c) {
    if (c.needs(0)) c.input_grads[0] = times(c.grad, c.inputs[1]);
    if (c.needs(1)) c.input_grads[1] = times(c.grad, c.inputs[0]);
  });
}
// snippet-end: mul
}  // namespace xg::docs_example

// snippet-begin: swish
// swish(x) = x * sigmoid(x); swish' = s + x s (1 - s)
xg::Tensor<double> swish(const xg::Tensor<double>& x) {
  xt::xarray<double> s = 1.0 / (1.0 + xt::exp(-x.value()));
  return xg::record<double>("swish", x.value() * s, {x}, [](xg::BackwardContext<double>& c) {
    auto s = xg::sigmoid(c.inputs[0]);
    c.input_grads[0] = c.grad * (s + c.inputs[0] * s * (1.0 - s));
  });
}
// snippet-end: swish

int main() {
  {
    // snippet-begin: tensors
    using Tn = xg::Tensor<double>;
    Tn w = Tn::from({2, 2}, {1, 2, 3, 4}, /*requires_grad=*/true);  // a parameter
    Tn x = Tn::ones({5, 2});                                        // data: no gradient
    Tn s = Tn::scalar(0.5);                                         // shape ()
    const xt::xarray<double>& values = w.value();                   // row-major values
    xg::Shape shape = w.shape();                                    // {2, 2}
    try {
      (x * 2.0).item();  // only one-element tensors convert
    } catch (const xg::ShapeError& e) {
      std::printf("%s\n", e.what());
    }
    // snippet-end: tensors
    CHECK(values(1, 0) == 3 && (shape == xg::Shape{2, 2}) && s.item() == 0.5);
  }
  {
    using Tn = xg::Tensor<double>;
    Tn x = Tn::ones({5, 3}), w = Tn::ones({3, 2}, true).set_name("w"), b = Tn::zeros({2}, true);
    // snippet-begin: node_view
    Tn y = xg::linear(x, w, b);
    xg::NodeView<double> node(y);  // read-only; valid while y holds the node
    std::printf("%s of %zu inputs, the second named '%s'\n", node.op_name(), node.inputs().size(),
                node.inputs()[1].name().c_str());
    // linear of 3 inputs, the second named 'w'
    bool same = node.identity() == y.identity();  // a key for maps of nodes
    // also: node.value(), grad(), name(), is_leaf(), requires_grad(), retains_grad(), released()
    // snippet-end: node_view
    CHECK(same && std::string(node.op_name()) == "linear" && !node.is_leaf());
  }
  {
    using Tn = xg::Tensor<double>;
    auto a = Tn::scalar(3.0, true), b = Tn::scalar(4.0, true);
    auto c = xg::docs_example::times(a, b);
    c.backward();
    CHECK(c.item() == 12 && a.grad().item() == 4 && b.grad().item() == 3);
  }
  {
    using Tn = xg::Tensor<double>;
    auto a = Tn::scalar(2.0, true), b = Tn::scalar(3.0, true);
    auto loss = a * b;
    auto leaf = Tn::from({2}, {1.0, 2.0}, true);
    auto y = leaf * 3.0;
    auto seed = Tn::from({2}, {1.0, 1.0});
    auto u = a * 2.0, v = b * 3.0;
    auto seed_u = Tn::scalar(1.0), seed_v = Tn::scalar(1.0);
    // snippet-begin: backward_options
    loss.backward({.retain_graph = true});  // walk the same tape again later
    loss.backward({.create_graph = true});  // record the backward pass: gradients of gradients
    y.backward(seed);                       // non-scalar output: explicit seed of y's shape
    xg::backward<double>({u, v}, {seed_u, seed_v});  // several roots at once
    // snippet-end: backward_options
    CHECK(a.grad().item() == 3 + 3 + 2 && b.grad().item() == 2 + 2 + 3);
    CHECK(leaf.grad().value()(0) == 3 && leaf.grad().value()(1) == 3);
    a.zero_grad();
    b.zero_grad();
  }
  {
    using Tn = xg::Tensor<double>;
    // snippet-begin: grad_of_grad
    auto x = Tn::scalar(1.5, true);
    auto y = x * x * x;
    auto g = xg::grad<double>({y}, {x}, {}, {.create_graph = true});  // 3x^2 = 6.75, on the tape
    auto h = xg::grad<double>({g[0]}, {x});                           // 6x = 9
    // snippet-end: grad_of_grad
    CHECK(std::abs(g[0].item() - 6.75) < 1e-12 && std::abs(h[0].item() - 9) < 1e-12);
  }
  {
    const auto x = ice_cream::inputs<double>();
    const auto y = ice_cream::targets<double>();
    // snippet-begin: ice_cream
    auto p = ice_cream::true_params<double>(/*requires_grad=*/true);
    auto loss = xg::mse_loss(ice_cream::predict(p, x), y);
    loss.backward();
    double slope = p.b_out.grad().item();  // dMSE/db
    // snippet-end: ice_cream
    CHECK(std::abs(slope) < 0.01);  // the true bias is (nearly) optimal
  }
  {
    // snippet-begin: gradcheck
    xg::TensorFunction<double> f = [](const std::vector<xg::Tensor<double>>& in) {
      return xg::tanh(xg::matmul(in[0], in[1])) * 0.5;
    };
    auto a = xg::Tensor<double>::from({2, 3}, {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}, true);
    auto b = xg::Tensor<double>::from({3, 2}, {1.0, -1.0, 0.5, 0.25, -0.5, 2.0}, true);
    xg::GradcheckResult r = xg::gradcheck<double>(f, {a, b});
    if (!r.ok) std::printf("%s\n", r.message.c_str());
    // e.g. "gradcheck: gradient mismatch for input 1 of shape (3, 2), element (0, 1):
    //       analytic 0.4 vs numeric 0.2, error 0.2"
    xg::GradcheckResult r2 = xg::gradgradcheck<double>(f, {a, b});  // second derivatives
    // snippet-end: gradcheck
    CHECK(r.ok && r2.ok && r.checked == 12);
  }
  {
    auto x = xg::Tensor<double>::from({3}, {-1.0, 0.5, 2.0}, true);
    xg::TensorFunction<double> f = [](const std::vector<xg::Tensor<double>>& in) {
      return swish(in[0]);
    };
    CHECK(xg::gradcheck<double>(f, {x}).ok && xg::gradgradcheck<double>(f, {x}).ok);
  }
  std::printf("docs/autograd.md: all snippets ran\n");
  return 0;
}
