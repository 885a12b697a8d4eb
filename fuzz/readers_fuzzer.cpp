// libFuzzer target: arbitrary bytes as an IDX file (plain or gzip), a CSV file, a .npy
// checkpoint file (float and double) and a generator state. Only xg::Error may come out; a
// crash, a sanitizer report, another exception or a huge allocation is a finding.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "xgrad/autograd.hpp"
#include "xgrad/data.hpp"
#include "xgrad/nn.hpp"

namespace {

namespace fs = std::filesystem;

/// A scratch directory per process (in memory when /dev/shm exists).
const fs::path& scratch() {
  static const fs::path dir = [] {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path d = base / ("xgrad-readers-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

void write(const fs::path& p, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

template <class F>
void expect_only_documented_errors(const char* reader, F&& f) {
  try {
    f();
  } catch (const xg::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "readers_fuzzer finding: %s threw an undocumented exception: %s\n", reader,
                 e.what());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the reader, so each one sees the whole rest as its file.
  const std::uint8_t which = data[0] % 5;
  ++data;
  --size;
  const fs::path dir = scratch();
  switch (which) {
    case 0:
      write(dir / "file.idx", data, size);
      expect_only_documented_errors("read_idx",
                                    [&] { xg::data::read_idx((dir / "file.idx").string()); });
      break;
    case 1:
      write(dir / "file.csv", data, size);
      expect_only_documented_errors("read_csv",
                                    [&] { xg::data::read_csv((dir / "file.csv").string()); });
      break;
    case 2:
      write(dir / "x.npy", data, size);
      expect_only_documented_errors("load_arrays<float>",
                                    [&] { xg::load_arrays<float>(dir.string(), {"x"}); });
      break;
    case 3:
      write(dir / "x.npy", data, size);
      expect_only_documented_errors("load_arrays<double>",
                                    [&] { xg::load_arrays<double>(dir.string(), {"x"}); });
      break;
    default:
      expect_only_documented_errors("set_rng_state", [&] {
        xg::nn::set_rng_state(std::string(reinterpret_cast<const char*>(data), size));
      });
      break;
  }
  return 0;
}
