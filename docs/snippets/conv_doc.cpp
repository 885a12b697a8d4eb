// The convolution code of docs/autograd.md and docs/nn.md, compiled and run by ctest
// (docs.snippet.conv_doc).
#include <cmath>
#include <string>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"

int main() {
  {
    using Tn = xg::Tensor<double>;
    // snippet-begin: conv
    Tn x = Tn::full({2, 3, 8, 8}, 0.5, /*requires_grad=*/true);  // (N, C, H, W)
    Tn w = Tn::full({4, 3, 3, 3}, 0.1, true);                    // (O, C / groups, kH, kW)
    Tn b = Tn::zeros({4}, true);
    Tn y = xg::conv2d(x, w, b, {.stride = 2, .padding = 1});  // (2, 4, 4, 4)
    Tn z = xg::conv2d(x, Tn::full({6, 1, 3, 1}, 0.2), {.padding = {1, 0}, .groups = 3});
    Tn s = xg::conv1d(Tn::ones({2, 3, 10}), Tn::ones({5, 3, 3}), {.dilation = 2});  // (2, 5, 6)

    // Second derivatives run on the same kernels: the gradient of a convolution is one of its
    // two adjoints, recorded with create_graph, and theirs are convolutions again.
    auto g = xg::grad<double>({xg::sum(xg::mul(y, y))}, {x, w}, {}, {.create_graph = true});
    // g[0].op_name() == "conv2d_backward_input", g[1].op_name() == "conv2d_backward_weight"
    auto hvp = xg::grad<double>({xg::sum(g[0])}, {w});  // d/dw of sum(dL/dx)
    // snippet-end: conv
    CHECK(y.shape() == (xg::Shape{2, 4, 4, 4}));
    CHECK(z.shape() == (xg::Shape{2, 6, 8, 8}));
    CHECK(s.shape() == (xg::Shape{2, 5, 6}));
    CHECK(std::abs(s.value()(0, 0, 0) - 9.0) < 1e-12);
    CHECK(std::string(g[0].op_name()) == "conv2d_backward_input");
    CHECK(std::string(g[1].op_name()) == "conv2d_backward_weight");
    CHECK(hvp[0].shape() == w.shape());
  }
  {
    namespace nn = xg::nn;
    // snippet-begin: conv_layers
    nn::Sequential model{nn::Conv2d(1, 32, 3), nn::ReLU(),  // (N, 32, 26, 26)
                         nn::Conv2d(32, 64, 3, {.stride = 2, .padding = 1}), nn::ReLU(),
                         nn::Conv2d(64, 64, 1, {.groups = 4, .bias = false})};
    auto out = model(xg::Tensor<float>::zeros({8, 1, 28, 28}));  // (8, 64, 13, 13)
    // model[0] prints as PyTorch's: Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))
    nn::Conv1d<float> conv1d(16, 33, 3, {.stride = 2});  // weight (33, 16, 3), bias (33)
    // snippet-end: conv_layers
    CHECK(out.shape() == (xg::Shape{8, 64, 13, 13}));
    CHECK(conv1d.weight().shape() == (xg::Shape{33, 16, 3}));
    CHECK(conv1d.extra_repr() == "16, 33, kernel_size=(3,), stride=(2,)");
    CHECK(model.parameter_count() == 320 + 18496 + 64 * 16);
  }
  return 0;
}
