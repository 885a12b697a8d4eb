// Course chapter 1: tensors and the tape. Compiled and run by ctest (docs.snippet.course_1_tape).
#include <cmath>
#include <cstdio>
#include <string>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/tools/graphviz.hpp"

int main() {
  // snippet-begin: leaves
  using Tn = xg::Tensor<double>;
  Tn a = Tn::scalar(2.0, /*requires_grad=*/true).set_name("a");  // a parameter
  Tn b = Tn::scalar(3.0, true).set_name("b");
  Tn c = Tn::scalar(10.0).set_name("c");  // data: no gradient wanted

  Tn m = a * b;                        // records a "mul" node with inputs (a, b)
  Tn f = m + a * c;                    // "mul" (a, c), then "add" (m, a*c)
  const xg::NodeView<double> node(f);  // a read-only look at the recorded operation
  std::printf("f = %g, recorded by '%s' from '%s' and '%s'\n", f.item(), node.op_name(),
              node.inputs()[0].op_name(), node.inputs()[1].op_name());
  // f = 26, recorded by 'add' from 'mul' and 'mul'
  // snippet-end: leaves
  CHECK(f.item() == 26 && std::string(f.op_name()) == "add" &&
        xg::NodeView<double>(m).inputs().size() == 2);
  CHECK(a.is_leaf() && !f.is_leaf() && f.requires_grad() && !c.requires_grad());

  // snippet-begin: picture
  std::printf("%s", xg::to_dot(f).c_str());  // Graphviz text: pipe into `dot -Tsvg`
  // snippet-end: picture

  // snippet-begin: backward
  f.backward();  // df/df = 1, then the chain rule, node by node, back to the leaves
  std::printf("df/da = %g (= b + c), df/db = %g (= a)\n", a.grad().item(), b.grad().item());
  // df/da = 13 (= b + c), df/db = 2 (= a)
  // snippet-end: backward
  CHECK(a.grad().item() == 13 && b.grad().item() == 2 && !c.has_grad());

  // snippet-begin: accumulate
  Tn g = a * a;
  g.backward();                                     // adds 2a = 4 to what a.grad() already holds
  std::printf("a.grad() = %g\n", a.grad().item());  // 17
  a.zero_grad();                                    // what optimizers do before each batch
  // snippet-end: accumulate
  CHECK(!a.has_grad());

  // snippet-begin: released
  try {
    f.backward();  // the first backward released f's tape
  } catch (const xg::GraphError& e) {
    std::printf("%s\n", e.what());  // ... pass retain_graph = true to the first backward ...
  }
  // snippet-end: released

  // snippet-begin: no_grad
  {
    xg::NoGradGuard no_grad;  // inference and parameter updates: nothing is recorded
    Tn h = a * b;
    std::printf("h is a leaf: %s\n", h.is_leaf() ? "yes" : "no");  // yes
  }
  // snippet-end: no_grad
  bool threw = false;
  try {
    f.backward();
  } catch (const xg::GraphError&) {
    threw = true;
  }
  CHECK(threw);
  std::printf("chapter 1: all checks passed\n");
  return 0;
}
