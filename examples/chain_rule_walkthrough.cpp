// Watch the chain rule happen on the ice-cream network: only the output bias b is
// trained, so backward walks mse_loss <- relu <- (h W2 + b) and ends in
// dMSE/db = Σ_i dMSE/dr̂_i · dr̂_i/dz_i · dz_i/db. The program prints the engine's trace, the
// same product computed by hand, and writes the tape as a Graphviz picture.
//
//   chain_rule_walkthrough [--help] [output-dir]   (default: chain_rule_out)
//
// Writes <dir>/ice_cream_bias.dot (and .svg when Graphviz's `dot` is installed) and
// <dir>/trace.jsonl. Exits non-zero when the hand-computed chain differs from the tape.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "ice_cream_data.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/tools/graphviz.hpp"
#include "xgrad/tools/trace.hpp"

using Tn = xg::Tensor<double>;

int main(int argc, char** argv) {
  std::string out_dir = "chain_rule_out";
  CLI::App app{
      "Watch the chain rule on seed 003's ice-cream network: the engine's backward trace, the "
      "same product by hand, and a Graphviz picture of the tape.",
      "chain_rule_walkthrough"};
  app.add_option("output-dir", out_dir,
                 "where ice_cream_bias.dot (.svg with Graphviz) and trace.jsonl go; after -- "
                 "it may start with '-'")
      ->capture_default_str();
  if (auto status = examples::parse_command_line(app, argc, argv)) return *status;
  const std::filesystem::path out = out_dir;
  std::filesystem::create_directories(out);

  Tn x = ice_cream::inputs<double>();
  Tn y = ice_cream::targets<double>();
  x.set_name("x (temperature, weekday)");
  y.set_name("y (revenue)");
  auto p = ice_cream::true_params<double>();  // fixed at the optimum: no gradients
  Tn b = Tn::from({1}, {0.0}, true).set_name("b");

  // The forward pass of ice_cream::predict, step by step, with names for the picture. h W2 is
  // computed from fixed tensors only, so it is a constant on the tape.
  Tn hw = xg::matmul(xg::relu(xg::matmul(x, p.w_hidden) + p.b_hidden), p.w_out);
  hw.set_name("h W2");
  Tn z = (hw + b).set_name("z");
  Tn r = xg::relu(z).set_name("r_hat");
  Tn loss = xg::mse_loss(r, y).set_name("MSE");
  std::printf("MSE at b = 0: %.6f\n\n", loss.item());

  std::printf("The engine's backward trace (g = dMSE/d(output of the node)):\n\n");
  std::ofstream jsonl(out / "trace.jsonl");
  {
    xg::BackwardTrace<double> trace(
        {.text = &std::cout, .json = &jsonl, .max_values = 10, .precision = 5});
    loss.backward({.retain_graph = true});  // keep the tape for the picture
  }

  std::printf("\nThe same chain by hand, row by row:\n");
  std::printf("  row   z_i        r_hat_i    y_i        dMSE/dr_hat  dr_hat/dz  dz/db  product\n");
  const std::size_t n = ice_cream::kRows;
  double by_hand = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double zi = z.value()(i, 0), ri = r.value()(i, 0), yi = y.value()(i, 0);
    const double dmse_dr = 2.0 / n * (ri - yi);
    const double dr_dz = zi > 0 ? 1.0 : 0.0;
    const double term = dmse_dr * dr_dz * 1.0;
    by_hand += term;
    std::printf("  %3zu  %+.6f  %+.6f  %+.6f  %+.8f   %.0f          1      %+.8f\n", i, zi, ri, yi,
                dmse_dr, dr_dz, term);
  }
  const double tape = b.grad().item();
  std::printf("  sum over rows (b is shared by all rows): dMSE/db = %+.12f\n", by_hand);
  std::printf("  the tape's b.grad():                     dMSE/db = %+.12f\n", tape);
  const bool same = std::abs(by_hand - tape) <= 1e-14;
  std::printf("%s\n", same ? "chain rule by hand equals the tape" : "MISMATCH");

  const std::string dot = (out / "ice_cream_bias.dot").string();
  xg::DotOptions options;
  options.title = "seed 003: MSE of the ice-cream network as a function of the output bias b";
  xg::write_dot(loss, dot, options);
  std::printf("\nwrote %s and %s\n", dot.c_str(), (out / "trace.jsonl").string().c_str());
  if (xg::graphviz_available()) {
    const std::string svg = (out / "ice_cream_bias.svg").string();
    xg::render_dot(dot, svg, "svg");
    std::printf("wrote %s\n", svg.c_str());
  } else {
    std::printf("(install Graphviz, apt-get install graphviz, to get the SVG picture)\n");
  }
  return same ? 0 : 1;
}
