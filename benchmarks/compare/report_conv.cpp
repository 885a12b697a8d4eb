// The tables of the convolution cases: the CNN step (13) against the time of its im2col GEMMs
// alone, and the single convolutions (14, 15) with their GFLOP/s.
#include "report.hpp"

namespace compare {

namespace {

/// "1.42x" of a step's time over the GEMMs', or "-".
std::string over(const Measurement& step, const Measurement& gemms) {
  return step.ok && gemms.ok ? fixed(step.median / gemms.median, 2) + "x" : "-";
}

std::string gflops(double flops, const Measurement& m) {
  return m.ok ? fixed(flops / m.median / 1e9, 1) : "-";
}

}  // namespace

void print_cnn_gemm(std::ostream& out, const std::vector<SgemmRow>& cnn_gemm) {
  out << "### Case 13 against its im2col GEMMs (the step's 11 matrix products alone through "
         "cblas_sgemm, whole batch per product; im2col, col2im and everything else not "
         "counted)\n\n"
      << "| batch | threads | GFLOP per step | GEMM time | GEMM GFLOP/s | xgrad step | "
         "xgrad / GEMMs | libtorch step | libtorch / GEMMs |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
  for (const SgemmRow& s : cnn_gemm) {
    const Measurement &x = s.row->xgrad_best().second, &t = s.row->torch_best().second;
    const double flops = s.limit.losses[0];
    out << "| " << s.batch << " | " << s.threads << " | " << fixed(flops / 1e9, 3) << " | "
        << time_or_error(s.limit) << " | " << gflops(flops, s.limit) << " | " << time_or_error(x)
        << " | " << over(x, s.limit) << " | " << time_or_error(t) << " | " << over(t, s.limit)
        << " |\n";
  }
  out << "\n";
}

void print_convs(std::ostream& out, const std::vector<Row>& rows) {
  out << "### Single convolutions (median time of one conv2d forward + backward into x's and "
         "w's gradients; GFLOP/s of the three products, 2 FLOPs per multiply-add; 'same' "
         "compares <y, g> and the sums of squares of dx and dw)\n\n"
      << "| # | case | threads | GFLOP per step | xgrad (best setting) | xgrad GFLOP/s | "
         "libtorch (best setting) | libtorch GFLOP/s | xgrad / libtorch | xgrad peak MiB | "
         "libtorch peak MiB | same |\n"
      << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    if (!is_conv_case(r.spec)) continue;
    const Measurement &x = r.xgrad_best().second, &t = r.torch_best().second;
    const double flops = conv_flops(r.spec);
    out << "| " << r.spec.number << " | " << r.spec.name << " | " << r.threads << " | "
        << fixed(flops / 1e9, 2) << " | " << best_cell(r.xgrad_best(), Library::xgrad) << " | "
        << gflops(flops, x) << " | " << best_cell(r.torch_best(), Library::torch) << " | "
        << gflops(flops, t) << " | " << ratio_cell(r) << " | " << mib(x) << " | " << mib(t) << " | "
        << losses_cell(r) << " |\n";
  }
  out << "\n";
}

}  // namespace compare
