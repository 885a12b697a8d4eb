// The per-thread cache of small value buffers (xgrad/detail/value_cache.hpp): arrays built on a
// reused buffer are indistinguishable from xtensor's own, buffers come back last in first out,
// and the cache holds no more than operations took from it.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test_support.hpp"
#include "tape/value_cache.hpp"
#include "xgrad/memory.hpp"

namespace xg {
namespace {

using detail::recycle_buffer;
using detail::uninitialized_array;
using A = xt::xarray<double>;

void expect_same_layout(const A& a, const A& b) {
  EXPECT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.strides(), b.strides());
  EXPECT_EQ(a.backstrides(), b.backstrides());
  EXPECT_EQ(a.layout(), b.layout());
  EXPECT_EQ(a.size(), b.size());
}

TEST(ValueCache, ReusedBufferGivesTheLayoutOfFromShape) {
  release_cached_memory();
  const std::vector<A::shape_type> shapes = {{},     {1},    {6},       {1, 6},
                                             {6, 1}, {2, 3}, {3, 1, 2}, {2, 1, 3, 1}};
  for (const A::shape_type& shape : shapes) {
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    A donor =
        uninitialized_array<double>("test", A::shape_type{n});  // taken from the cache's account
    const double* buffer = donor.data();
    recycle_buffer(donor);
    EXPECT_EQ(donor.storage().size(), 0u);  // the buffer moved into the cache
    A a = uninitialized_array<double>("test", shape);
    EXPECT_EQ(a.data(), buffer) << "shape of " << shape.size() << " dims";
    expect_same_layout(a, A::from_shape(shape));
    // Usable like any array: the broadcasting of size-1 axes relies on their zero strides.
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<double>(i);
    const A doubled = a + a;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(doubled.data()[i], 2.0 * i);
  }
  release_cached_memory();
  EXPECT_EQ(cached_value_bytes(), 0u);
}

TEST(ValueCache, LastInFirstOutAndOnlySmallBuffers) {
  release_cached_memory();
  A a = uninitialized_array<double>("test", {3}), b = uninitialized_array<double>("test", {3});
  A big = uninitialized_array<double>("test", {detail::kCachedValueElements + 1});
  const double* pa = a.data();
  const double* pb = b.data();
  recycle_buffer(a);
  recycle_buffer(b);
  recycle_buffer(big);
  EXPECT_EQ(big.storage().size(), detail::kCachedValueElements + 1);    // left to glibc
  EXPECT_EQ(cached_value_bytes(), 2 * (32 + sizeof(A::storage_type)));  // two 32-byte chunks
  EXPECT_EQ(uninitialized_array<double>("test", {3}).data(), pb);
  EXPECT_EQ(uninitialized_array<double>("test", {3}).data(), pa);
  EXPECT_EQ(cached_value_bytes(), 0u);
}

TEST(ValueCache, ABufferMadeElsewhereOnlyStandsInForALostOne) {
  release_cached_memory();
  { A lost = uninitialized_array<double>("test", {2}); }  // taken, then freed without coming back
  std::vector<A> made_elsewhere(10, A{1.0, 2.0});
  for (A& a : made_elsewhere) recycle_buffer(a);
  std::size_t kept = 0;
  for (const A& a : made_elsewhere) kept += a.storage().empty() ? 1 : 0;
  EXPECT_EQ(kept, 1u);
  EXPECT_EQ(cached_value_bytes(), 32 + sizeof(A::storage_type));
  release_cached_memory();
}

TEST(ValueCache, HoldsNoMoreThanOperationsTook) {
  release_cached_memory();
  // Values made by the user or by xtensor expressions were never taken from the cache: their
  // buffers are freed as usual, however many die.
  for (int i = 0; i < 1000; ++i) {
    Tensor<double> t(A{1.0, 2.0, 3.0});
    A e = t.value() * 2.0;
    recycle_buffer(e);
  }
  EXPECT_EQ(cached_value_bytes(), 0u);
  // A step of small operations leaves exactly its own buffers behind, and the next identical
  // step takes them all and gives them all back.
  auto step = [] {
    Tensor<double> x = Tensor<double>::from({2}, {0.5, -1.5}, true);
    Tensor<double> y = x;
    for (int i = 0; i < 200; ++i) y = tanh(y * 1.5 + 0.25);
    sum(y).backward();
    return x.grad().value();
  };
  const A g = step();
  const std::size_t kept = cached_value_bytes();
  EXPECT_GT(kept, 0u);
  for (int i = 0; i < 5; ++i) {
    test::expect_close(step(), g, 0.0);
    EXPECT_EQ(cached_value_bytes(), kept);
  }
  release_cached_memory();
  EXPECT_EQ(cached_value_bytes(), 0u);
}

TEST(ValueCache, BuffersFreedOnAnotherThreadAreNotKeptThere) {
  release_cached_memory();
  Tensor<double> made_here = Tensor<double>::scalar(2.0, true) * 3.0;
  std::size_t other_thread_bytes = 1;
  std::thread([&] {
    made_here = Tensor<double>();  // the node and its buffer die on this thread
    other_thread_bytes = cached_value_bytes();
  }).join();
  EXPECT_EQ(other_thread_bytes, 0u);
  EXPECT_EQ(cached_value_bytes(), 0u);
}

}  // namespace
}  // namespace xg
