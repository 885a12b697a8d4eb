// A custom operation in a few lines: the Huber loss of examples/huber_loss.hpp records on the
// tape like a built-in, trains a line through data with an outlier, and passes xg::gradcheck.
// Exits non-zero when a check fails.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "huber_loss.hpp"
#include "xgrad/autograd.hpp"

using Tn = xg::Tensor<double>;

int main(int argc, char** argv) {
  CLI::App app{
      "A custom Huber loss on the tape: trains a line through data with an outlier and passes "
      "gradcheck.",
      "custom_op"};
  if (auto status = examples::parse_command_line(app, argc, argv)) return *status;

  int failures = 0;
  // 1) gradcheck: first and second derivatives against finite differences, both inputs, with
  //    residuals on both sides of delta (the kink at |d| = delta is avoided).
  const Tn pred = Tn::from({6}, {0.2, -1.7, 3.0, 0.45, -0.1, 2.2}, true);
  const Tn target = Tn::from({6}, {0.0, 0.3, 0.5, 0.4, 1.6, 2.0}, true);
  xg::TensorFunction<double> f = [](const std::vector<Tn>& in) {
    return huber::huber_loss(in[0], in[1], 1.0);
  };
  const auto first = xg::gradcheck<double>(f, {pred, target});
  const auto second = xg::gradgradcheck<double>(f, {pred, target});
  std::printf("gradcheck:     %s (%zu gradient elements)\n", first.ok ? "ok" : "FAILED",
              first.checked);
  std::printf("gradgradcheck: %s\n", second.ok ? "ok" : "FAILED");
  if (!first.ok) std::printf("  %s\n", first.message.c_str());
  if (!second.ok) std::printf("  %s\n", second.message.c_str());
  failures += !first.ok + !second.ok;

  // 2) It is an operation like any other: the tape shows its name and backward reaches leaves.
  auto loss = huber::huber_loss(pred, target, 1.0);
  loss.backward();
  std::printf("op name '%s', loss %.6f, dLoss/dpred[1] %.6f (= -1/6: clipped at -delta)\n",
              loss.op_name(), loss.item(), pred.grad().value()(1));
  failures += std::string(loss.op_name()) != "huber_loss";
  failures += std::abs(pred.grad().value()(1) + 1.0 / 6.0) > 1e-15;

  // 3) Fit y = w x + b to points on y = 2x + 1 with one wild outlier: Huber's gradient of the
  //    outlier is capped at delta, so the fit stays near the true line (the optimum is
  //    2.3 x + 0.6: the inliers balance a pull of delta / N) where least squares is dragged away.
  const Tn x = Tn::from({6, 1}, {0, 1, 2, 3, 4, 5});
  const Tn y = Tn::from({6, 1}, {1, 3, 5, 7, 9, 40});  // the last point should be 11
  Tn w = Tn::from({1, 1}, {0.0}, true), b = Tn::from({1}, {0.0}, true);
  for (int step = 0; step < 3000; ++step) {
    huber::huber_loss(xg::matmul(x, w) + b, y, 1.0).backward();
    xg::NoGradGuard no_grad;
    w.mutable_value() -= 0.05 * w.grad().value();
    b.mutable_value() -= 0.05 * b.grad().value();
    w.zero_grad();
    b.zero_grad();
  }
  std::printf("Huber fit: y = %.3f x + %.3f (true line 2 x + 1; least squares: 6.14 x - 4.52)\n",
              w.value()(0, 0), b.value()(0));
  failures += std::abs(w.value()(0, 0) - 2.3) > 1e-3 || std::abs(b.value()(0) - 0.6) > 1e-3;
  std::printf("%s\n", failures == 0 ? "all checks passed" : "CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}
