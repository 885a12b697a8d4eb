// xg::set_num_threads sets the thread count of xgrad's pool and of OpenBLAS; results stay the
// same either way, also when several threads run large operations at once.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test_support.hpp"
#include "xgrad/threads.hpp"

namespace {

TEST(NumThreads, SetAndRestoreWithSameProducts) {
  const int before = xg::num_threads();
  auto a = xg::test::uniform<double>({300, 200}, -1, 1, 3);
  auto b = xg::test::uniform<double>({200, 100}, -1, 1, 4);
  xg::set_num_threads(1);
  EXPECT_EQ(xg::num_threads(), 1);
  const auto one = xg::matmul(a, b).value();
  xg::set_num_threads(2);
  EXPECT_EQ(xg::num_threads(), 2);
  const auto two = xg::matmul(a, b).value();
  EXPECT_TRUE(xt::allclose(one, two, 1e-12, 1e-12));
  xg::set_num_threads(before);
  EXPECT_EQ(xg::num_threads(), before);
}

TEST(NumThreads, ThreadsSharingThePoolGetTheSameResults) {
  const int before = xg::num_threads();
  xg::set_num_threads(2);
  auto run = [](unsigned seed) {
    auto x = xg::test::uniform<float>({200, 500}, -1, 1, seed);
    auto loss = xg::sum(xg::softmax(xg::sigmoid(x) * x, -1) + xg::exp(x));
    loss.backward();
    return std::make_pair(loss.item(), xt::xarray<float>(x.grad().value()));
  };
  const auto alone = run(5);
  std::vector<std::pair<float, xt::xarray<float>>> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int rep = 0; rep < 3; ++rep) results[i] = run(5);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    EXPECT_EQ(r.first, alone.first);
    EXPECT_EQ(r.second, alone.second);
  }
  xg::set_num_threads(before);
}

TEST(NumThreads, RejectsZero) {
  EXPECT_THROW_WITH(xg::set_num_threads(0), xg::DomainError, "set_num_threads: 0 threads");
}

}  // namespace
