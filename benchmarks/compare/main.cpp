// xgrad_vs_libtorch: trains the cases of docs/performance.md with xgrad and with libtorch (same
// data, float32, initial weights and thread settings) and prints markdown tables: median time per
// training step, the ratio, peak memory, and the fraction of the sgemm limit reached by the
// 784-500-500-10 MLP; for the memory-bound cases 6-10 also bytes moved, GB/s and the fraction of
// a memcpy's bandwidth; for the CNN (case 13) the time of its im2col GEMMs alone, for the single
// convolutions (14, 15) GFLOP/s.
//
// Each (library, case, thread setting) runs in its own forked child, so that one library's
// thread pools, allocator caches and peak memory never leak into another's measurement. Every
// child is repeated in a few rounds, interleaved in time, and the fastest round counts.
//
//   xgrad_vs_libtorch [--quick] [--case N]... [--threads 1,2] [--budget SECONDS] [--rounds N]
//                     [--csv FILE]
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "compare.hpp"
#include "report.hpp"
#include "xgrad/memory.hpp"
#include "xgrad/threads.hpp"

namespace compare {
namespace {

/// VmRSS or VmHWM of this process in KiB, from /proc/self/status.
double status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') {
      return std::atof(line.c_str() + n + 1);
    }
  }
  return 0;
}

/// Forks; the child runs f() (which fills a Measurement or KernelMeasurement: plain data with ok
/// and error) and sends it back through a pipe.
template <class R = Measurement, class F>
R in_child(F&& f) {
  R m;
  int fds[2];
  if (pipe(fds) != 0) {
    std::snprintf(m.error, sizeof m.error, "pipe failed");
    return m;
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    R r;
    try {
      r = f();
      r.ok = true;
    } catch (const std::exception& e) {
      std::snprintf(r.error, sizeof r.error, "%s", e.what());
    }
    const ssize_t written = write(fds[1], &r, sizeof r);
    _exit(written == static_cast<ssize_t>(sizeof r) ? 0 : 1);
  }
  close(fds[1]);
  std::size_t got = 0;
  auto* bytes = reinterpret_cast<char*>(&m);
  while (pid > 0 && got < sizeof m) {
    const ssize_t k = read(fds[0], bytes + got, sizeof m - got);
    if (k <= 0) break;
    got += static_cast<std::size_t>(k);
  }
  close(fds[0]);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  if (got != sizeof m) {
    m = R{};
    if (pid < 0) {
      std::snprintf(m.error, sizeof m.error, "fork failed");
    } else if (WIFSIGNALED(status)) {
      std::snprintf(m.error, sizeof m.error, "crashed (signal %d)", WTERMSIG(status));
    } else {
      std::snprintf(m.error, sizeof m.error, "exited with %d", WEXITSTATUS(status));
    }
  }
  return m;
}

/// Sets a library's thread counts in a child: xgrad's through xg::set_num_threads (its OpenBLAS
/// threads now; its own and OpenBLAS's once xgrad runs operations in parallel), libtorch's
/// OpenBLAS threads directly (its OpenMP threads are set by run_torch and friends).
void set_threads(Library lib, Setting setting) {
  if (lib == Library::xgrad) {
    xg::set_num_threads(setting.blas);
  } else {
    openblas_set_num_threads(setting.blas);
  }
}

/// One library on one case with OpenMP (libtorch only) and OpenBLAS thread counts.
Measurement measure(const CaseSpec& spec, Library lib, Setting setting, const Budget& budget) {
  return in_child([&] {
    set_threads(lib, setting);
    const Problem problem = make_problem(spec);
    // Count only what the library allocates: hand freed memory back, restart the high-water
    // mark ("5" resets VmHWM to the current RSS) and note where it starts.
    malloc_trim(0);
    if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
      std::fputs("5", f);
      std::fclose(f);
    }
    const double start_kib = status_kib("VmRSS");
    const bool memory = is_step_case(spec);
    const StepTimes t =
        lib == Library::xgrad
            ? (memory ? run_xgrad_memory(problem, budget) : run_xgrad(problem, budget))
            : (memory ? run_torch_memory(problem, budget, setting.intra_op)
                      : run_torch(problem, budget, setting.intra_op));
    Measurement m = summarize(t);
    m.peak_mib = (status_kib("VmHWM") - start_kib) / 1024.0;
    m.start_mib = start_kib / 1024.0;
    if (memory) {
      m.bytes = step_bytes(spec);
      m.memcpy_s = memcpy_seconds(m.bytes, kernel_budget(budget));
    }
    return m;
  });
}

/// One library on case 7 or 8: every kernel, then a memcpy of each kernel's bytes in the same
/// child.
KernelMeasurement measure_kernels(const CaseSpec& spec, Library lib, Setting setting,
                                  const Budget& budget) {
  return in_child<KernelMeasurement>([&] {
    set_threads(lib, setting);
    const Problem problem = make_problem(spec);
    KernelMeasurement m;
    m.list = lib == Library::xgrad ? run_xgrad_kernels(problem, budget)
                                   : run_torch_kernels(problem, budget, setting.intra_op);
    std::vector<std::pair<double, double>> done;  // bytes, memcpy seconds
    auto copy_time = [&](double bytes) {
      if (bytes <= 0) return static_cast<double>(NAN);
      for (const auto& [b, s] : done) {
        if (b == bytes) return s;
      }
      done.emplace_back(bytes, memcpy_seconds(bytes, kernel_budget(budget)));
      return done.back().second;
    };
    for (int i = 0; i < m.list.count; ++i) {
      KernelTiming& k = m.list.kernels[i];
      k.forward_memcpy_s = copy_time(k.forward_bytes);
      k.backward_memcpy_s = copy_time(k.backward_bytes);
    }
    return m;
  });
}

constexpr int kLastCase = 21;

struct Options {
  bool quick = false;
  std::vector<int> cases;  // empty = all
  std::vector<int> threads{1, 2};
  std::optional<double> budget;  // seconds per measurement
  int rounds = 3;
  std::string csv;
};

[[noreturn]] void usage(int code) {
  std::printf(
      "usage: xgrad_vs_libtorch [--quick] [--case N]... [--threads 1,2] [--budget SECONDS] "
      "[--rounds N] [--csv FILE]\n"
      "  --quick     short measurements, no million-iteration chain\n"
      "  --case N    only case N (1..21; repeatable; 6-10 are the memory-bound cases, 11-12 "
      "second\n"
      "              derivatives, 13 the CNN step, 14-15 single convolutions, 16-18 LSTM and "
      "GRU,\n"
      "              19-20 GCN, 21 multi-head attention)\n"
      "  --threads   thread counts to compare (default 1,2)\n"
      "  --budget    seconds of measured steps per library, case and setting (default 1,\n"
      "              0.25 with --quick; cases 7 and 8: a tenth per kernel and direction)\n"
      "  --rounds N  measure every library and setting N times, interleaved in time, and keep\n"
      "              each one's fastest round (default 3; the million-iteration chain: 1)\n"
      "  --csv FILE  also write every measurement (all xgrad and libtorch settings) as CSV\n");
  std::exit(code);
}

/// A whole positive number, or a usage error.
int positive_int(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1 || v > 1000) {
    std::fprintf(stderr, "%s takes a whole number from 1 to 1000, got '%s'\n", flag.c_str(),
                 text.c_str());
    usage(2);
  }
  return static_cast<int>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--case") {
      o.cases.push_back(std::atoi(value().c_str()));
    } else if (a == "--threads") {
      o.threads.clear();
      const std::string list = value();
      for (std::size_t p = 0; p < list.size(); p = list.find(',', p) + 1) {
        o.threads.push_back(std::atoi(list.c_str() + p));
        if (list.find(',', p) == std::string::npos) break;
      }
    } else if (a == "--budget") {
      o.budget = std::atof(value().c_str());
    } else if (a == "--rounds") {
      o.rounds = positive_int(a, value());
    } else if (a == "--csv") {
      o.csv = value();
    } else if (a == "--help" || a == "-h") {
      usage(0);
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      usage(2);
    }
  }
  for (int c : o.cases) {
    if (c < 1 || c > kLastCase) {
      std::fprintf(stderr, "--case takes 1..%d, got %d\n", kLastCase, c);
      usage(2);
    }
  }
  for (int t : o.threads) {
    if (t < 1 || t > 2) {
      std::fprintf(stderr, "--threads takes 1 and/or 2, got %d\n", t);
      usage(2);
    }
  }
  return o;
}

/// One library's setting in a row: measured in every round, or taken from an earlier row.
struct Contender {
  Library lib;
  Setting setting;
  std::optional<Measurement> reused;  ///< the 1-thread row's measurement of the same setting
  Measurement best{};                 ///< the fastest round so far
};

void progress(const Row& row, const Contender& c, const Measurement& m, int round, int rounds) {
  std::fprintf(stderr, "  round %d/%d  %-40s %d thr  %-8s %-10s %s\n", round + 1, rounds,
               row.spec.name.c_str(), row.threads, c.lib == Library::xgrad ? "xgrad" : "libtorch",
               c.setting.label(c.lib).c_str(), m.ok ? format_time(m.median).c_str() : m.error);
}

/// A failed round stays failed (a crash must not hide behind a lucky retry); otherwise the
/// lower median wins, with that round's peak memory and losses.
void keep_faster(Measurement& best, const Measurement& m, bool first_round) {
  if (first_round || (best.ok && (!m.ok || m.median < best.median))) best = m;
}

/// The thread settings one library tries at `threads`: at 2 threads every mix of 1 and 2
/// (libtorch: OpenMP x OpenBLAS), except that the million-iteration chain takes the setting that
/// won at 100,000, as its runs are too long to try them all.
std::vector<Setting> settings_to_try(Library lib, const CaseSpec& spec, int threads,
                                     const std::vector<Row>& previous) {
  if (threads == 1) return {{1, 1}};
  if (spec.chain > 100'000) {
    for (const Row& r : previous) {
      if (r.threads == threads && r.spec.chain == 100'000) {
        return {lib == Library::xgrad ? r.xgrad_best_setting() : r.torch_best_setting()};
      }
    }
  }
  if (lib == Library::xgrad) return {{1, 1}, {1, 2}};
  return {{1, 1}, {1, 2}, {2, 1}, {2, 2}};
}

/// The 1-thread row's measurement of a single-thread setting, so that it is not measured twice.
std::optional<Measurement> one_thread_result(Library lib, Setting s, const CaseSpec& spec,
                                             int threads, const std::vector<Row>& previous) {
  if (threads == 1 || !(s == Setting{1, 1})) return std::nullopt;
  for (const Row& r : previous) {
    if (r.threads != 1 || r.spec.name != spec.name) continue;
    for (const auto& [setting, m] : lib == Library::xgrad ? r.xgrad : r.torch) {
      if (setting == s) return m;
    }
  }
  return std::nullopt;
}

/// Measures every xgrad and libtorch setting for one case and thread count, in `rounds` rounds
/// of all of xgrad's settings then all of libtorch's: the machine's speed drifts over seconds,
/// and interleaving gives both libraries the same chances of a fast moment. `previous` holds the
/// rows measured so far.
Row measure_row(const CaseSpec& spec, int threads, const Budget& budget, int rounds,
                const std::vector<Row>& previous) {
  Row row;
  row.spec = spec;
  row.threads = threads;
  std::vector<Contender> contenders;
  for (Library lib : {Library::xgrad, Library::torch}) {
    for (Setting s : settings_to_try(lib, spec, threads, previous)) {
      contenders.push_back({lib, s, one_thread_result(lib, s, spec, threads, previous)});
    }
  }
  // A run of the million-iteration chain takes seconds in libtorch: measured once.
  if (spec.chain > 100'000) rounds = 1;
  for (int round = 0; round < rounds; ++round) {
    for (Contender& c : contenders) {
      if (c.reused || (round > 0 && !c.best.ok)) continue;
      const Measurement m = measure(spec, c.lib, c.setting, budget);
      progress(row, c, m, round, rounds);
      keep_faster(c.best, m, round == 0);
    }
  }
  for (const Contender& c : contenders) {
    auto& list = c.lib == Library::xgrad ? row.xgrad : row.torch;
    list.emplace_back(c.setting, c.reused ? *c.reused : c.best);
  }
  return row;
}

/// The kernels of case 7 or 8 at `threads`, in rounds like measure_row: at 1 thread the all-ones
/// setting; at 2 threads xgrad with 2 (xg::set_num_threads) and libtorch with 2 OpenMP threads
/// (these kernels use no BLAS), besides the 1-thread row's all-ones result. Per kernel, each
/// setting keeps its fastest round; libtorch runs case 8 only.
KernelRow measure_kernel_row(const CaseSpec& spec, int threads, const Budget& budget, int rounds,
                             const std::vector<KernelRow>& previous) {
  KernelRow row;
  row.spec = spec;
  row.threads = threads;
  std::vector<Library> libs{Library::xgrad};
  if (spec.memory == MemoryCase::softmax_family) libs.push_back(Library::torch);
  for (Library lib : libs) {
    auto& list = lib == Library::xgrad ? row.xgrad : row.torch;
    if (threads > 1) {
      for (const KernelRow& r : previous) {
        if (r.threads == 1 && r.spec.name == spec.name) {
          for (const auto& c : lib == Library::xgrad ? r.xgrad : r.torch) list.push_back(c);
        }
      }
    }
    const Setting s = threads == 1            ? Setting{1, 1}
                      : lib == Library::xgrad ? Setting{1, threads}
                                              : Setting{threads, 1};
    KernelMeasurement best;
    for (int round = 0; round < rounds; ++round) {
      const KernelMeasurement m = measure_kernels(spec, lib, s, budget);
      std::fprintf(stderr, "  round %d/%d  %-40s %d thr  %-8s %-10s %s\n", round + 1, rounds,
                   spec.name.c_str(), threads, lib == Library::xgrad ? "xgrad" : "libtorch",
                   s.label(lib).c_str(), m.ok ? "done" : m.error);
      if (round == 0 || !m.ok) {  // a failed round stays failed: no more rounds
        best = m;
        if (!m.ok) break;
        continue;
      }
      for (int i = 0; i < best.list.count && i < m.list.count; ++i) {
        KernelTiming& b = best.list.kernels[i];
        const KernelTiming& k = m.list.kernels[i];
        if (k.forward_s < b.forward_s) {
          b.forward_s = k.forward_s;
          b.forward_memcpy_s = k.forward_memcpy_s;
        }
        if (k.backward_s < b.backward_s) {
          b.backward_s = k.backward_s;
          b.backward_memcpy_s = k.backward_memcpy_s;
        }
      }
    }
    list.emplace_back(s, best);
  }
  return row;
}

std::string machine_line() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, cpu = "unknown CPU";
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return std::string(date) + ", " + cpu + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) +
         " cores, libtorch " + torch_version() + ", " + openblas_description();
}

}  // namespace
}  // namespace compare

int main(int argc, char** argv) {
  using namespace compare;
  const Options opt = parse(argc, argv);
  xg::tune_allocator();  // for both libraries' runs, as a training program would
  Budget budget;
  budget.seconds = opt.budget.value_or(opt.quick ? 0.25 : 1.0);
  if (opt.quick) budget.min_steps = 3;

  std::vector<CaseSpec> cases;
  for (const CaseSpec& c : all_cases(opt.quick)) {
    if (opt.cases.empty() || std::count(opt.cases.begin(), opt.cases.end(), c.number)) {
      cases.push_back(c);
    }
  }

  std::vector<Row> rows;
  std::vector<KernelRow> kernel_rows;
  for (int threads : opt.threads) {
    for (const CaseSpec& c : cases) {
      if (is_kernel_case(c)) {
        kernel_rows.push_back(measure_kernel_row(c, threads, budget, opt.rounds, kernel_rows));
      } else {
        rows.push_back(measure_row(c, threads, budget, opt.rounds, rows));
      }
    }
  }
  // The GEMM limits of cases 3 and 13 at each thread count, after the libraries' rows of the
  // same run: each in a child of its own, in rounds like the rows, keeping the fastest round.
  auto limits = [&](int number, const char* what, auto measure_limit) {
    std::vector<SgemmRow> out;
    for (int threads : opt.threads) {
      for (const Row& r : rows) {
        if (r.spec.number == number && r.threads == threads) {
          out.push_back({r.spec.batch, threads, {}, &r});
        }
      }
    }
    for (int round = 0; round < opt.rounds; ++round) {
      for (SgemmRow& s : out) {
        const Measurement m = in_child([&] {
          openblas_set_num_threads(s.threads);
          const SgemmLimit l = measure_limit(s.batch, budget);
          Measurement result;
          result.median = l.seconds;
          result.losses[0] = l.flops;  // carried in the first loss slot
          return result;
        });
        std::fprintf(stderr, "  round %d/%d  %s, batch %zu, %d thr: %s\n", round + 1, opt.rounds,
                     what, s.batch, s.threads, m.ok ? format_time(m.median).c_str() : m.error);
        keep_faster(s.limit, m, round == 0);
      }
    }
    return out;
  };
  const std::vector<SgemmRow> sgemm = limits(3, "sgemm limit", measure_sgemm_limit);
  const std::vector<SgemmRow> cnn_gemm = limits(13, "im2col GEMMs", measure_cnn_gemm_limit);

  std::printf("Measured %s.\n\n", machine_line().c_str());
  const bool good = print_tables(std::cout, rows, sgemm, cnn_gemm, kernel_rows);
  if (!opt.csv.empty()) {
    std::ofstream csv(opt.csv);
    write_csv(csv, rows, kernel_rows);
    if (!csv) {
      std::fprintf(stderr, "cannot write %s\n", opt.csv.c_str());
      return 1;
    }
  }
  return good ? 0 : 1;
}
