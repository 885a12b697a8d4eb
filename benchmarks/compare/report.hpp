// Results of the comparison and how they are printed: markdown tables and CSV (report.cpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "compare.hpp"

namespace compare {

enum class Library { xgrad, torch };

/// Thread counts: torch::set_num_threads (libtorch only) and openblas_set_num_threads.
struct Setting {
  int intra_op = 1;
  int blas = 1;
  /// "blas2" for xgrad, which has no intra-op threads of its own; "omp2/blas1" for libtorch.
  std::string label(Library lib) const;
  bool operator==(const Setting&) const = default;
};

/// One measurement, sent from the child process as raw bytes: plain data only.
struct Measurement {
  bool ok = false;
  double median = 0, min = 0;  ///< seconds per step
  std::size_t steps = 0;       ///< measured steps
  double peak_mib = 0;         ///< VmHWM growth over the child's RSS before the model was built
  double start_mib = 0;        ///< that RSS
  double bytes = 0;            ///< cases 6, 9, 10: step_bytes, the minimum traffic per step
  double memcpy_s = NAN;       ///< a memcpy of those bytes, measured in the same child
  double losses[3] = {NAN, NAN, NAN};
  char error[160] = {};
};

Measurement summarize(const StepTimes& t);

/// Seconds as "812 ns", "71.3 us", "4.21 ms" or "18.2 s".
std::string format_time(double seconds);

/// A thread setting and its measurement (the fastest of its rounds).
using Candidate = std::pair<Setting, Measurement>;

/// One case at one thread count: every xgrad and every libtorch setting tried.
struct Row {
  CaseSpec spec;
  int threads = 1;
  std::vector<Candidate> xgrad;
  std::vector<Candidate> torch;

  /// Each library's fastest successful setting (the first one if none succeeded).
  const Candidate& xgrad_best() const;
  const Candidate& torch_best() const;
  Setting xgrad_best_setting() const { return xgrad_best().first; }
  Setting torch_best_setting() const { return torch_best().first; }
};

/// The GEMM limit measured for a case-3 row (sgemm_limit.cpp) or a case-13 row
/// (cnn_gemm_limit.cpp).
struct SgemmRow {
  std::size_t batch = 0;
  int threads = 1;
  Measurement limit;  ///< median = seconds of the products; losses[0] = FLOPs per step
  const Row* row = nullptr;
};

/// The kernels of case 7 or 8 from one child.
struct KernelMeasurement {
  bool ok = false;
  KernelList list;  ///< per kernel the fastest round's forward and backward medians
  char error[160] = {};
};
using KernelCandidate = std::pair<Setting, KernelMeasurement>;

/// Case 7 or 8 at one thread count: every setting tried (libtorch none for case 7).
struct KernelRow {
  CaseSpec spec;
  int threads = 1;
  std::vector<KernelCandidate> xgrad;
  std::vector<KernelCandidate> torch;
};

/// Prints the tables; false if a measurement failed or the libraries' losses (or kernel
/// checksums) differ.
bool print_tables(std::ostream& out, const std::vector<Row>& rows,
                  const std::vector<SgemmRow>& sgemm, const std::vector<SgemmRow>& cnn_gemm,
                  const std::vector<KernelRow>& kernels);
void write_csv(std::ostream& out, const std::vector<Row>& rows,
               const std::vector<KernelRow>& kernels);

// Shared by report.cpp and report_memory.cpp (the memory-bound cases' tables).
std::string fixed(double v, int digits);
std::string time_or_error(const Measurement& m);
/// "7.11 ms (blas1)": the time of a library's best setting and that setting.
std::string best_cell(const Candidate& best, Library lib);
/// xgrad's median over libtorch's, of each one's best setting.
std::string ratio_cell(const Row& r);
/// "yes", "-" or "NO: " and both libraries' values.
std::string losses_cell(const Row& r);
bool same_losses(const Row& r);
/// Peak MiB or "-".
std::string mib(const Measurement& m);
/// The table of cases 6, 9 and 10 (report_memory.cpp).
void print_memory_steps(std::ostream& out, const std::vector<Row>& rows);
/// The tables of cases 7 and 8, and whether their measurements succeeded and agree.
void print_kernels(std::ostream& out, const std::vector<KernelRow>& kernels);
bool kernels_good(const std::vector<KernelRow>& kernels);
void write_kernel_csv(std::ostream& out, const std::vector<KernelRow>& kernels);
/// Case 13 against its im2col GEMMs, and the table of cases 14 and 15 (report_conv.cpp).
void print_cnn_gemm(std::ostream& out, const std::vector<SgemmRow>& cnn_gemm);
void print_convs(std::ostream& out, const std::vector<Row>& rows);

}  // namespace compare
