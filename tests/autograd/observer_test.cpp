// Tape observers see every operation, every backward rule and every leaf gradient, in order.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "xgrad/tools/observer.hpp"

namespace {

struct Recorder : xg::TapeObserver<double> {
  std::vector<std::string> events;
  void on_forward(const char* op, xg::InputSpan<double> inputs,
                  const xg::Tensor<double>& result) override {
    std::ostringstream s;
    s << "fwd " << op << " " << inputs.size() << " " << xg::shape_str(result.shape());
    events.push_back(s.str());
  }
  void on_backward_begin(xg::NodeView<double> n, const xg::Tensor<double>& g) override {
    std::ostringstream s;
    s << "begin " << n.op_name() << " " << xg::shape_str(g.shape());
    events.push_back(s.str());
  }
  void on_backward_end(xg::NodeView<double> n, const xg::Tensor<double>&,
                       const std::vector<xg::Tensor<double>>& grads) override {
    std::ostringstream s;
    s << "end " << n.op_name();
    for (const auto& g : grads) s << " " << (g.defined() ? xg::shape_str(g.shape()) : "-");
    events.push_back(s.str());
  }
  void on_gradient(xg::NodeView<double> n, const xg::Tensor<double>& g) override {
    std::ostringstream s;
    s << "grad " << n.name() << " " << g.value()(0);
    events.push_back(s.str());
  }
};

TEST(Observer, SeesForwardBackwardAndLeafGradientsWithBroadcastUndone) {
  auto x = xg::Tensor<double>::from({2, 3}, {1, 2, 3, 4, 5, 6});
  auto b = xg::Tensor<double>::from({3}, {1, 1, 1}, true);
  b.set_name("b");
  Recorder rec;
  {
    xg::ObserverGuard<double> guard(rec);
    auto loss = xg::sum(x + b);
    loss.backward();
  }
  auto y = x + b;  // after the guard: not observed
  const std::vector<std::string> want = {
      "fwd add 2 (2, 3)", "fwd sum 1 ()",  "begin sum ()", "end sum (2, 3)",
      "begin add (2, 3)", "end add - (3)", "grad b 2",
  };
  EXPECT_EQ(rec.events, want);
}

TEST(Observer, GuardsNestAndUnwind) {
  Recorder outer, inner;
  auto a = xg::Tensor<double>::scalar(2.0, true);
  {
    xg::ObserverGuard<double> g1(outer);
    {
      xg::ObserverGuard<double> g2(inner);
      auto c = a * a;
    }
    auto d = a + a;
  }
  auto e = a - a;
  EXPECT_EQ(outer.events.size(), 2u);
  EXPECT_EQ(inner.events.size(), 1u);
  EXPECT_EQ(xg::detail::observer_count, 0);
}

}  // namespace
