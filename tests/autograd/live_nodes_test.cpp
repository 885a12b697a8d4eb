// live_node_count counts per thread (no locked instruction per node) and sums on demand: nodes
// made on one thread and freed on another, and threads that have exited, must still add up.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using D = Tensor<double>;

TEST(LiveNodes, CountsNodesOfEveryThread) {
  const long before = live_node_count<double>();
  std::vector<D> made_elsewhere;
  std::thread maker([&] {
    D x = D::scalar(2.0, true);
    made_elsewhere.push_back(x * 3.0 + 1.0);  // a leaf and two recorded nodes
    made_elsewhere.push_back(x);
  });
  maker.join();  // the maker has exited: its count lives on
  EXPECT_EQ(live_node_count<double>() - before, 3);
  // Backward on this thread releases the tape (the mul node, made by the maker, dies here) and
  // makes x's gradient: x, y and x.grad remain.
  made_elsewhere[0].backward();
  EXPECT_EQ(live_node_count<double>() - before, 3);
  EXPECT_DOUBLE_EQ(made_elsewhere[1].grad().item(), 3.0);
  std::thread freer([&] { made_elsewhere.clear(); });  // freed on a third thread
  freer.join();
  EXPECT_EQ(live_node_count<double>(), before);
}

TEST(LiveNodes, ConcurrentThreadsBalance) {
  const long before = live_node_count<double>();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 200; ++i) {
        D x = D::scalar(1.0, true);
        D y = x;
        for (int k = 0; k < 50; ++k) y = y * 1.0001 + 0.0001;
        y.backward();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(live_node_count<double>(), before);
}

}  // namespace
}  // namespace xg
