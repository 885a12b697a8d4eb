// The IDX format of (Fashion-)MNIST, plain or gzip-compressed (read with zlib).
#pragma once

#include <cstdint>
#include <string>

#include <xtensor/xarray.hpp>

namespace xg::data {

/// Reads an unsigned-byte IDX file (magic 0x00000801 / 0x00000803 ...), gzip or not, into an
/// array of the stored shape. Throws xg::Error naming the file for a missing file, a bad magic
/// number, an unsupported element type, or a size that does not match the header.
xt::xarray<std::uint8_t> read_idx(const std::string& path);

}  // namespace xg::data
