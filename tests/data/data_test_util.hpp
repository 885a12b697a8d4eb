// Helpers shared by the data tests: a temporary directory, IDX and text file writers, and an
// "expect this xg error whose message mentions ..." macro.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace xg::test {

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "xgrad-data-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter++) + "-" +
                       (info != nullptr ? std::string(info->name()) : std::string("test"));
    for (char& c : name) {  // parameterised test names hold '/'
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
    }
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Writes `bytes` to `path`, gzip-compressed with zlib when `gzip` is true.
inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes,
                        bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr) << path;
    if (!bytes.empty()) {
      ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
                static_cast<int>(bytes.size()));
    }
    ASSERT_EQ(gzclose(f), Z_OK);
  } else {
    std::ofstream out(path, std::ios::binary);
    ASSERT_TRUE(out) << path;
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
}

/// The bytes of an IDX file: magic 00 00 `type` rank, big-endian dims, then `data`.
inline std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& dims,
                                           const std::vector<std::uint8_t>& data,
                                           std::uint8_t type = 0x08) {
  std::vector<std::uint8_t> b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  ASSERT_TRUE(out) << path;
  out << text;
}

}  // namespace xg::test

/// Expects `statement` to throw `type` whose what() contains each of the given substrings.
#define EXPECT_THROW_WITH(statement, type, ...)                                   \
  do {                                                                            \
    bool xg_thrown_ = false;                                                      \
    try {                                                                         \
      statement;                                                                  \
    } catch (const type& e) {                                                     \
      xg_thrown_ = true;                                                          \
      const std::string xg_msg_ = e.what();                                       \
      for (const std::string& xg_part_ : std::vector<std::string>{__VA_ARGS__}) { \
        EXPECT_NE(xg_msg_.find(xg_part_), std::string::npos)                      \
            << "message \"" << xg_msg_ << "\" lacks \"" << xg_part_ << "\"";      \
      }                                                                           \
    } catch (const std::exception& e) {                                           \
      ADD_FAILURE() << "threw another exception: " << e.what();                   \
      xg_thrown_ = true;                                                          \
    }                                                                             \
    if (!xg_thrown_) ADD_FAILURE() << "did not throw " #type ": " #statement;     \
  } while (0)
