// release_cached_memory: the node blocks and value buffers a long tape leaves in this thread's
// caches are kept for reuse (counted by cached_node_bytes and cached_value_bytes) until the
// program hands them back.
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

namespace xg {
namespace {

using D = Tensor<double>;

double chain(int n) {
  D x = D::scalar(1.0, true);
  D y = x;
  for (int i = 0; i < n; ++i) y = y * 1.0001 + 0.0001;
  y.backward();
  return x.grad().item();
}

TEST(MemoryRelease, PooledNodeBlocksAndValuesAreKeptThenReleased) {
  release_cached_memory();
  EXPECT_EQ(cached_node_bytes(), 0u);
  const double g = chain(20'000);  // 40,000 nodes of a few hundred bytes
  EXPECT_GT(cached_node_bytes(), 40'000u * 256u);
  // ... and its 40,000 one-element value buffers, 32-byte glibc chunks
  EXPECT_GE(cached_value_bytes(), 40'000u * 32u);
  const std::size_t kept = cached_node_bytes();
  const std::size_t kept_values = cached_value_bytes();
  EXPECT_DOUBLE_EQ(chain(20'000), g);  // the same chain again reuses the blocks and buffers
  EXPECT_EQ(cached_node_bytes(), kept);
  EXPECT_EQ(cached_value_bytes(), kept_values);
  release_cached_memory();
  EXPECT_EQ(cached_node_bytes(), 0u);
  EXPECT_EQ(cached_value_bytes(), 0u);
  EXPECT_DOUBLE_EQ(chain(100), std::pow(1.0001, 100));  // and the pool fills again from scratch
  EXPECT_GT(cached_node_bytes(), 0u);
}

}  // namespace
}  // namespace xg
