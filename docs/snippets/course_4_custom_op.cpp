// Course chapter 4: a custom operation (the Huber loss of examples/huber_loss.hpp), checked with
// gradcheck and shown in the backward trace. Compiled and run by ctest.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

#include "huber_loss.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/tools/trace.hpp"

int main() {
  // snippet-begin: check
  using Tn = xg::Tensor<double>;
  Tn pred = Tn::from({4}, {0.3, -2.0, 1.2, 0.0}, /*requires_grad=*/true);
  Tn target = Tn::from({4}, {0.0, 0.5, 1.0, 0.7}, true);
  xg::TensorFunction<double> f = [](const std::vector<Tn>& in) {
    return huber::huber_loss(in[0], in[1], 1.0);
  };
  xg::GradcheckResult first = xg::gradcheck<double>(f, {pred, target});
  xg::GradcheckResult second = xg::gradgradcheck<double>(f, {pred, target});
  std::printf("gradcheck %s, gradgradcheck %s\n", first.ok ? "ok" : first.message.c_str(),
              second.ok ? "ok" : second.message.c_str());
  // snippet-end: check
  if (!first.ok || !second.ok || first.checked != 8) return 1;

  // snippet-begin: trace
  auto loss = huber::huber_loss(pred, target, 1.0);
  xg::BackwardTrace<double> trace(
      {.text = &std::cout,
       .extra_rules = {{"huber_loss",
                        "huber_loss: dpred = g * clip(pred - target, -delta, "
                        "delta) / N, dtarget = -dpred"}}});
  loss.backward();
  // snippet-end: trace
  // d = (0.3, -2.5, 0.2, -0.7): clipped to (0.3, -1, 0.2, -0.7), divided by N = 4.
  const double want[] = {0.075, -0.25, 0.05, -0.175};
  for (std::size_t i = 0; i < 4; ++i) {
    if (std::abs(pred.grad().value()(i) - want[i]) > 1e-15) return 1;
    if (std::abs(target.grad().value()(i) + want[i]) > 1e-15) return 1;
  }
  return 0;
}
