// The code of docs/reliability.md, compiled and run by ctest (docs.snippet.reliability_doc).
#include <cstdio>
#include <string>

#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"

int main() {
  xg::nn::manual_seed(4);
  xg::nn::Sequential<float> model{xg::nn::make<xg::nn::Linear<float>>(2, 2),
                                  xg::nn::make<xg::nn::Sigmoid<float>>()};
  auto x = xg::Tensor<float>::from({1, 2}, {0.5f, -1.0f}).set_name("input");
  std::string message;
  // snippet-begin: anomaly
  // xg::DetectAnomaly is in <xgrad/tools/anomaly.hpp>, also included by <xgrad/autograd.hpp>.
  try {
    xg::DetectAnomaly<float> anomaly;  // this thread, this scope; nests; costs nothing once gone
    auto p = model(x);                 // NaN/Inf in any forward value -> xg::AnomalyError
    auto loss = xg::sum(xg::exp(xg::mul(p, 200.0f)));  // e^(200 p) overflows: reported here
    loss.backward();  // NaN/Inf in any gradient -> xg::AnomalyError
  } catch (const xg::AnomalyError& e) {
    message = e.what();  // names the op, the value, the shapes and where the node was created
  }
  // snippet-end: anomaly
  std::printf("%s\n", message.c_str());
  return message.find("exp") != std::string::npos && message.find("0.weight") != std::string::npos
             ? 0
             : 1;
}
