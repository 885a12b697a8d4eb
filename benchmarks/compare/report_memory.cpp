// The tables of the memory-bound cases 6-10: time, bytes moved, GB/s and the percentage of a
// memcpy of the same bytes measured in the same child process.
#include <algorithm>
#include <cstdio>

#include "report.hpp"

namespace compare {

namespace {

/// "12.0" (MB of 10^6 bytes).
std::string megabytes(double bytes) {
  return bytes > 0 ? fixed(bytes / 1e6, bytes < 1e7 ? 2 : 1) : "-";
}

double gbps(double bytes, double seconds) {
  return seconds > 0 && bytes > 0 ? bytes / seconds / 1e9 : NAN;
}

/// GB/s with one decimal, two below 1 GB/s.
std::string gbps_cell(double bytes, double seconds) {
  const double r = gbps(bytes, seconds);
  return std::isnan(r) ? "-" : fixed(r, r < 1 ? 2 : 1);
}

/// "8.4 (61 %)": GB/s and the percentage of the memcpy's GB/s (one decimal below 10 %).
std::string rate_cell(double bytes, double seconds, double memcpy_s) {
  const double r = gbps(bytes, seconds), ref = gbps(bytes, memcpy_s);
  if (std::isnan(r)) return "-";
  if (std::isnan(ref)) return gbps_cell(bytes, seconds);
  const double pct = 100 * r / ref;
  return gbps_cell(bytes, seconds) + " (" + fixed(pct, pct < 10 ? 1 : 0) + " %)";
}

/// The first successful candidate's kernel list, or null.
const KernelList* first_ok(const std::vector<KernelCandidate>& c) {
  for (const auto& [setting, m] : c) {
    if (m.ok) return &m.list;
  }
  return nullptr;
}

/// Kernel i's fastest forward (or backward) time over the successful settings, and the memcpy
/// time measured in that setting's child.
struct Best {
  double seconds = NAN, memcpy_s = NAN;
};
Best best_of(const std::vector<KernelCandidate>& c, int i, bool backward) {
  Best b;
  for (const auto& [setting, m] : c) {
    if (!m.ok || i >= m.list.count) continue;
    const KernelTiming& k = m.list.kernels[i];
    const double s = backward ? k.backward_s : k.forward_s;
    if (!std::isnan(s) && (std::isnan(b.seconds) || s < b.seconds)) {
      b = {s, backward ? k.backward_memcpy_s : k.forward_memcpy_s};
    }
  }
  return b;
}

bool close(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::abs(a - b) <= 1e-3 * std::max({std::abs(a), std::abs(b), 1e-6});
}

/// xgrad's and libtorch's checksums of kernel i agree (true where libtorch has no such kernel).
bool same_checks(const KernelRow& r, int i) {
  const KernelList *x = first_ok(r.xgrad), *t = first_ok(r.torch);
  if (!x || !t || i >= t->count) return true;
  return close(x->kernels[i].forward_check, t->kernels[i].forward_check) &&
         close(x->kernels[i].backward_check, t->kernels[i].backward_check);
}

std::string time_cell(double s) {
  return std::isnan(s) ? "-" : format_time(s);
}

std::string ratio(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? "-" : fixed(a / b, 3);
}

void print_kernel_row(std::ostream& out, const KernelRow& r) {
  const KernelList* x = first_ok(r.xgrad);
  const KernelList* t = first_ok(r.torch);
  const bool torch = t && t->count > 0;
  out << "### Case " << r.spec.number << ": " << r.spec.name << ", " << r.threads
      << " thread(s) (median per call; GB/s (% of a memcpy of the same bytes)"
      << (torch ? "; each library's best setting" : "; xgrad only") << ")\n\n";
  if (!x) {
    const auto& m = r.xgrad.front().second;
    out << "xgrad failed: " << m.error << "\n\n";
    return;
  }
  out << "| kernel | forward MB | memcpy GB/s | xgrad forward | xgrad GB/s |"
      << (torch ? " libtorch forward | libtorch GB/s | xgrad / libtorch |" : "")
      << " backward MB | memcpy GB/s | xgrad backward | xgrad GB/s |"
      << (torch ? " libtorch backward | libtorch GB/s | xgrad / libtorch | same values |" : "")
      << "\n|";
  for (int c = 0; c < (torch ? 16 : 9); ++c) out << "---|";
  out << "\n";
  for (int i = 0; i < x->count; ++i) {
    const KernelTiming& k = x->kernels[i];
    out << "| " << k.name;
    for (bool backward : {false, true}) {
      const double bytes = backward ? k.backward_bytes : k.forward_bytes;
      const Best bx = best_of(r.xgrad, i, backward), bt = best_of(r.torch, i, backward);
      out << " | " << megabytes(bytes) << " | " << gbps_cell(bytes, bx.memcpy_s) << " | "
          << time_cell(bx.seconds) << " | " << rate_cell(bytes, bx.seconds, bx.memcpy_s);
      if (torch) {
        out << " | " << time_cell(bt.seconds) << " | " << rate_cell(bytes, bt.seconds, bt.memcpy_s)
            << " | " << ratio(bx.seconds, bt.seconds);
      }
    }
    if (torch) out << " | " << (same_checks(r, i) ? "yes" : "NO");
    out << " |\n";
  }
  out << "\n";
}

}  // namespace

void print_memory_steps(std::ostream& out, const std::vector<Row>& rows) {
  out << "### Memory-bound steps (median time per forward + backward step; MB: the minimum bytes "
         "a step must read and write; GB/s (% of a memcpy of the same bytes in the same "
         "process))\n\n"
      << "| # | case | threads | xgrad (best setting) | libtorch (best setting) | "
         "xgrad / libtorch | MB per step | memcpy GB/s | xgrad GB/s | libtorch GB/s | "
         "xgrad peak MiB | libtorch peak MiB | same loss and gradients |\n"
      << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    if (!is_step_case(r.spec)) continue;
    const Measurement &x = r.xgrad_best().second, &t = r.torch_best().second;
    const double bytes = step_bytes(r.spec);
    out << "| " << r.spec.number << " | " << r.spec.name << " | " << r.threads << " | "
        << best_cell(r.xgrad_best(), Library::xgrad) << " | "
        << best_cell(r.torch_best(), Library::torch) << " | " << ratio_cell(r) << " | "
        << megabytes(bytes) << " | " << (x.ok ? gbps_cell(bytes, x.memcpy_s) : "-") << " | "
        << (x.ok ? rate_cell(bytes, x.median, x.memcpy_s) : "-") << " | "
        << (t.ok ? rate_cell(bytes, t.median, t.memcpy_s) : "-") << " | " << mib(x) << " | "
        << mib(t) << " | " << losses_cell(r) << " |\n";
  }
  out << "\n";
}

void print_kernels(std::ostream& out, const std::vector<KernelRow>& kernels) {
  for (const KernelRow& r : kernels) print_kernel_row(out, r);
}

bool kernels_good(const std::vector<KernelRow>& kernels) {
  for (const KernelRow& r : kernels) {
    for (const auto* list : {&r.xgrad, &r.torch}) {
      for (const auto& [setting, m] : *list) {
        if (!m.ok) return false;
      }
    }
    const KernelList* x = first_ok(r.xgrad);
    for (int i = 0; x && i < x->count; ++i) {
      if (!same_checks(r, i)) return false;
    }
  }
  return true;
}

void write_kernel_csv(std::ostream& out, const std::vector<KernelRow>& kernels) {
  // One line per kernel, direction, library and setting, in write_csv's columns: case is
  // "<case>: <kernel> forward|backward", loss0 the checksum (output sum; gradient sum of
  // squares), peak and start MiB 0.
  for (const KernelRow& r : kernels) {
    for (Library lib : {Library::xgrad, Library::torch}) {
      for (const auto& [setting, m] : lib == Library::xgrad ? r.xgrad : r.torch) {
        for (int i = 0; i < m.list.count || (!m.ok && i == 0); ++i) {
          const KernelTiming k = m.ok ? m.list.kernels[i] : KernelTiming{};
          for (bool backward : {false, true}) {
            const double s = backward ? k.backward_s : k.forward_s;
            if (m.ok && std::isnan(s)) continue;
            char buf[512];
            std::snprintf(
                buf, sizeof buf,
                "%d,\"%s: %s %s\",%d,%s,%s,%.9g,%.9g,0,0,0,%.9g,nan,nan,\"%s\",%.9g,%.9g\n",
                r.spec.number, r.spec.name.c_str(), k.name, backward ? "backward" : "forward",
                r.threads, lib == Library::xgrad ? "xgrad" : "libtorch", setting.label(lib).c_str(),
                s, s, backward ? k.backward_check : k.forward_check, m.error,
                backward ? k.backward_bytes : k.forward_bytes,
                backward ? k.backward_memcpy_s : k.forward_memcpy_s);
            out << buf;
          }
        }
      }
    }
  }
}

}  // namespace compare
