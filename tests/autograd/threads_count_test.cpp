// xg::set_num_threads sets OpenBLAS's thread count; matrix products stay exact either way.
#include <gtest/gtest.h>

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

TEST(NumThreads, RejectsZero) {
  EXPECT_THROW_WITH(xg::set_num_threads(0), xg::DomainError, "set_num_threads: 0 threads");
}

}  // namespace
