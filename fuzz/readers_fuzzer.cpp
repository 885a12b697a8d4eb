// libFuzzer target: arbitrary bytes as an IDX file (plain or gzip), a CSV file, a .npy
// checkpoint file (float and double), a generator state and a DataLoader state. Only xg::Error may
// come out; a crash, a sanitizer report, another exception or a huge allocation is a finding.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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

/// The loader whose set_state reads the fuzzer's text: 10 images of 1 x 2 x 2, cropped and
/// flipped (fuzz/corpus/readers/loader_state is its get_state() after one batch, first byte 5).
xg::data::DataLoader<float>& fuzz_loader() {
  static xg::data::DataLoader<float> loader(xg::Tensor<float>::zeros({10, 4}),
                                            std::vector<std::size_t>(10, 0),
                                            {.batch_size = 3,
                                             .seed = 1,
                                             .sample_shape = {1, 2, 2},
                                             .augment = xg::data::crop_and_flip({1, 2, 2}, 1, 2)});
  return loader;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the reader, so each one sees the whole rest as its file.
  const std::uint8_t which = data[0] % 6;
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
    case 4:
      expect_only_documented_errors("set_rng_state", [&] {
        xg::nn::set_rng_state(std::string(reinterpret_cast<const char*>(data), size));
      });
      break;
    default:
      expect_only_documented_errors("DataLoader::set_state", [&] {
        auto& loader = fuzz_loader();
        loader.set_state(std::string(reinterpret_cast<const char*>(data), size));
        for (const auto& batch : loader) (void)batch;  // a state that was accepted must run
      });
      break;
  }
  return 0;
}
