// Course chapter 7: how backward is scheduled. An observer prints the order in which the engine
// runs each node on a graph with fan-out, and a 200,000-step chain runs without recursion.
// Compiled and run by ctest (docs.snippet.course_7_scheduling).
#include <cstdio>
#include <string>
#include <vector>

#include "xgrad/autograd.hpp"

// snippet-begin: observer
struct Order : xg::TapeObserver<double> {
  std::vector<std::string> ran;
  void on_backward_begin(xg::NodeView<double> node, const xg::Tensor<double>& g) override {
    const std::string label = node.name().empty() ? node.op_name() : node.name();
    ran.push_back(label + " (g = " + std::to_string(g.item()) + ")");
  }
};
// snippet-end: observer

int main() {
  // snippet-begin: diamond
  using Tn = xg::Tensor<double>;
  Tn x = Tn::scalar(3.0, true).set_name("x");
  Tn u = (x * x).set_name("u");           // u feeds two consumers:
  Tn v = (u * 2.0).set_name("v");         //   v = 2u
  Tn w = xg::exp(u * 0.0).set_name("w");  //   w = e^(0u) = 1
  Tn f = (v + w).set_name("f");

  Order order;
  {
    xg::ObserverGuard<double> watch(order);
    f.backward();
  }
  for (const auto& step : order.ran) std::printf("%s\n", step.c_str());
  // snippet-end: diamond
  // f, then v and w's branch in some order, and u only once, after both: g = 2 + 0.
  if (order.ran.front() != "f (g = 1.000000)" || order.ran.back() != "u (g = 2.000000)") return 1;
  if (x.grad().item() != 12.0) return 1;  // df/dx = 2 * 2x

  // snippet-begin: deep
  Tn y = Tn::scalar(0.5, true);
  Tn t = y;
  for (int i = 0; i < 200000; ++i) t = t * 1.0;  // a chain of 200,000 recorded operations
  t.backward();  // no recursion: a heap vector of ready nodes, not the call stack
  std::printf("dt/dy = %g after 200000 steps\n", y.grad().item());
  // snippet-end: deep
  return y.grad().item() == 1.0 ? 0 : 1;
}
