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

/// The sgemm limit measured for a case-3 row.
struct SgemmRow {
  std::size_t batch = 0;
  int threads = 1;
  Measurement limit;  ///< median = seconds of the products; losses[0] = FLOPs per step
  const Row* row = nullptr;
};

/// Prints the three tables; false if a measurement failed or the libraries' losses differ.
bool print_tables(std::ostream& out, const std::vector<Row>& rows,
                  const std::vector<SgemmRow>& sgemm);
void write_csv(std::ostream& out, const std::vector<Row>& rows);

}  // namespace compare
