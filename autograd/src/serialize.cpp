// .npy directories (see serialize.hpp).
//
// Saving is atomic per directory: the new files are written into a staging directory beside the
// target (files of the target that are not rewritten are hard-linked in), each file and the
// directory are fsynced, and the staging directory is swapped with the target in one
// renameat2(RENAME_EXCHANGE). A crash or kill at any moment leaves either the complete previous
// directory or the complete new one. Loading is strict: the .npy header, element type and exact
// byte size are checked before anything is allocated or returned.
#include "xgrad/serialize.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "util.hpp"
#include "xgrad/detail/checked_shape.hpp"
#include "xgrad/detail/value_cache.hpp"

namespace xg {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "the .npy files are little-endian");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLength = 6;
constexpr std::size_t kMaxHeader = 1 << 16;  // numpy's own headers are well below this

fs::path file_of(const fs::path& directory, const std::string& name) {
  return directory / (name + ".npy");
}

std::string sys_error() {
  return std::strerror(errno);
}

template <class T>
const char* descr() {
  return std::is_same_v<T, float> ? "<f4" : "<f8";
}

// --- writing ---------------------------------------------------------------------------------

template <class T>
std::string npy_bytes_header(const xt::xarray<T>& a) {
  std::string shape = "(";
  for (auto d : a.shape()) shape += std::to_string(d) + ", ";
  if (a.dimension() == 1) shape.resize(shape.size() - 1);  // "(3,)" as numpy writes it
  if (a.dimension() > 1) shape.resize(shape.size() - 2);
  shape += ")";
  std::string dict = "{'descr': '" + std::string(descr<T>()) +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Version 1.0: magic, 2 version bytes, uint16 length; data aligned to 64 bytes.
  const std::size_t fixed = kMagicLength + 2 + 2;
  std::size_t total = fixed + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - fixed - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicLength);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  return out + dict;
}

void write_all(int fd, const char* data, std::size_t n, const fs::path& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error("save_arrays: cannot write '" + path.string() + "': " + sys_error());
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

/// Writes one array as a new file and makes it durable (fsync) before returning.
template <class T>
void write_npy(const fs::path& path, const xt::xarray<T>& a) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("save_arrays: cannot create '" + path.string() + "': " + sys_error());
  try {
    const std::string header = npy_bytes_header(a);
    write_all(fd, header.data(), header.size(), path);
    const xt::xarray<T> row_major = a;  // a copy only if `a` is not already row-major
    write_all(fd, reinterpret_cast<const char*>(row_major.data()), row_major.size() * sizeof(T),
              path);
    if (::fsync(fd) != 0) {
      throw Error("save_arrays: cannot flush '" + path.string() + "': " + sys_error());
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) {
    throw Error("save_arrays: cannot close '" + path.string() + "': " + sys_error());
  }
}

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    throw Error("save_arrays: cannot open directory '" + dir.string() + "': " + sys_error());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0)
    throw Error("save_arrays: cannot flush directory '" + dir.string() + "': " + sys_error());
}

/// The target without a trailing separator ("ckpt/" -> "ckpt"), so siblings can be named.
fs::path normalised(const std::string& directory) {
  fs::path p = fs::path(directory).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  if (p.empty() || p == "." || p == "..") {
    throw Error("save_arrays: '" + directory +
                "' cannot be replaced atomically; name a "
                "directory such as 'checkpoint'");
  }
  return p;
}

/// ".<name>.saving-<pid>-<n>" beside the target: same file system, so rename is atomic.
fs::path staging_for(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  return target.parent_path() / ("." + target.filename().string() + ".saving-" +
                                 std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

/// The previous directory kept by the fallback swap (file systems without RENAME_EXCHANGE).
fs::path previous_of(const fs::path& target) {
  return target.parent_path() / ("." + target.filename().string() + ".previous");
}

/// Staging directories of processes that died mid-save (kill -9, power loss) are garbage.
void remove_stale_staging(const fs::path& target) {
  const std::string prefix = "." + target.filename().string() + ".saving-";
  std::error_code ec;
  const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

/// Puts `staging` in place of `target`; afterwards `staging` holds the old files (if any).
void swap_into_place(const fs::path& staging, const fs::path& target, bool target_exists) {
  if (!target_exists) {
    if (::rename(staging.c_str(), target.c_str()) != 0) {
      throw Error("save_arrays: cannot move the new checkpoint to '" + target.string() +
                  "': " + sys_error());
    }
    return;
  }
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    return;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
    throw Error("save_arrays: cannot swap in the new checkpoint at '" + target.string() +
                "': " + sys_error());
  }
  // No atomic exchange here: keep the old directory as ".<name>.previous" for the instant the
  // target does not exist; load_arrays falls back to it.
  const fs::path previous = previous_of(target);
  std::error_code ec;
  fs::remove_all(previous, ec);
  if (::rename(target.c_str(), previous.c_str()) != 0 ||
      ::rename(staging.c_str(), target.c_str()) != 0) {
    throw Error("save_arrays: cannot replace '" + target.string() + "': " + sys_error());
  }
  fsync_directory(target.parent_path().empty() ? fs::path(".") : target.parent_path());
  fs::rename(previous, staging, ec);
}

// --- reading ---------------------------------------------------------------------------------

/// Parses "'key': value" out of the header dict; the value runs to the next top-level ',' or '}'.
std::string header_value(const std::string& header, const std::string& key,
                         const std::string& where) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) throw Error(where + ": the header has no '" + key + "'");
  auto colon = header.find(':', k);
  if (colon == std::string::npos) throw Error(where + ": malformed header entry '" + key + "'");
  std::size_t begin = header.find_first_not_of(' ', colon + 1);
  if (begin == std::string::npos) throw Error(where + ": malformed header entry '" + key + "'");
  std::size_t end = begin;
  if (header[begin] == '(') {
    end = header.find(')', begin);
    if (end == std::string::npos) throw Error(where + ": unterminated shape in the header");
    return header.substr(begin, end - begin + 1);
  }
  end = header.find_first_of(",}", begin);
  if (end == std::string::npos) throw Error(where + ": malformed header entry '" + key + "'");
  std::string v = header.substr(begin, end - begin);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

/// The shape tuple of a .npy header as NumPy writes and reads it (a Python tuple literal of
/// non-negative integers): "()", "(3,)", "(2, 3)", "(2, 3,)". Anything else, such as "(2 1)",
/// "(3)" (an int, not a tuple) or "(,)", is rejected as NumPy rejects it.
std::vector<std::size_t> parse_shape(const std::string& text, const std::string& where) {
  const auto bad = [&]() -> Error {
    return Error(where + ": bad shape " + text + " in the header");
  };
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') throw bad();
  std::vector<std::size_t> shape;
  std::size_t i = 1;
  const std::size_t end = text.size() - 1;
  const auto skip_spaces = [&] {
    while (i < end && text[i] == ' ') ++i;
  };
  bool trailing_comma = false;
  skip_spaces();
  while (i < end) {
    if (text[i] < '0' || text[i] > '9') throw bad();
    std::size_t d = 0;
    while (i < end && text[i] >= '0' && text[i] <= '9') {
      const std::size_t digit = static_cast<std::size_t>(text[i] - '0');
      if (d > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
        throw Error(where + ": dimension too large in shape " + text);
      }
      d = d * 10 + digit;
      ++i;
    }
    shape.push_back(d);
    if (shape.size() > 32) throw Error(where + ": more than 32 dimensions in shape " + text);
    skip_spaces();
    trailing_comma = false;
    if (i == end) break;
    if (text[i] != ',') throw bad();  // "(2 1)"
    ++i;
    trailing_comma = true;
    skip_spaces();
  }
  if (shape.size() == 1 && !trailing_comma) throw bad();  // "(3)" is an int
  return shape;
}

template <class T>
xt::xarray<T> read_npy(const fs::path& path) {
  const std::string where = "load_arrays: '" + path.string() + "'";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(where + ": cannot open the file");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  char pre[kMagicLength + 2];
  if (!in.read(pre, sizeof pre) || std::memcmp(pre, kMagic, kMagicLength) != 0) {
    throw Error(where + " is not a .npy file (bad magic string)");
  }
  const int major = static_cast<unsigned char>(pre[kMagicLength]);
  std::size_t len_bytes = 0;
  if (major == 1) {
    len_bytes = 2;
  } else if (major == 2 || major == 3) {
    len_bytes = 4;
  } else {
    throw Error(where + ": unsupported .npy version " + std::to_string(major));
  }
  unsigned char len_le[4] = {0, 0, 0, 0};
  if (!in.read(reinterpret_cast<char*>(len_le), static_cast<std::streamsize>(len_bytes))) {
    throw Error(where + ": truncated header");
  }
  const std::size_t header_len =
      static_cast<std::size_t>(len_le[0]) | (static_cast<std::size_t>(len_le[1]) << 8) |
      (static_cast<std::size_t>(len_le[2]) << 16) | (static_cast<std::size_t>(len_le[3]) << 24);
  const std::uint64_t data_offset = kMagicLength + 2 + len_bytes + header_len;
  if (header_len > kMaxHeader || data_offset > file_size) {
    throw Error(where + ": truncated or corrupt header (" + std::to_string(header_len) +
                " bytes announced, file of " + std::to_string(file_size) + " bytes)");
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len))) {
    throw Error(where + ": truncated header");
  }
  const std::string type = header_value(header, "descr", where);
  const std::string want = "'" + std::string(descr<T>()) + "'";
  if (type != want) {
    throw Error(where + " holds elements of type " + type + ", expected " + want +
                (std::is_same_v<T, float> ? " (float32)" : " (float64)"));
  }
  const std::string order = header_value(header, "fortran_order", where);
  if (order != "False" && order != "True") {
    throw Error(where + ": bad fortran_order " + order);
  }
  const auto shape = parse_shape(header_value(header, "shape", where), where);
  const std::uint64_t count = detail::checked_element_count(where.c_str(), shape, sizeof(T));
  const std::uint64_t data_bytes = file_size - data_offset;
  if (data_bytes != count * sizeof(T)) {
    throw Error(where + ": shape " + shape_str(shape) + " needs " +
                std::to_string(count * sizeof(T)) + " bytes of data but the file has " +
                std::to_string(data_bytes) +
                (data_bytes < count * sizeof(T) ? " (truncated)" : ""));
  }
  std::vector<std::size_t> stored = shape;
  if (order == "True") std::reverse(stored.begin(), stored.end());
  xt::xarray<T> out = detail::uninitialized_array<T>(where.c_str(), detail::to_array_shape(stored));
  if (count > 0 &&
      !in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(data_bytes))) {
    throw Error(where + ": cannot read the data");
  }
  if (order == "True") {
    xt::xarray<T> row_major = xt::transpose(out);
    return row_major;
  }
  return out;
}

/// The directory to read: the target, or the fallback swap's previous copy if a save was cut
/// at the one instant the target did not exist.
fs::path readable(const std::string& directory) {
  std::error_code ec;
  if (fs::exists(directory, ec)) return fs::path(directory);
  const fs::path target = fs::path(directory).lexically_normal();
  const fs::path norm = target.filename().empty() ? target.parent_path() : target;
  if (!norm.empty() && fs::is_directory(previous_of(norm), ec)) return previous_of(norm);
  return fs::path(directory);
}

}  // namespace

template <class T>
void save_arrays(const std::string& directory, const std::map<std::string, xt::xarray<T>>& arrays) {
  const fs::path target = normalised(directory);
  std::error_code ec;
  if (!target.parent_path().empty()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      throw Error("save_arrays: cannot create directory '" + target.parent_path().string() +
                  "': " + ec.message());
    }
  }
  const bool exists = fs::exists(target, ec);
  if (exists && !fs::is_directory(target, ec)) {
    throw Error("save_arrays: '" + directory + "' exists and is not a directory");
  }
  for (const auto& [name, array] : arrays) {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      throw Error("save_arrays: bad array name '" + name + "' (a file name, without '/')");
    }
  }
  remove_stale_staging(target);

  const fs::path staging = staging_for(target);
  fs::remove_all(staging, ec);
  if (!fs::create_directory(staging, ec) || ec) {
    throw Error("save_arrays: cannot create '" + staging.string() + "': " + ec.message());
  }
  struct Cleanup {
    const fs::path& path;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(path, e);
    }
  } cleanup{staging};

  // Keep the files this save does not rewrite (saving only some arrays into a checkpoint).
  if (exists) {
    for (const auto& entry : fs::directory_iterator(target, ec)) {
      const auto file = entry.path().filename();
      if (entry.is_directory()) {
        throw Error("save_arrays: '" + directory + "' holds the subdirectory '" + file.string() +
                    "'; a checkpoint directory is replaced as a whole and may "
                    "hold files only");
      }
      const std::string stem = file.extension() == ".npy" ? file.stem().string() : "";
      if (!stem.empty() && arrays.count(stem)) continue;
      fs::create_hard_link(entry.path(), staging / file, ec);
      if (ec) fs::copy_file(entry.path(), staging / file, ec);
      if (ec) {
        throw Error("save_arrays: cannot carry over '" + entry.path().string() +
                    "': " + ec.message());
      }
    }
    if (ec) throw Error("save_arrays: cannot read directory '" + directory + "': " + ec.message());
  }
  for (const auto& [name, array] : arrays) write_npy(file_of(staging, name), array);
  fsync_directory(staging);
  swap_into_place(staging, target, exists);
  fsync_directory(target.parent_path().empty() ? fs::path(".") : target.parent_path());
  // `staging` now holds the previous files (or nothing); Cleanup removes it.
}

template <class T>
std::map<std::string, xt::xarray<T>> load_arrays(const std::string& directory,
                                                 const std::vector<std::string>& names) {
  const fs::path dir = readable(directory);
  std::map<std::string, xt::xarray<T>> out;
  for (const auto& name : names) {
    const auto path = file_of(dir, name);
    if (!fs::is_regular_file(path)) {
      throw Error("load_arrays: missing file '" + path.string() + "' for '" + name + "'");
    }
    out.emplace(name, read_npy<T>(path));
  }
  return out;
}

std::vector<std::string> list_arrays(const std::string& directory) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(readable(directory), ec)) {
    if (entry.path().extension() == ".npy") names.push_back(entry.path().stem().string());
  }
  if (ec) throw Error("list_arrays: cannot read directory '" + directory + "': " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

#define XG_INSTANTIATE(T)                                                                        \
  template void save_arrays<T>(const std::string&, const std::map<std::string, xt::xarray<T>>&); \
  template std::map<std::string, xt::xarray<T>> load_arrays<T>(const std::string&,               \
                                                               const std::vector<std::string>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
