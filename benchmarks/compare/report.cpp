#include "report.hpp"

#include <algorithm>
#include <cstdio>

namespace compare {

std::string Setting::label(Library lib) const {
  const std::string blas_part = "blas" + std::to_string(blas);
  return lib == Library::xgrad ? blas_part : "omp" + std::to_string(intra_op) + "/" + blas_part;
}

Measurement summarize(const StepTimes& t) {
  Measurement m;
  std::vector<double> s = t.seconds;
  std::sort(s.begin(), s.end());
  m.steps = s.size();
  if (!s.empty()) {
    m.median = s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
    m.min = s.front();
  }
  for (std::size_t i = 0; i < t.losses.size() && i < 3; ++i) m.losses[i] = t.losses[i];
  return m;
}

std::string format_time(double seconds) {
  char buf[32];
  if (seconds < 1e-6) {
    std::snprintf(buf, sizeof buf, "%.0f ns", seconds * 1e9);
  } else if (seconds < 1e-3) {
    std::snprintf(buf, sizeof buf, "%.1f us", seconds * 1e6);
  } else if (seconds < 1) {
    std::snprintf(buf, sizeof buf, "%.2f ms", seconds * 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  }
  return buf;
}

namespace {

const Candidate& fastest(const std::vector<Candidate>& candidates) {
  const Candidate* best = &candidates.front();
  for (const Candidate& c : candidates) {
    if (c.second.ok && (!best->second.ok || c.second.median < best->second.median)) best = &c;
  }
  return *best;
}

}  // namespace

const Candidate& Row::xgrad_best() const {
  return fastest(xgrad);
}
const Candidate& Row::torch_best() const {
  return fastest(torch);
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string time_or_error(const Measurement& m) {
  return m.ok ? format_time(m.median) : std::string("failed: ") + m.error;
}

/// Both libraries trained the same model: their first losses (the chain's x.grad; cases 6, 9,
/// 10, 14 and 15: the loss and two gradient checksums) agree to float rounding (double for the
/// chain).
bool same_losses(const Row& r) {
  const Measurement &a = r.xgrad_best().second, &b = r.torch_best().second;
  const double tol = r.spec.chain > 0 ? 1e-9 : 2e-3;
  for (int i = 0; i < 3; ++i) {
    // A step longer than the budget is measured once and reports one loss.
    if (std::isnan(a.losses[i]) || std::isnan(b.losses[i])) return i > 0;
    const double scale = std::max({std::abs(a.losses[i]), std::abs(b.losses[i]), 1e-6});
    if (!(std::abs(a.losses[i] - b.losses[i]) <= tol * scale)) return false;
  }
  return true;
}

std::string losses_cell(const Row& r) {
  if (!r.xgrad_best().second.ok || !r.torch_best().second.ok) return "-";
  if (same_losses(r)) return "yes";
  const Measurement &a = r.xgrad_best().second, &b = r.torch_best().second;
  char buf[160];
  std::snprintf(buf, sizeof buf, "NO: %.6g %.6g %.6g vs %.6g %.6g %.6g", a.losses[0], a.losses[1],
                a.losses[2], b.losses[0], b.losses[1], b.losses[2]);
  return buf;
}

std::string ratio_cell(const Row& r) {
  const Measurement &a = r.xgrad_best().second, &b = r.torch_best().second;
  return a.ok && b.ok ? fixed(a.median / b.median, 3) : "-";
}

std::string best_cell(const Candidate& best, Library lib) {
  return time_or_error(best.second) + " (" + best.first.label(lib) + ")";
}

std::string mib(const Measurement& m) {
  return m.ok ? fixed(m.peak_mib, 1) : "-";
}

namespace {

/// A row of the training steps' table (chain false) or the chain's: not one of the memory-bound
/// steps or single convolutions, which have tables of their own.
bool in_table(const Row& r, bool chain) {
  return !is_step_case(r.spec) && !is_conv_case(r.spec) && (r.spec.chain > 0) == chain;
}

bool any_row(const std::vector<Row>& rows, bool chain) {
  return std::any_of(rows.begin(), rows.end(),
                     [chain](const Row& r) { return in_table(r, chain); });
}

void print_steps(std::ostream& out, const std::vector<Row>& rows) {
  out << "### Training steps (median time per step: zero_grad + forward + loss + backward + "
         "SGD step; cases 11 and 12: one Hessian or Hessian-vector product, and 'same losses' "
         "compares the loss and two checksums of the result)\n\n"
      << "| # | case | threads | xgrad (best setting) | libtorch (best setting) | "
         "xgrad / libtorch | xgrad peak MiB | libtorch peak MiB | same losses |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    if (!in_table(r, false)) continue;
    const Measurement &x = r.xgrad_best().second, &t = r.torch_best().second;
    out << "| " << r.spec.number << " | " << r.spec.name << " | " << r.threads << " | "
        << best_cell(r.xgrad_best(), Library::xgrad) << " | "
        << best_cell(r.torch_best(), Library::torch) << " | " << ratio_cell(r) << " | " << mib(x)
        << " | " << mib(t) << " | " << losses_cell(r) << " |\n";
  }
  out << "\n";
}

void print_chain(std::ostream& out, const std::vector<Row>& rows) {
  out << "### Scalar chain y = y * 1.0001 + 0.0001, then backward (double; 2 ops per "
         "iteration; freeing the tape is timed too)\n\n"
      << "| iterations | threads | xgrad total (best setting) | libtorch total (best setting) | "
         "xgrad / libtorch | xgrad per op | libtorch per op | xgrad peak MiB | "
         "libtorch peak MiB | same x.grad |\n"
      << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    if (!in_table(r, true)) continue;
    const Measurement &x = r.xgrad_best().second, &t = r.torch_best().second;
    const double ops = 2.0 * static_cast<double>(r.spec.chain);
    auto per_op = [&](const Measurement& m) { return m.ok ? format_time(m.median / ops) : "-"; };
    out << "| " << r.spec.chain << " | " << r.threads << " | "
        << best_cell(r.xgrad_best(), Library::xgrad) << " | "
        << best_cell(r.torch_best(), Library::torch) << " | " << ratio_cell(r) << " | " << per_op(x)
        << " | " << per_op(t) << " | " << mib(x) << " | " << mib(t) << " | " << losses_cell(r)
        << " |\n";
  }
  out << "\n";
}

void print_sgemm(std::ostream& out, const std::vector<SgemmRow>& sgemm) {
  out << "### Case 3 against the sgemm limit (the step's 8 matrix products alone through "
         "cblas_sgemm)\n\n"
      << "| batch | threads | GFLOP per step | sgemm time | sgemm GFLOP/s | xgrad step | "
         "xgrad % of limit | libtorch step | libtorch % of limit |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
  for (const SgemmRow& s : sgemm) {
    const Measurement &x = s.row->xgrad_best().second, &t = s.row->torch_best().second;
    auto pct = [&](const Measurement& m) {
      return m.ok && s.limit.ok ? fixed(100.0 * s.limit.median / m.median, 0) + " %" : "-";
    };
    const double flops = s.limit.losses[0];
    out << "| " << s.batch << " | " << s.threads << " | " << fixed(flops / 1e9, 3) << " | "
        << time_or_error(s.limit) << " | "
        << (s.limit.ok ? fixed(flops / s.limit.median / 1e9, 1) : "-") << " | " << time_or_error(x)
        << " | " << pct(x) << " | " << time_or_error(t) << " | " << pct(t) << " |\n";
  }
  out << "\n";
}

}  // namespace

bool print_tables(std::ostream& out, const std::vector<Row>& rows,
                  const std::vector<SgemmRow>& sgemm, const std::vector<SgemmRow>& cnn_gemm,
                  const std::vector<KernelRow>& kernels) {
  bool good = true;
  for (const Row& r : rows) {
    good = good && r.xgrad_best().second.ok && r.torch_best().second.ok && same_losses(r);
  }
  for (const auto* limits : {&sgemm, &cnn_gemm}) {
    for (const SgemmRow& s : *limits) good = good && s.limit.ok;
  }
  good = good && kernels_good(kernels);
  if (any_row(rows, false)) print_steps(out, rows);
  if (any_row(rows, true)) print_chain(out, rows);
  if (!sgemm.empty()) print_sgemm(out, sgemm);
  if (!cnn_gemm.empty()) print_cnn_gemm(out, cnn_gemm);
  if (std::any_of(rows.begin(), rows.end(), [](const Row& r) { return is_conv_case(r.spec); })) {
    print_convs(out, rows);
  }
  if (std::any_of(rows.begin(), rows.end(), [](const Row& r) { return is_step_case(r.spec); })) {
    print_memory_steps(out, rows);
  }
  if (!kernels.empty()) print_kernels(out, kernels);
  return good;
}

void write_csv(std::ostream& out, const std::vector<Row>& rows,
               const std::vector<KernelRow>& kernels) {
  out << "case_number,case,threads,library,setting,median_s,min_s,steps,peak_mib,start_mib,"
         "loss0,loss1,loss2,error,bytes,memcpy_s\n";
  auto line = [&](const Row& r, const char* lib, const std::string& setting, const Measurement& m) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%d,\"%s\",%d,%s,%s,%.9g,%.9g,%zu,%.2f,%.2f,%.9g,%.9g,%.9g,\"%s\",%.9g,%.9g\n",
                  r.spec.number, r.spec.name.c_str(), r.threads, lib, setting.c_str(), m.median,
                  m.min, m.steps, m.peak_mib, m.start_mib, m.losses[0], m.losses[1], m.losses[2],
                  m.error, m.bytes, m.memcpy_s);
    out << buf;
  };
  for (const Row& r : rows) {
    for (const auto& [s, m] : r.xgrad) line(r, "xgrad", s.label(Library::xgrad), m);
    for (const auto& [s, m] : r.torch) line(r, "libtorch", s.label(Library::torch), m);
  }
  write_kernel_csv(out, kernels);
}

}  // namespace compare
