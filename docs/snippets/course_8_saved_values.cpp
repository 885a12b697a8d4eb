// Course chapter 8: what the tape saves and why in-place writes break it. A rule that reads a
// value it did not declare gives a wrong gradient silently; the built-in mul refuses; in-place
// operations on the tape rebind; checkpointing keeps one node instead of a segment's.
// Compiled and run by ctest (docs.snippet.course_8_saved_values).
#include <cmath>
#include <cstdio>
#include <string>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"

using Tn = xg::Tensor<double>;

// snippet-begin: naive_mul
// mul as a tape without version counters would run it: the rule reads both inputs when
// backward runs, but declares that it reads nothing, so nobody checks they are unchanged.
Tn naive_mul(const Tn& a, const Tn& b) {
  return xg::record<double>(
      "naive_mul", a.value() * b.value(), {a, b},
      [](xg::BackwardContext<double>& c) {
        c.input_grads[0] = c.grad * c.inputs[1];
        c.input_grads[1] = c.grad * c.inputs[0];
      },
      xg::GradShape::full, xg::Saves::nothing());
}
// snippet-end: naive_mul

int main() {
  // snippet-begin: rules
  for (const char* op : {"mul", "exp", "add"}) {
    std::printf("%s\n", xg::derivative_rule(op).c_str());
  }
  // mul: out = a * b; da = g * b, db = g * a
  // exp: out = e^a; da = g * out
  // add: out = a + b; da = g, db = g
  // snippet-end: rules
  CHECK(xg::derivative_rule("exp") == "exp: out = e^a; da = g * out");

  {
    // snippet-begin: silent
    Tn x = Tn::from({3}, {1, 2, 3}).set_name("x");              // a batch of data
    Tn w = Tn::from({3}, {0.5, 0.5, 0.5}, true).set_name("w");  // a parameter
    Tn loss = xg::sum(naive_mul(x, w));                         // dloss/dw = x = (1, 2, 3)
    x.mutable_value() = xt::xarray<double>{7, 8, 9};  // the next batch, into the same buffer
    loss.backward();
    std::printf("w.grad() = (%g, %g, %g)\n", w.grad().value()(0), w.grad().value()(1),
                w.grad().value()(2));
    // w.grad() = (7, 8, 9): the gradient of a loss that was never computed
    // snippet-end: silent
    CHECK(w.grad().value()(0) == 7 && w.grad().value()(2) == 9);
  }
  {
    // snippet-begin: refused
    Tn x = Tn::from({3}, {1, 2, 3}).set_name("x");
    Tn w = Tn::from({3}, {0.5, 0.5, 0.5}, true).set_name("w");
    Tn loss = xg::sum(x * w);  // the built-in mul: its input versions are kept, 0 and 0
    x.mutable_value() = xt::xarray<double>{7, 8, 9};
    std::printf("x.version() = %u\n", x.version());  // 1: one write since it was made
    try {
      loss.backward();
    } catch (const xg::GraphError& e) {
      std::printf("%s\n", e.what());
    }
    // snippet-end: refused
    CHECK(x.version() == 1 && !w.has_grad());
  }
  {
    // snippet-begin: harmless
    Tn x = Tn::from({3}, {1, 2, 3});
    Tn w = Tn::from({3}, {0.5, 0.5, 0.5}, true);
    Tn loss = xg::sum(x + w);  // add's rule reads no values: Saves::nothing()
    x.mutable_value() = xt::xarray<double>{7, 8, 9};
    loss.backward();  // fine: dloss/dw = (1, 1, 1) whatever x holds
    // snippet-end: harmless
    CHECK(w.grad().value()(0) == 1 && w.grad().value()(2) == 1);
  }
  {
    // snippet-begin: on_tape
    Tn w = Tn::from({3}, {0.0, 1.0, 2.0}, true);
    Tn e = xg::exp(w);  // exp's rule reads its output, e^w
    Tn old = e;         // a second handle on the exp node
    e.mul_(3.0);        // recorded as mul_scalar; e now names the new node
    std::printf("%s, %s, old.version() = %u\n", e.op_name(), old.op_name(), old.version());
    // mul_scalar, exp, old.version() = 0
    xg::sum(e).backward();  // exp reads the e^w it saved: dw = 3 e^w
    // snippet-end: on_tape
    CHECK(std::string(e.op_name()) == "mul_scalar" && std::string(old.op_name()) == "exp");
    CHECK(old.version() == 0 && old.value()(0) == 1 && e.value()(0) == 3);
    CHECK(w.grad().value()(0) == 3 && w.grad().value()(1) == 3 * std::exp(1.0));
  }
  {
    // snippet-begin: leaf
    Tn w = Tn::from({3}, {0.5, 0.5, 0.5}, true).set_name("w");
    try {
      w.add_(1.0);  // grad mode is on: a parameter may not be written on the tape
    } catch (const xg::GraphError& e) {
      std::printf("%s\n", e.what());
    }
    Tn loss = xg::sum(w * w);  // mul saves w (version 0)
    {
      xg::NoGradGuard no_grad;  // what an optimizer step does
      w.sub_(0.1);              // written in place: version 1
    }
    try {
      loss.backward();  // the step came before backward: refused
    } catch (const xg::GraphError& e) {
      std::printf("%s\n", e.what());
    }
    // snippet-end: leaf
    CHECK(w.version() == 1 && w.value()(0) == 0.4 && !w.has_grad());
  }
  {
    // snippet-begin: checkpoint
    Tn x = Tn::from({1, 4}, {0.1, 0.2, 0.3, 0.4}, true);
    Tn w = Tn::full({4, 4}, 0.25, true);
    auto block = [&w](const Tn& in) {
      Tn h = in;
      for (int i = 0; i < 50; ++i) h = xg::tanh(xg::matmul(h, w));  // 100 nodes on a tape
      return h;
    };
    const long before = xg::live_node_count<double>();
    Tn plain = block(x);
    const long plain_nodes = xg::live_node_count<double>() - before;  // 100, each with its value
    plain = Tn();                                                     // frees that tape
    Tn y = xg::checkpoint(block, x);
    const long checkpoint_nodes = xg::live_node_count<double>() - before;  // 1
    xg::sum(y).backward();  // runs block again, on a tape of its own, then frees it
    // snippet-end: checkpoint
    CHECK(plain_nodes == 100 && checkpoint_nodes == 1);
    CHECK(std::string(y.op_name()) == "checkpoint" && x.has_grad() && w.has_grad());
    const Tn gx = x.grad(), gw = w.grad();
    x.zero_grad(), w.zero_grad();
    xg::sum(block(x)).backward();
    for (std::size_t i = 0; i < 4; ++i) CHECK(x.grad().value()(0, i) == gx.value()(0, i));
    CHECK(w.grad().value()(1, 2) == gw.value()(1, 2));
  }
  std::printf("chapter 8: all checks passed\n");
  return 0;
}
