// xgrad_vs_libtorch: trains the cases of issue 4 with xgrad and with libtorch (same data, float32,
// initial weights and thread settings) and prints markdown tables: median time per training step,
// the ratio, peak memory, and the fraction of the sgemm limit reached by the 784-500-500-10 MLP.
//
// Each (library, case, thread setting) runs in its own forked child, so that one library's
// thread pools, allocator caches and peak memory never leak into another's measurement.
//
//   xgrad_vs_libtorch [--quick] [--case N]... [--threads 1,2] [--budget SECONDS] [--csv FILE]
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

/// Forks; the child runs f() (which fills a Measurement) and sends it back through a pipe.
template <class F>
Measurement in_child(F&& f) {
  Measurement m;
  int fds[2];
  if (pipe(fds) != 0) {
    std::snprintf(m.error, sizeof m.error, "pipe failed");
    return m;
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Measurement r;
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
    m = Measurement{};
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

/// One library on one case with OpenMP (libtorch only) and OpenBLAS thread counts.
Measurement measure(const CaseSpec& spec, Library lib, Setting setting, const Budget& budget) {
  return in_child([&] {
    openblas_set_num_threads(setting.blas);
    const Problem problem = make_problem(spec);
    // Count only what the library allocates: hand freed memory back, restart the high-water
    // mark ("5" resets VmHWM to the current RSS) and note where it starts.
    malloc_trim(0);
    if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
      std::fputs("5", f);
      std::fclose(f);
    }
    const double start_kib = status_kib("VmRSS");
    const StepTimes t = lib == Library::xgrad ? run_xgrad(problem, budget)
                                              : run_torch(problem, budget, setting.intra_op);
    Measurement m = summarize(t);
    m.peak_mib = (status_kib("VmHWM") - start_kib) / 1024.0;
    m.start_mib = start_kib / 1024.0;
    return m;
  });
}

struct Options {
  bool quick = false;
  std::vector<int> cases;  // empty = all
  std::vector<int> threads{1, 2};
  std::optional<double> budget;  // seconds per measurement
  std::string csv;
};

[[noreturn]] void usage(int code) {
  std::printf(
      "usage: xgrad_vs_libtorch [--quick] [--case N]... [--threads 1,2] [--budget SECONDS] "
      "[--csv FILE]\n"
      "  --quick     short measurements, no million-iteration chain\n"
      "  --case N    only case N (1..5; repeatable)\n"
      "  --threads   thread counts to compare (default 1,2)\n"
      "  --budget    seconds of measured steps per library, case and setting (default 1,\n"
      "              0.25 with --quick)\n"
      "  --csv FILE  also write every measurement (all libtorch settings) as CSV\n");
  std::exit(code);
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
    if (c < 1 || c > 5) {
      std::fprintf(stderr, "--case takes 1..5, got %d\n", c);
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

void progress(const Row& row, Library lib, Setting s, const Measurement& m) {
  const std::string setting = lib == Library::xgrad ? "blas" + std::to_string(s.blas) : s.label();
  std::fprintf(stderr, "  %-40s %d thr  %-8s %-10s %s\n", row.spec.name.c_str(), row.threads,
               lib == Library::xgrad ? "xgrad" : "libtorch", setting.c_str(),
               m.ok ? format_time(m.median).c_str() : m.error);
}

/// Measures xgrad and libtorch's best setting for one case and thread count. `previous` holds
/// the rows measured so far: the 1-thread libtorch run is the (1, 1) candidate at 2 threads,
/// and the million-iteration chain reuses the setting that won at 100,000.
Row measure_row(const CaseSpec& spec, int threads, const Budget& budget,
                const std::vector<Row>& previous) {
  Row row;
  row.spec = spec;
  row.threads = threads;
  row.xgrad = measure(spec, Library::xgrad, {1, threads}, budget);
  progress(row, Library::xgrad, {1, threads}, row.xgrad);

  std::vector<Setting> settings{{1, 1}};
  if (threads == 2) settings = {{1, 1}, {1, 2}, {2, 1}, {2, 2}};
  if (threads == 2 && spec.chain > 100'000) {
    for (const Row& r : previous) {
      if (r.threads == 2 && r.spec.chain == 100'000) settings = {r.torch_best_setting()};
    }
  }
  for (Setting s : settings) {
    const Row* reuse = nullptr;
    if (s.intra_op == 1 && s.blas == 1 && threads > 1) {
      for (const Row& r : previous) {
        if (r.threads == 1 && r.spec.name == spec.name) reuse = &r;
      }
    }
    const Measurement m =
        reuse ? reuse->torch.front().second : measure(spec, Library::torch, s, budget);
    if (!reuse) progress(row, Library::torch, s, m);
    row.torch.emplace_back(s, m);
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
  for (int threads : opt.threads) {
    for (const CaseSpec& c : cases) rows.push_back(measure_row(c, threads, budget, rows));
  }
  std::vector<SgemmRow> sgemm;
  for (int threads : opt.threads) {
    for (const Row& r : rows) {
      if (r.spec.number != 3 || r.threads != threads) continue;
      SgemmRow s{r.spec.batch, threads, {}, &r};
      s.limit = in_child([&] {
        openblas_set_num_threads(threads);
        const SgemmLimit l = measure_sgemm_limit(r.spec.batch, budget);
        Measurement m;
        m.median = l.seconds;
        m.losses[0] = l.flops;  // carried in the first loss slot
        return m;
      });
      std::fprintf(stderr, "  sgemm limit, batch %zu, %d thr: %s\n", r.spec.batch, threads,
                   s.limit.ok ? format_time(s.limit.median).c_str() : s.limit.error);
      sgemm.push_back(s);
    }
  }

  std::printf("Measured %s.\n\n", machine_line().c_str());
  const bool good = print_tables(std::cout, rows, sgemm);
  if (!opt.csv.empty()) {
    std::ofstream csv(opt.csv);
    write_csv(csv, rows);
    if (!csv) {
      std::fprintf(stderr, "cannot write %s\n", opt.csv.c_str());
      return 1;
    }
  }
  return good ? 0 : 1;
}
