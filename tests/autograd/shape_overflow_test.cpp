// Shapes that cannot exist are rejected before anything is allocated, by the one shared check
// (checked_shape.hpp) that factories, readers and shape-making operations use; allocations that
// fail name the operation and the bytes asked for.
#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/detail/checked_shape.hpp"
#include "xgrad/io/npy.hpp"

namespace {

using namespace xg;
using xg::test::TempDir;

constexpr std::size_t k2to32 = std::size_t(1) << 32;
constexpr std::size_t k2to40 = std::size_t(1) << 40;

TEST(CheckedShape, CountsElementsOfShapesThatFit) {
  EXPECT_EQ(detail::checked_element_count("t", Shape{}, 8), 1u);
  EXPECT_EQ(detail::checked_element_count("t", Shape{2, 3, 4}, 8), 24u);
  EXPECT_EQ(detail::checked_element_count("t", Shape{0, 5}, 8), 0u);
  // The largest extent allowed: 2^60 doubles span 2^63 bytes, one too many; 2^59 fit.
  EXPECT_EQ(detail::checked_element_count("t", Shape{std::size_t(1) << 59}, 8), std::size_t(1)
                                                                                    << 59);
  EXPECT_THROW_WITH(detail::checked_element_count("t", Shape{std::size_t(1) << 60}, 8), ShapeError,
                    "t: shape (1152921504606846976) is too large");
}

TEST(CheckedShape, ProductsThatWrapAroundAreRejected) {
  // 2^32 * 2^32 * 16 is 0 modulo 2^64: the unchecked count said "size 0".
  EXPECT_THROW_WITH(detail::checked_element_count("op", Shape{k2to32, k2to32, 16}, 4), ShapeError,
                    "op:", "(4294967296, 4294967296, 16)", "too large");
}

TEST(CheckedShape, AZeroDimensionDoesNotExcuseHugeOthers) {
  // Empty, but xtensor's strides (products of the other dimensions) would overflow.
  EXPECT_THROW_WITH(detail::checked_element_count("op", Shape{0, k2to40, k2to40}, 8), ShapeError,
                    "(0, 1099511627776, 1099511627776)");
  EXPECT_THROW_WITH(detail::checked_element_count("op", Shape{k2to40, k2to40, 0}, 8), ShapeError,
                    "too large");
}

TEST(CheckedShape, NegativeDimensionsAreRejected) {
  EXPECT_THROW_WITH(detail::checked_element_count("op", std::vector<long>{2, -3}, 8), ShapeError,
                    "(2, -3)");
}

TEST(ShapeOverflow, FactoriesRejectShapesThatCannotExist) {
  EXPECT_THROW_WITH(Tensor<float>::zeros({k2to32, k2to32, 16}), ShapeError, "Tensor::zeros",
                    "(4294967296, 4294967296, 16)");
  EXPECT_THROW_WITH(Tensor<double>::ones({0, k2to40, k2to40}), ShapeError, "Tensor::ones");
  EXPECT_THROW_WITH(Tensor<double>::full({k2to32, k2to32}, 1.0), ShapeError, "Tensor::full");
  EXPECT_THROW_WITH(Tensor<double>::from({k2to32, k2to32}, std::vector<double>{}), ShapeError,
                    "Tensor::from", "too large");
}

TEST(ShapeOverflow, MatmulOfEmptyOperandsWithAHugeResult) {
  // (2^32, 0) x (0, 2^32) is (2^32, 2^32): it segfaulted in the product.
  auto a = Tensor<double>::zeros({k2to32, 0});
  auto b = Tensor<double>::zeros({0, k2to32});
  EXPECT_THROW_WITH(matmul(a, b), ShapeError, "matmul", "(4294967296, 4294967296)");
  auto x = Tensor<double>::zeros({k2to32, 0}, true);
  auto w = Tensor<double>::zeros({0, k2to32}, true);
  EXPECT_THROW_WITH(linear(x, w), ShapeError, "linear", "too large");
}

TEST(ShapeOverflow, BroadcastToAHugeShape) {
  // The sum of this broadcast returned 0.
  auto one = Tensor<float>::ones({1});
  EXPECT_THROW_WITH(sum(broadcast_to(one, {k2to32, k2to32})), ShapeError, "broadcast_to",
                    "(4294967296, 4294967296)");
}

TEST(ShapeOverflow, BinaryOpsWhoseBroadcastCannotExist) {
  auto col = Tensor<double>::zeros({k2to32, 0});
  auto row = Tensor<double>::zeros({1, 0});
  // (2^32, 0) + (1, 0) is fine and empty; against (2^32, 1, 2^32)-like results it is not.
  EXPECT_EQ(add(col, row).shape(), (Shape{k2to32, 0}));
  auto wide = Tensor<double>::zeros({k2to32, 1, 0});
  auto tall = Tensor<double>::zeros({1, k2to32, 0});
  for (auto op : {add<double>, sub<double>, mul<double>, maximum<double>, minimum<double>}) {
    EXPECT_THROW_WITH(op(wide, tall), ShapeError, "(4294967296, 4294967296, 0)", "too large");
  }
  EXPECT_THROW_WITH(pow(wide, tall), ShapeError, "pow", "too large");
}

TEST(ShapeOverflow, ReshapeTargetsThatCannotExist) {
  auto empty = Tensor<double>::zeros({0});
  // The target's product is 0, like the input's, but its strides overflow.
  EXPECT_THROW_WITH(
      reshape(empty, {0, static_cast<std::ptrdiff_t>(k2to40), static_cast<std::ptrdiff_t>(k2to40)}),
      ShapeError, "reshape", "too large");
  EXPECT_THROW_WITH(reshape(empty, {-1, static_cast<std::ptrdiff_t>(k2to40),
                                    static_cast<std::ptrdiff_t>(k2to40)}),
                    ShapeError, "reshape");
  EXPECT_EQ(reshape(empty, {0, 7}).shape(), (Shape{0, 7}));
}

TEST(ShapeOverflow, ConcatWhoseSizesOverflow) {
  // Each part is empty and exists; their sizes along axis 1 add up to 2^62 (too large for
  // float elements) or to 2^64, which wrapped around to 0.
  auto part = Tensor<float>::zeros({0, std::size_t(1) << 60});
  EXPECT_THROW_WITH(concat<float>({part, part, part, part}, 1), ShapeError, "concat",
                    "(0, 4611686018427387904)", "too large");
  EXPECT_THROW_WITH(concat<float>(std::vector<Tensor<float>>(16, part), 1), ShapeError,
                    "concat: the parts' sizes along axis 1 add up to more");
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XG_ASAN_BUILD 1
#endif
#endif

TEST(AllocationFailure, NamesTheOperationAndTheBytes) {
#ifdef XG_ASAN_BUILD
  GTEST_SKIP() << "AddressSanitizer's operator new aborts on a failed allocation instead of "
                  "throwing std::bad_alloc (even with allocator_may_return_null=1)";
#endif
  // 2^44 doubles: 128 TiB, a shape that exists but memory that does not.
  const std::size_t n = std::size_t(1) << 44;
  EXPECT_THROW_WITH(Tensor<double>::zeros({n}), AllocationError, "Tensor::zeros",
                    "cannot allocate 140737488355328 bytes", "(17592186044416)");
  auto col = Tensor<float>::ones({std::size_t(1) << 22, 1});
  auto row = Tensor<float>::ones({1, std::size_t(1) << 22});
  EXPECT_THROW_WITH(add(col, row), AllocationError, "add", "cannot allocate 70368744177664 bytes");
  EXPECT_THROW_WITH(matmul(col, row), AllocationError, "matmul", "(4194304, 4194304)");
  // An AllocationError is an xg::Error.
  EXPECT_THROW(Tensor<float>::ones({n}), Error);
}

TEST(AllocationFailure, InABackwardRuleNamesTheOperation) {
#ifdef XG_ASAN_BUILD
  GTEST_SKIP() << "AddressSanitizer's operator new aborts on a failed allocation";
#endif
  auto x = Tensor<double>::from({1}, {2}, true);
  auto y =
      record<double>("hungry", xt::xarray<double>(x.value()), {x}, [](BackwardContext<double>& c) {
        std::vector<double> scratch(std::size_t(1) << 44);  // 128 TiB
        c.input_grads[0] = mul(c.grad, scratch.back() + 1);
      });
  EXPECT_THROW_WITH(y.backward(), AllocationError, "backward of 'hungry'", "out of memory");
}

/// A .npy file of float64 with the given header dict text and `data_bytes` zero bytes of data.
void write_npy(const std::filesystem::path& path, const std::string& dict, std::size_t data_bytes) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes += std::string(data_bytes, '\0');
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string dict_with_shape(const std::string& shape) {
  return "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
}

TEST(NpyHeader, AZeroBesideHugeDimensionsIsRejected) {
  // A zero keeps the element count at 0, so a check of the count alone passes while the
  // array's strides overflow.
  TempDir dir;
  write_npy(dir.path() / "a.npy", dict_with_shape("(0, 1099511627776, 1099511627776)"), 0);
  EXPECT_THROW_WITH(load_arrays<double>(dir.str(), {"a"}), ShapeError, "a.npy", "too large");
}

TEST(NpyHeader, ShapesMustBeTuplesAsNumPyWritesThem) {
  TempDir dir;
  for (const std::string bad : {"(2 1)", "(3)", "(,)", "(2,,1)", "(, 2)", "(2, x)"}) {
    write_npy(dir.path() / "a.npy", dict_with_shape(bad), 16);
    EXPECT_THROW_WITH(load_arrays<double>(dir.str(), {"a"}), Error, "bad shape " + bad);
  }
  const std::pair<std::string, Shape> good[] = {
      {"()", {}}, {"(2,)", {2}}, {"(2, 1)", {2, 1}}, {"(1, 2,)", {1, 2}}, {"( 2 , 1 )", {2, 1}}};
  for (const auto& [text, shape] : good) {
    write_npy(dir.path() / "a.npy", dict_with_shape(text), shape.empty() ? 8 : 16);
    const auto arrays = load_arrays<double>(dir.str(), {"a"});
    ASSERT_EQ(arrays.count("a"), 1u) << text;
    EXPECT_EQ(Shape(arrays.at("a").shape().begin(), arrays.at("a").shape().end()), shape) << text;
  }
}

}  // namespace
