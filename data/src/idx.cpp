// IDX reader (see idx.hpp). gzopen reads plain files transparently too.
#include "xgrad/data/idx.hpp"

#include <zlib.h>

#include <memory>
#include <vector>

#include "xgrad/errors.hpp"

namespace xg::data {

namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

void read_exact(gzFile f, void* buffer, std::size_t bytes, const std::string& path,
                const char* what) {
  auto* out = static_cast<unsigned char*>(buffer);
  while (bytes > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes, 1u << 30));
    const int got = gzread(f, out, chunk);
    if (got <= 0) {
      throw Error("read_idx: '" + path + "' is truncated or corrupt while reading " + what);
    }
    out += got;
    bytes -= static_cast<std::size_t>(got);
  }
}

std::uint32_t big_endian(const unsigned char* b) {
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) |
         std::uint32_t(b[3]);
}

}  // namespace

xt::xarray<std::uint8_t> read_idx(const std::string& path) {
  GzHandle f(gzopen(path.c_str(), "rb"));
  if (!f) throw Error("read_idx: cannot open '" + path + "'");
  unsigned char magic[4];
  read_exact(f.get(), magic, 4, path, "the magic number");
  if (magic[0] != 0 || magic[1] != 0) {
    throw Error("read_idx: '" + path + "' is not an IDX file (bad magic number)");
  }
  if (magic[2] != 0x08) {
    throw Error("read_idx: '" + path + "' holds element type 0x" +
                std::to_string(static_cast<int>(magic[2])) +
                "; only unsigned bytes (0x08) are supported");
  }
  const std::size_t rank = magic[3];
  if (rank == 0 || rank > 4) {
    throw Error("read_idx: '" + path + "' declares " + std::to_string(rank) + " dimensions");
  }
  std::vector<unsigned char> dims(4 * rank);
  read_exact(f.get(), dims.data(), dims.size(), path, "the dimensions");
  xt::xarray<std::uint8_t>::shape_type shape(rank);
  std::size_t total = 1;
  for (std::size_t i = 0; i < rank; ++i) {
    shape[i] = big_endian(&dims[4 * i]);
    total *= shape[i];
    if (total > (std::size_t(1) << 34)) {
      throw Error("read_idx: '" + path + "' declares an implausibly large shape");
    }
  }
  auto out = xt::xarray<std::uint8_t>::from_shape(shape);
  read_exact(f.get(), out.data(), total, path, "the data");
  unsigned char extra;
  if (gzread(f.get(), &extra, 1) > 0) {
    throw Error("read_idx: '" + path + "' holds more data than its header declares");
  }
  return out;
}

}  // namespace xg::data
