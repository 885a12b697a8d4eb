// IDX reader (see idx.hpp). gzopen reads plain files transparently too.
//
// The data are read in growing chunks before the result array is allocated, so a corrupt header
// that declares a huge shape costs no more memory than the file really holds.
#include "xgrad/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "xgrad/detail/checked_shape.hpp"
#include "xgrad/errors.hpp"

namespace xg::data {

namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

/// zlib's description of the last error on `f`, or the C library's for a system error.
std::string gz_reason(gzFile f) {
  int code = Z_OK;
  const char* msg = gzerror(f, &code);
  if (code == Z_ERRNO) return std::strerror(errno);
  if (code != Z_OK && msg != nullptr && *msg != '\0') return msg;
  return "unexpected end of file";
}

/// Reads up to `bytes` bytes; returns how many were read before the end of the data.
std::size_t read_some(gzFile f, unsigned char* out, std::size_t bytes, const std::string& path,
                      const char* what) {
  std::size_t done = 0;
  while (done < bytes) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes - done, 1u << 30));
    const int got = gzread(f, out + done, chunk);
    if (got < 0) {
      throw Error("read_idx: '" + path + "' is corrupt while reading " + what + " (" +
                  gz_reason(f) + ")");
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

void read_exact(gzFile f, unsigned char* out, std::size_t bytes, const std::string& path,
                const char* what) {
  const std::size_t got = read_some(f, out, bytes, path, what);
  if (got != bytes) {
    throw Error("read_idx: '" + path + "' is truncated: it ends after " + std::to_string(got) +
                " of the " + std::to_string(bytes) + " bytes of " + what);
  }
}

std::uint32_t big_endian(const unsigned char* b) {
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) |
         std::uint32_t(b[3]);
}

std::string hex_byte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(b));
  return buf;
}

}  // namespace

xt::xarray<std::uint8_t> read_idx(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    throw Error("read_idx: cannot open '" + path + "': no such file");
  }
  if (std::filesystem::is_directory(status)) {
    throw Error("read_idx: cannot open '" + path + "': it is a directory");
  }
  errno = 0;
  GzHandle f(gzopen(path.c_str(), "rb"));
  if (!f) {
    throw Error("read_idx: cannot open '" + path + "'" +
                (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string()));
  }
  gzbuffer(f.get(), 1u << 17);  // larger reads than zlib's 8 KiB default: faster inflating

  unsigned char magic[4];
  read_exact(f.get(), magic, 4, path, "the magic number");
  if (magic[0] != 0 || magic[1] != 0) {
    throw Error("read_idx: '" + path + "' is not an IDX file (bad magic number " +
                hex_byte(magic[0]) + hex_byte(magic[1]).substr(2) + hex_byte(magic[2]).substr(2) +
                hex_byte(magic[3]).substr(2) + ")");
  }
  if (magic[2] != 0x08) {
    throw Error("read_idx: '" + path + "' holds element type " + hex_byte(magic[2]) +
                "; only unsigned bytes (0x08) are supported");
  }
  const std::size_t rank = magic[3];
  if (rank == 0 || rank > 4) {
    throw Error("read_idx: '" + path + "' declares " + std::to_string(rank) +
                " dimensions (1 to 4 supported)");
  }
  std::vector<unsigned char> dims(4 * rank);
  read_exact(f.get(), dims.data(), dims.size(), path, "the dimensions");
  xt::xarray<std::uint8_t>::shape_type shape(rank);
  for (std::size_t i = 0; i < rank; ++i) shape[i] = big_endian(&dims[4 * i]);
  // The shared shape check: with a zero dimension the array is empty, but huge other dimensions
  // would still overflow its strides.
  const std::string where = "read_idx: '" + path + "'";
  const std::size_t total = xg::detail::checked_element_count(where.c_str(), shape, 1);

  // Grow the buffer as data arrive: a lying header cannot make us allocate more than the file
  // holds (plus one chunk).
  std::vector<std::uint8_t> buffer;
  constexpr std::size_t first_chunk = std::size_t(64) << 20;
  std::size_t have = 0;
  while (have < total) {
    const std::size_t want = std::min(total, std::max(first_chunk, 2 * have));
    buffer.resize(want);
    const std::size_t got = read_some(f.get(), buffer.data() + have, want - have, path, "the data");
    have += got;
    if (have < want) {
      throw Error("read_idx: '" + path + "' is truncated: its header declares shape " +
                  shape_str(shape) + " (" + std::to_string(total) +
                  " bytes of data) but it holds " + std::to_string(have));
    }
  }
  unsigned char extra;
  if (read_some(f.get(), &extra, 1, path, "the end of the file") > 0) {
    throw Error("read_idx: '" + path + "' holds more data than its header declares (shape " +
                shape_str(shape) + ", " + std::to_string(total) + " bytes)");
  }
  auto out = xt::xarray<std::uint8_t>::from_shape(shape);
  std::copy_n(buffer.data(), total, out.data());
  return out;
}

}  // namespace xg::data
