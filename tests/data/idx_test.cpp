// read_idx on small IDX files written at test time, plain and gzip-compressed.
#include <gtest/gtest.h>

#include <numeric>

#include "data/data_test_util.hpp"
#include "xgrad/data/idx.hpp"
#include "xgrad/errors.hpp"

namespace {

using xg::test::idx_bytes;
using xg::test::TempDir;
using xg::test::write_bytes;

std::vector<std::uint8_t> iota_bytes(std::size_t n, std::uint8_t start = 0) {
  std::vector<std::uint8_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

class DataIdx : public ::testing::TestWithParam<bool> {};  // parameter: gzip or not

TEST_P(DataIdx, ReadsRank3ShapeAndValues) {
  TempDir dir;
  const std::string path = dir.file("images.idx");
  write_bytes(path, idx_bytes({2, 3, 4}, iota_bytes(24, 100)), GetParam());
  const auto a = xg::data::read_idx(path);
  ASSERT_EQ(a.dimension(), 3u);
  EXPECT_EQ(a.shape()[0], 2u);
  EXPECT_EQ(a.shape()[1], 3u);
  EXPECT_EQ(a.shape()[2], 4u);
  EXPECT_EQ(a(0, 0, 0), 100);
  EXPECT_EQ(a(0, 2, 3), 111);
  EXPECT_EQ(a(1, 0, 0), 112);
  EXPECT_EQ(a(1, 2, 3), 123);
}

TEST_P(DataIdx, ReadsRank1AndFullByteRange) {
  TempDir dir;
  const std::string path = dir.file("labels.idx");
  std::vector<std::uint8_t> data(256);
  std::iota(data.begin(), data.end(), 0);  // wraps through 0..255
  write_bytes(path, idx_bytes({256}, data), GetParam());
  const auto a = xg::data::read_idx(path);
  ASSERT_EQ(a.dimension(), 1u);
  ASSERT_EQ(a.size(), 256u);
  for (std::size_t i = 0; i < 256; ++i) EXPECT_EQ(a(i), i);
}

TEST_P(DataIdx, ZeroLengthAxisGivesAnEmptyArray) {
  TempDir dir;
  const std::string path = dir.file("empty.idx");
  write_bytes(path, idx_bytes({0, 28, 28}, {}), GetParam());
  const auto a = xg::data::read_idx(path);
  ASSERT_EQ(a.dimension(), 3u);
  EXPECT_EQ(a.shape()[0], 0u);
  EXPECT_EQ(a.shape()[2], 28u);
  EXPECT_EQ(a.size(), 0u);
}

TEST_P(DataIdx, BadMagicNumber) {
  TempDir dir;
  const std::string path = dir.file("bad.idx");
  auto bytes = idx_bytes({3}, {1, 2, 3});
  bytes[0] = 0x1f;
  write_bytes(path, bytes, GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "not an IDX file", "magic");
}

TEST_P(DataIdx, UnsupportedElementType) {
  TempDir dir;
  const std::string path = dir.file("floats.idx");
  write_bytes(path, idx_bytes({1}, {0, 0, 0, 0}, 0x0D), GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "element type 0x0d",
                    "unsigned bytes");
}

TEST_P(DataIdx, UnsupportedRank) {
  TempDir dir;
  const std::string path = dir.file("rank0.idx");
  write_bytes(path, idx_bytes({}, {}), GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "0 dimensions");
}

TEST_P(DataIdx, TruncatedData) {
  TempDir dir;
  const std::string path = dir.file("short.idx");
  write_bytes(path, idx_bytes({2, 3, 4}, iota_bytes(20)), GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "truncated", "(2, 3, 4)", "24",
                    "holds 20");
}

TEST_P(DataIdx, TruncatedHeader) {
  TempDir dir;
  const std::string path = dir.file("header.idx");
  auto bytes = idx_bytes({2, 3, 4}, {});
  bytes.resize(9);  // magic + two of the three dimensions' 12 bytes... cut in the second
  write_bytes(path, bytes, GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "truncated", "dimensions");
}

TEST_P(DataIdx, EmptyFile) {
  TempDir dir;
  const std::string path = dir.file("nothing.idx");
  write_bytes(path, {}, GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "truncated", "magic number");
}

TEST_P(DataIdx, TrailingData) {
  TempDir dir;
  const std::string path = dir.file("long.idx");
  write_bytes(path, idx_bytes({2, 2}, iota_bytes(5)), GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "more data than its header",
                    "(2, 2)");
}

TEST_P(DataIdx, HugeDeclaredShapeOfASmallFileIsTruncatedNotAnAllocation) {
  TempDir dir;
  const std::string path = dir.file("liar.idx");
  // 4e9 x 4 bytes declared (16 GB): must fail fast on the data, not allocate it.
  write_bytes(path, idx_bytes({4000000000u, 4}, iota_bytes(10)), GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "truncated", "holds 10");
  // 2^32-1 cubed overflows 64 bits without a careful check.
  write_bytes(path, idx_bytes({0xffffffffu, 0xffffffffu, 0xffffffffu}, {}), GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::ShapeError, path, "is too large");
  // A zero dimension makes the array empty, but huge others would still overflow its strides
  // (found by the readers fuzzer: UBSan signed overflow in xtensor).
  write_bytes(path, idx_bytes({0, 0x03052033u, 0x65ceca13u, 0x14151617u}, {}), GetParam());
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::ShapeError, path, "is too large");
}

INSTANTIATE_TEST_SUITE_P(PlainAndGzip, DataIdx, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "gzip" : "plain"; });

TEST(DataIdxFile, MissingFileNamesIt) {
  TempDir dir;
  const std::string path = dir.file("absent-idx1-ubyte.gz");
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path, "no such file");
}

TEST(DataIdxFile, DirectoryIsRejected) {
  TempDir dir;
  EXPECT_THROW_WITH(xg::data::read_idx(dir.path().string()), xg::Error, dir.path().string(),
                    "directory");
}

TEST(DataIdxFile, CorruptGzipStreamIsAnError) {
  TempDir dir;
  const std::string path = dir.file("corrupt.gz");
  std::vector<std::uint8_t> data(4000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 % 251);
  write_bytes(path, idx_bytes({4000}, data), true);
  // Damage the compressed stream (after the 10-byte gzip header, before the 8-byte trailer).
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(f.tellg());
  ASSERT_GT(size, 40u);
  for (std::size_t pos = 12; pos + 8 < size; pos += 5) {
    f.seekp(static_cast<std::streamoff>(pos));
    f.put(static_cast<char>(0xA5));
  }
  f.close();
  EXPECT_THROW_WITH(xg::data::read_idx(path), xg::Error, path);
}

TEST(DataIdxFile, GzipAndPlainGiveTheSameArray) {
  TempDir dir;
  const auto bytes = idx_bytes({5, 7}, iota_bytes(35, 3));
  write_bytes(dir.file("a"), bytes, false);
  write_bytes(dir.file("a.gz"), bytes, true);
  const auto plain = xg::data::read_idx(dir.file("a"));
  const auto gz = xg::data::read_idx(dir.file("a.gz"));
  EXPECT_EQ(plain, gz);
  EXPECT_EQ(plain(4, 6), 37);
}

}  // namespace
