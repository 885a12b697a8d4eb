// Course chapter 10: backpropagation through time is the chain rule on an unrolled tape. A
// 3-step tanh RNN with one input and one hidden unit, weights set by hand, unrolled by a for
// loop; the trace of its backward; dL/dW_hh by hand as a sum over time steps of chain-rule
// products, checked against the tape; a picture of the tape.
// Compiled and run by ctest (docs.snippet.course_10_bptt).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/tools/graphviz.hpp"
#include "xgrad/tools/trace.hpp"

using Tn = xg::Tensor<double>;
namespace nn = xg::nn;

int main() {
  // snippet-begin: unroll
  // h_t = tanh(x_t w_ih + h_{t-1} w_hh): one input, one hidden unit, no biases.
  nn::RNNCell<double> cell(1, 1, {.bias = false});
  cell.weight_ih().mutable_value()(0, 0) = 0.5;
  cell.weight_hh().mutable_value()(0, 0) = 0.8;
  cell.weight_ih().set_name("W_ih");
  cell.weight_hh().set_name("W_hh");

  const double xs[3] = {1.0, -0.5, 2.0};
  Tn h = Tn::from({1, 1}, {0.5}).set_name("h0");  // a given initial state
  Tn hs[4] = {h};                                 // h_0 .. h_3, kept for the hand computation
  const char* x_names[3] = {"x1", "x2", "x3"};
  const char* h_names[3] = {"h1", "h2", "h3"};
  for (int t = 1; t <= 3; ++t) {
    Tn x = Tn::from({1, 1}, {xs[t - 1]}).set_name(x_names[t - 1]);
    h = cell.forward_with_state(x, {h}).h.set_name(h_names[t - 1]);
    hs[t] = h;
  }
  Tn loss = xg::mse_loss(h, Tn::from({1, 1}, {0.2})).set_name("L");  // L = (h_3 - 0.2)^2
  // snippet-end: unroll
  std::printf("h1 = %.6f, h2 = %.6f, h3 = %.6f, L = %.6f\n", hs[1].item(), hs[2].item(),
              hs[3].item(), loss.item());

  // snippet-begin: picture
  xg::write_dot(loss, "bptt.dot", {.title = "three steps of a tanh RNN"});
  if (xg::graphviz_available()) xg::render_dot("bptt.dot", "bptt.svg");
  // snippet-end: picture
  CHECK(xg::to_dot(loss).find("tanh") != std::string::npos);

  // snippet-begin: trace
  {
    xg::BackwardTrace<double> trace({.text = &std::cout});
    loss.backward();
  }
  // snippet-end: trace

  // snippet-begin: by_hand
  // With a_t = x_t w_ih + h_{t-1} w_hh and h_t = tanh(a_t):
  //   dh_t/dh_{t-1} = (1 - h_t^2) w_hh        (the path from one state to the next)
  //   dh_t/dw_hh    = (1 - h_t^2) h_{t-1}     (w_hh's direct use at step t)
  // w_hh is used at every step, so dL/dw_hh is a sum over the steps of one chain each:
  //   dL/dw_hh = dL/dh_3 [ dh_3/dw_hh
  //                      + dh_3/dh_2 dh_2/dw_hh
  //                      + dh_3/dh_2 dh_2/dh_1 dh_1/dw_hh ]
  const double w = 0.8, h0 = hs[0].item(), h1 = hs[1].item(), h2 = hs[2].item(), h3 = hs[3].item();
  const double dL_dh3 = 2 * (h3 - 0.2);
  const double d3 = 1 - h3 * h3, d2 = 1 - h2 * h2, d1 = 1 - h1 * h1;  // tanh' at each step
  const double term3 = dL_dh3 * d3 * h2;                              // step 3's own use
  const double term2 = dL_dh3 * d3 * w * d2 * h1;                     // through h_2
  const double term1 = dL_dh3 * d3 * w * d2 * w * d1 * h0;            // through h_2 and h_1
  const double by_hand = term3 + term2 + term1;
  const double tape = cell.weight_hh().grad().item();
  std::printf("dL/dw_hh by hand: %.6f + %.6f + %.6f = %.9f\n", term3, term2, term1, by_hand);
  std::printf("dL/dw_hh on tape:                           %.9f\n", tape);
  // snippet-end: by_hand
  CHECK(std::abs(by_hand - tape) < 1e-15);
  // dL/dw_ih likewise, each step's x in place of h_{t-1}.
  const double ih_by_hand = dL_dh3 * d3 * (xs[2] + w * d2 * (xs[1] + w * d1 * xs[0]));
  CHECK(std::abs(ih_by_hand - cell.weight_ih().grad().item()) < 1e-15);
  std::printf("dL/dw_ih by hand %.9f, on tape %.9f\n", ih_by_hand, cell.weight_ih().grad().item());

  std::printf("chapter 10: all checks passed\n");
  return 0;
}
