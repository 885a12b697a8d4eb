// .npy directories (see xgrad/io/npy.hpp).
//
// Saving replaces the whole directory atomically: the new files are written into a staging
// directory beside the target, each file and the directory are fsynced, and the staging
// directory is swapped with the target in one renameat2(RENAME_EXCHANGE); the previous
// checkpoint, now at the staging name, is then removed. A crash or kill at any moment leaves
// either the complete previous directory or the complete new one. Loading is strict: the .npy
// header, element type and exact byte size are checked before anything is allocated or
// returned.
#include "xgrad/io/npy.hpp"

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
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "ops/util.hpp"
#include "xgrad/detail/checked_shape.hpp"
#include "tape/value_cache.hpp"

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

/// The one check of array names, for writing and reading alike: a plain file name, so that
/// "<directory>/<name>.npy" is a file inside the directory.
void check_array_name(const char* who, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    std::string shown;
    for (char c : name) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
    throw Error(std::string(who) + ": bad array name '" + shown +
                "' (a file name: not empty, '.' or '..', without '/' or NUL)");
  }
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

/// The directory a save replaces: `target` itself or, if it is a symbolic link, where the link
/// leads (a dangling link included), so that the link stays and its target gets the
/// checkpoint, as torch.save writes through a link.
fs::path through_links(fs::path target, const std::string& directory) {
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(target, ec))) return target;
    if (fs::exists(target, ec)) {
      const fs::path real = fs::canonical(target, ec);
      if (ec) {
        throw Error("save_arrays: cannot follow the link '" + directory + "': " + ec.message());
      }
      return real;
    }
    const fs::path to = fs::read_symlink(target, ec);
    if (ec) throw Error("save_arrays: cannot read the link '" + directory + "': " + ec.message());
    target = fs::weakly_canonical(to.is_absolute() ? to : target.parent_path() / to, ec);
    if (ec) {
      throw Error("save_arrays: cannot follow the link '" + directory + "': " + ec.message());
    }
  }
  throw Error("save_arrays: too many levels of symbolic links at '" + directory + "'");
}

std::string mode_str(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

/// Refuses a directory the caller may not change: access(2) gives the caller's rights, and a
/// directory without any write bit (0555) is refused even to root, whom access(2) lets write
/// anywhere.
void require_writable(const fs::path& dir, const std::string& what) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    throw Error("save_arrays: cannot inspect " + what + " '" + dir.string() + "': " + sys_error());
  }
  const bool no_write_bit = (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0;
  if (no_write_bit || ::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    throw Error("save_arrays: " + what + " '" + dir.string() + "' is not writable (mode " +
                mode_str(st.st_mode) + "); nothing was saved and the checkpoint is unchanged");
  }
}

/// A save deletes the previous checkpoint, so the directory may hold nothing but its .npy files:
/// anything else is refused, never deleted.
void require_only_arrays(const fs::path& target, const std::string& directory) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    const fs::path file = entry.path().filename();
    std::error_code type_ec;
    const bool subdirectory = entry.symlink_status(type_ec).type() == fs::file_type::directory;
    if (file.extension() != ".npy" || subdirectory) {
      throw Error("save_arrays: '" + directory + "' holds " +
                  (subdirectory ? "the subdirectory '" : "'") + file.string() +
                  "', which is not part of a checkpoint; a save replaces the whole directory, "
                  "so it may hold .npy files only (move it, or save elsewhere)");
    }
  }
  if (ec) throw Error("save_arrays: cannot read directory '" + directory + "': " + ec.message());
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

/// Removes a staging directory, also one whose permission bits forbid it (copied from an old
/// checkpoint, or left so by an earlier version).
void remove_staging(const fs::path& staging) {
  std::error_code ec;
  if (fs::remove_all(staging, ec) != static_cast<std::uintmax_t>(-1) && !ec) return;
  ::chmod(staging.c_str(), S_IRWXU);
  fs::remove_all(staging, ec);
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
      remove_staging(entry.path());
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

/// The directory to read: the target, or the fallback swap's previous copy (beside the link's
/// target for a symbolic link) if a save was cut at the one instant the target did not exist.
fs::path readable(const std::string& directory) {
  std::error_code ec;
  if (fs::exists(directory, ec)) return fs::path(directory);
  fs::path target = fs::path(directory).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  if (target.empty()) return fs::path(directory);
  try {
    target = through_links(target, directory);
  } catch (const Error&) {
    return fs::path(directory);
  }
  if (fs::is_directory(previous_of(target), ec)) return previous_of(target);
  return fs::path(directory);
}

}  // namespace

template <class T>
void save_arrays(const std::string& directory, const std::map<std::string, xt::xarray<T>>& arrays) {
  for (const auto& [name, array] : arrays) check_array_name("save_arrays", name);
  const fs::path target = through_links(normalised(directory), directory);
  const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) {
    throw Error("save_arrays: cannot create directory '" + parent.string() + "': " + ec.message());
  }
  struct stat old {};
  const bool exists = ::stat(target.c_str(), &old) == 0;
  if (exists && !S_ISDIR(old.st_mode)) {
    throw Error("save_arrays: '" + directory + "' exists and is not a directory");
  }
  if (exists) {
    require_writable(target, "the checkpoint directory");
    require_only_arrays(target, directory);
  }
  require_writable(parent, "the directory");
  remove_stale_staging(target);

  const fs::path staging = staging_for(target);
  remove_staging(staging);
  if (!fs::create_directory(staging, ec) || ec) {
    throw Error("save_arrays: cannot create '" + staging.string() + "': " + ec.message());
  }
  struct Cleanup {
    const fs::path& path;
    ~Cleanup() { remove_staging(path); }
  } cleanup{staging};

  for (const auto& [name, array] : arrays) write_npy(file_of(staging, name), array);
  fsync_directory(staging);
  if (exists && ::chmod(staging.c_str(), old.st_mode & 07777) != 0) {
    throw Error("save_arrays: cannot set the permissions of '" + staging.string() +
                "': " + sys_error());
  }
  swap_into_place(staging, target, exists);
  fsync_directory(parent);
  // `staging` now holds the previous checkpoint (or nothing); Cleanup removes it.
}

template <class T>
std::map<std::string, xt::xarray<T>> load_arrays(const std::string& directory,
                                                 const std::vector<std::string>& names) {
  for (const auto& name : names) check_array_name("load_arrays", name);
  const fs::path dir = readable(directory);
  std::map<std::string, xt::xarray<T>> out;
  for (const auto& name : names) {
    const auto path = file_of(dir, name);
    std::error_code ec;
    const auto type = fs::symlink_status(path, ec).type();
    if (type == fs::file_type::not_found || type == fs::file_type::none) {
      throw Error("load_arrays: missing file '" + path.string() + "' for '" + name + "'");
    }
    if (type == fs::file_type::symlink) {
      throw Error("load_arrays: '" + path.string() +
                  "' is a symbolic link; a checkpoint holds regular files only, and nothing "
                  "outside its directory is read");
    }
    if (type != fs::file_type::regular) {
      throw Error("load_arrays: '" + path.string() + "' for '" + name + "' is not a regular file");
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

std::string array_file(const std::string& directory, const std::string& name) {
  return file_of(directory, name).string();
}

#define XG_INSTANTIATE(T)                                                                        \
  template void save_arrays<T>(const std::string&, const std::map<std::string, xt::xarray<T>>&); \
  template std::map<std::string, xt::xarray<T>> load_arrays<T>(const std::string&,               \
                                                               const std::vector<std::string>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
