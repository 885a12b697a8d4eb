// The code of docs/autograd.md, compiled and run by ctest (docs.snippet.autograd_doc).
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>

#include "ice_cream_data.hpp"
#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"

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
    using Tn = xg::Tensor<double>;
    // snippet-begin: hooks
    Tn w = Tn::from({3}, {1, 2, 3}, /*requires_grad=*/true);
    std::vector<double> seen;
    xg::HookHandle clip = w.register_hook([](const Tn& g) { return xg::clamp(g, -1.0, 1.0); });
    xg::HookHandle log = w.register_hook([&](const Tn& g) {
      seen.assign(g.value().begin(), g.value().end());  // sees the clipped gradient
      return Tn();                                      // undefined: keep it
    });
    int ready = 0;
    xg::HookHandle done = w.register_post_accumulate_grad_hook([&](const Tn&) { ++ready; });
    xg::sum(w * w).backward();  // dL/dw = 2w = (2, 4, 6), clipped to (1, 1, 1)
    clip.remove();
    // snippet-end: hooks
    CHECK(seen == (std::vector<double>{1, 1, 1}) && ready == 1);
    CHECK(w.grad().value()(0) == 1 && w.grad().value()(2) == 1);
    w.zero_grad();
    xg::sum(w * w).backward();  // the clip is gone
    CHECK(w.grad().value()(2) == 6 && ready == 2 && seen.back() == 6);
    log.remove();
    done.remove();
  }
  {
    using Tn = xg::Tensor<double>;
    // snippet-begin: versions
    Tn a = Tn::from({3}, {1, 2, 3}, /*requires_grad=*/true).set_name("a");
    Tn h = a * 2.0;         // mul_scalar saves nothing it reads later
    Tn y = xg::sum(h * h);  // mul saves h
    {
      xg::NoGradGuard no_grad;
      h.add_(1.0);  // h.version(): 0 -> 1
    }
    std::string message;
    try {
      y.backward();
    } catch (const xg::GraphError& e) {
      message = e.what();  // "backward of 'mul': its input 0, the result of 'mul_scalar' ..."
    }
    // snippet-end: versions
    CHECK(h.version() == 1);
    CHECK(message.find("backward of 'mul': its input 0, the result of 'mul_scalar'") !=
          std::string::npos);
    CHECK(message.find("(version 0 when saved, now 1)") != std::string::npos);
  }
  {
    using Tn = xg::Tensor<double>;
    // snippet-begin: max_pool
    // One 3x3 image; its 2x2 windows at stride 1 overlap, and 5 is the maximum of three of them.
    Tn x = Tn::from({1, 1, 3, 3}, {1, 2, 3, 4, 5, 0, 0, 1, 6}, /*requires_grad=*/true);
    auto [y, argmax] = xg::max_pool2d_with_indices(x, /*kernel=*/2, /*stride=*/1);
    // y = (5, 5, 5, 6), argmax = (4, 4, 4, 8): flat positions in the 3x3 plane
    y.backward(Tn::from({1, 1, 2, 2}, {1, 10, 100, 1000}));
    // x.grad() = (0, 0, 0, 0, 111, 0, 0, 0, 1000): each window's g is added at its argmax
    // snippet-end: max_pool
    CHECK(argmax(0, 0, 0, 0) == 4 && argmax(0, 0, 1, 1) == 8 && y.value()(0, 0, 1, 1) == 6);
    CHECK(x.grad().value()(0, 0, 1, 1) == 111 && x.grad().value()(0, 0, 2, 2) == 1000);
    CHECK(xg::sum(x.grad()).item() == 1111);
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
  {
    // snippet-begin: functional
    using Tn = xg::Tensor<double>;
    const Tn A = Tn::from({2, 3}, {1, 2, 3, 4, 5, 6});
    auto f = [&A](const Tn& x) { return xg::matmul(A, x); };  // R^3 -> R^2, its Jacobian is A
    const Tn x = Tn::from({3}, {1, -1, 2});

    Tn J = xg::jacobian(f, x);                                // shape (2, 3), equal to A
    auto [y, vJ] = xg::vjp(f, x, Tn::from({2}, {1, 1}));      // v^T J = (5, 7, 9)
    auto [y2, Jv] = xg::jvp(f, x, Tn::from({3}, {1, 0, 0}));  // J v = (1, 4), J's first column

    auto loss = [](const Tn& p) { return xg::sum(p * p * p); };  // gradient 3p^2
    Tn H = xg::hessian(loss, x);                                 // diag(6p) = diag(6, -6, 12)
    auto [l, Hv] = xg::hvp(loss, x, Tn::from({3}, {1, 1, 1}));   // H v = (6, -6, 12)
    // snippet-end: functional
    CHECK(J.shape() == A.shape());
    for (std::size_t i = 0; i < 6; ++i) CHECK(J.value().data()[i] == A.value().data()[i]);
    CHECK(vJ.value()(0) == 5 && vJ.value()(1) == 7 && vJ.value()(2) == 9);
    CHECK(Jv.value()(0) == 1 && Jv.value()(1) == 4 && y.value()(0) == 5 && y2.value()(1) == 11);
    CHECK(H.shape() == (xg::Shape{3, 3}) && H.value()(0, 0) == 6 && H.value()(1, 1) == -6 &&
          H.value()(2, 2) == 12 && H.value()(0, 1) == 0);
    CHECK(Hv.value()(0) == 6 && Hv.value()(1) == -6 && Hv.value()(2) == 12 && l.item() == 8);
    CHECK(!J.requires_grad() && !vJ.requires_grad() && !Hv.requires_grad());

    // snippet-begin: functional_create_graph
    Tn p = Tn::from({3}, {1, -1, 2}, /*requires_grad=*/true);
    auto [value, g] = xg::vjp(loss, p, {}, {.create_graph = true});  // g = 3p^2, on the tape
    xg::sum(g * g).backward();  // a gradient penalty: p.grad() = d(9 sum p^4)/dp = 36p^3
    // snippet-end: functional_create_graph
    CHECK(g.requires_grad() && value.requires_grad());
    CHECK(p.grad().value()(0) == 36 && p.grad().value()(1) == -36 && p.grad().value()(2) == 288);

    // An input f does not use: zeros, or a GraphError in strict mode.
    auto first = [](const std::vector<Tn>& in) { return in[0] * 2.0; };
    const auto Js = xg::jacobian(first, std::vector<Tn>{x, x});
    CHECK(Js[1].value()(0, 0) == 0 && Js[0].value()(0, 0) == 2);
    bool refused = false;
    try {
      xg::jacobian(first, std::vector<Tn>{x, x}, {.strict = true});
    } catch (const xg::GraphError&) {
      refused = true;
    }
    CHECK(refused);
  }
  {
    // snippet-begin: checkpoint
    using Tn = xg::Tensor<double>;
    Tn w = Tn::from({2, 2}, {0.5, -0.3, 0.8, 0.2}, /*requires_grad=*/true);  // captured
    int runs = 0;
    auto block = [&](const Tn& in) {  // 8 layers: 16 nodes on a plain tape
      ++runs;
      Tn h = in;
      for (int i = 0; i < 8; ++i) h = xg::tanh(xg::matmul(h, w));
      return h;
    };
    Tn x = Tn::from({1, 2}, {1.0, -2.0}, true);
    Tn y = xg::checkpoint(block, x);  // runs block unrecorded: runs == 1
    xg::NodeView<double> node(y);     // one node, "checkpoint", of inputs x and w
    // snippet-end: checkpoint
    CHECK(runs == 1 && std::string(node.op_name()) == "checkpoint" && node.inputs().size() == 2);
    CHECK(node.inputs()[0].identity() == x.identity() &&
          node.inputs()[1].identity() == w.identity());
    // snippet-begin: checkpoint_backward
    xg::sum(y).backward();  // replays block on a tape of its own: runs == 2
    // snippet-end: checkpoint_backward
    CHECK(runs == 2);
    const Tn gx = x.grad(), gw = w.grad();
    x.zero_grad(), w.zero_grad();
    xg::sum(block(x)).backward();  // the plain tape's gradients, to the last bit
    for (std::size_t i = 0; i < 2; ++i) CHECK(x.grad().value().data()[i] == gx.value().data()[i]);
    for (std::size_t i = 0; i < 4; ++i) CHECK(w.grad().value().data()[i] == gw.value().data()[i]);

    // Nested: the inner segment runs three times.
    int inner_runs = 0;
    auto inner = [&](const Tn& in) {
      ++inner_runs;
      return xg::tanh(xg::matmul(in, w));
    };
    auto outer = [&](const Tn& in) { return xg::checkpoint(inner, in) * 2.0; };
    xg::sum(xg::checkpoint(outer, x)).backward();
    CHECK(inner_runs == 3);

    // create_graph through a checkpoint is refused.
    bool refused = false;
    try {
      xg::grad<double>({xg::sum(xg::checkpoint(block, x))}, {x}, {}, {.create_graph = true});
    } catch (const xg::GraphError& e) {
      refused = std::string(e.what()).find("create_graph is not supported") != std::string::npos;
    }
    CHECK(refused);

    // A captured tensor that requires grad and is not a leaf is refused.
    Tn scaled = (w * 2.0).set_name("scaled");
    refused = false;
    try {
      xg::checkpoint([&](const Tn& in) { return xg::matmul(in, scaled); }, x);
    } catch (const xg::GraphError& e) {
      refused =
          std::string(e.what()).find("pass it to xg::checkpoint as an input") != std::string::npos;
    }
    CHECK(refused);
  }
  {
    using Tn = xg::Tensor<double>;
    Tn x = Tn::from({4}, {1.0, 2.0, 3.0, 4.0}, true);
    // snippet-begin: checkpoint_rng
    auto noisy = [](const Tn& in) {  // a dropout mask drawn from the default generator
      std::bernoulli_distribution keep(0.5);
      xt::xarray<double> mask = xt::zeros<double>(in.value().shape());
      for (auto& m : mask) m = keep(xg::default_generator()) ? 2.0 : 0.0;
      return in * Tn(std::move(mask));
    };
    xg::manual_seed(7);
    Tn y = xg::checkpoint(noisy, x);  // the default generator's state is saved first
    xg::sum(y).backward();            // the replay draws the same mask: dy/dx = mask
    // snippet-end: checkpoint_rng
    for (std::size_t i = 0; i < 4; ++i) CHECK(x.grad().value()(i) == y.value()(i) / x.value()(i));
  }
  {
    namespace nn = xg::nn;
    using Tf = xg::Tensor<float>;
    const Tf x = Tf::ones({3, 10});
    // snippet-begin: checkpoint_every
    nn::Sequential model;
    for (int i = 0; i < 12; ++i) model.add(nn::Linear(10, 10)).add(nn::Tanh());
    model.checkpoint_every(6);  // 24 modules: 4 segments, 4 nodes on the tape
    Tf y = model(x);
    // snippet-end: checkpoint_every
    // The chain of segments: each checkpoint node's first input is the previous segment's.
    int segments = 0;
    for (Tf t = y; std::string(t.op_name()) == "checkpoint";
         t = xg::NodeView<float>(t).inputs()[0]) {
      ++segments;
      CHECK(xg::NodeView<float>(t).inputs().size() == 1 + 6);  // the input and 3 x (W, b)
    }
    CHECK(segments == 4);
  }
  std::printf("docs/autograd.md: all snippets ran\n");
  return 0;
}
