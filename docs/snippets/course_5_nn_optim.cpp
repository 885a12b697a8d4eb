// Course chapter 5: nn and optim. XOR, which no single perceptron can learn, with a hidden layer,
// a loss module and Adam. Compiled and run by ctest (docs.snippet.course_5_nn_optim).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "xgrad/autograd.hpp"
#include "xgrad/tools/graphviz.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

int main() {
  // snippet-begin: xor
  namespace nn = xg::nn;
  using Tn = xg::Tensor<float>;
  nn::manual_seed(1);  // the same initial weights on every run

  const Tn x = Tn::from({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  const Tn y = Tn::from({4, 1}, {0, 1, 1, 0});
  nn::Sequential model{nn::Linear(2, 8), nn::Tanh(), nn::Linear(8, 1), nn::Sigmoid()};
  xg::optim::Adam opt(model.parameters(), {.lr = 0.05});

  for (int step = 0; step < 500; ++step) {
    Tn loss = xg::bce_loss(model(x), y);
    opt.zero_grad();  // backward adds to .grad(): clear it first
    loss.backward();  // d loss / d every parameter ("0.weight", "0.bias", "2.weight", ...)
    opt.step();       // Adam's update of each parameter from its gradient
  }
  model.eval();
  Tn p;
  {
    xg::NoGradGuard no_grad;  // predictions only: record nothing
    p = model(x);
  }
  std::printf("XOR: %.3f %.3f %.3f %.3f\n", p.value()(0, 0), p.value()(1, 0), p.value()(2, 0),
              p.value()(3, 0));
  // snippet-end: xor
  for (std::size_t i = 0; i < 4; ++i) {
    if ((p.value()(i, 0) > 0.5f) != (y.value()(i, 0) > 0.5f)) return 1;
  }
  std::printf("%s", model.to_string().c_str());

  // snippet-begin: names
  std::printf("%s\n", model.parameters()[0].name().c_str());  // 0.weight
  xg::write_dot(model(x), "xor.dot");  // leaves labelled 0.weight, 0.bias, 2.weight, 2.bias
  // snippet-end: names
  std::ifstream dot("xor.dot");
  const std::string text((std::istreambuf_iterator<char>(dot)), std::istreambuf_iterator<char>());
  return text.find("label=\"0.weight\\n(2, 8)") != std::string::npos ? 0 : 1;
}
