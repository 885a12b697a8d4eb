// A perceptron with a step activation, trained with the perceptron rule
//   w += lr (target - output) x,   b += lr (target - output)
// learns AND, OR and NOT. The forward pass runs on the tape's step operation.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "xgrad/autograd.hpp"

using Tn = xg::Tensor<double>;

namespace {

struct Gate {
  std::string name;
  std::size_t inputs;
  std::vector<std::vector<double>> rows;
  std::vector<double> targets;
};

/// Trains one perceptron; returns true when every row is classified correctly.
bool train_gate(const Gate& gate) {
  Tn w = Tn::zeros({gate.inputs});
  double b = 0;
  const double lr = 0.1;
  std::size_t epoch = 0;
  for (; epoch < 100; ++epoch) {
    std::size_t errors = 0;
    for (std::size_t i = 0; i < gate.rows.size(); ++i) {
      const Tn x = Tn::from({gate.inputs}, gate.rows[i]);
      const double out = xg::step(xg::sum(x * w) + b).item();
      const double err = gate.targets[i] - out;
      if (err != 0) {
        ++errors;
        w.mutable_value() += lr * err * x.value();
        b += lr * err;
      }
    }
    if (errors == 0) break;
  }
  std::printf("%s: converged after %zu epochs, weights [", gate.name.c_str(), epoch + 1);
  for (std::size_t j = 0; j < gate.inputs; ++j) std::printf("%s%.2f", j ? ", " : "", w.value()(j));
  std::printf("], bias %.2f\n", b);
  bool all_right = true;
  for (std::size_t i = 0; i < gate.rows.size(); ++i) {
    const Tn x = Tn::from({gate.inputs}, gate.rows[i]);
    const double out = xg::step(xg::sum(x * w) + b).item();
    std::printf("   ");
    for (double v : gate.rows[i]) std::printf("%g ", v);
    std::printf("-> %g (want %g)%s\n", out, gate.targets[i],
                out == gate.targets[i] ? "" : "  WRONG");
    all_right = all_right && out == gate.targets[i];
  }
  return all_right;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Seed 004: a step-activation perceptron learns AND, OR and NOT with the perceptron rule.",
      "logic_gates"};
  if (auto status = examples::parse_command_line(app, argc, argv)) return *status;

  const std::vector<Gate> gates = {
      {"AND", 2, {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, {0, 0, 0, 1}},
      {"OR", 2, {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, {0, 1, 1, 1}},
      {"NOT", 1, {{0}, {1}}, {1, 0}},
  };
  bool ok = true;
  for (const auto& g : gates) ok = train_gate(g) && ok;
  std::printf("%s\n", ok ? "all truth tables correct" : "SOME TRUTH TABLES WRONG");
  return ok ? 0 : 1;
}
