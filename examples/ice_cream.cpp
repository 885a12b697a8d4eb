// The ice-cream network step by step on the tape: scan the output bias, find it by gradient
// descent with the chain rule, then the bias and a weight together, then all 9 parameters of the
// 2-2-1 ReLU network, and finally full-batch vs stochastic vs mini-batch gradient descent.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "cli.hpp"
#include "ice_cream_data.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/data.hpp"

using Tn = xg::Tensor<double>;

namespace {

double mse_at(const ice_cream::Params<double>& p, const Tn& x, const Tn& y) {
  xg::NoGradGuard no_grad;
  return xg::mse_loss(ice_cream::predict(p, x), y).item();
}

void sgd_step(std::vector<Tn*> params, double lr) {
  xg::NoGradGuard no_grad;
  for (Tn* p : params) {
    p->mutable_value() -= lr * p->grad().value();
    p->zero_grad();
  }
}

/// Weights from N(0, 0.5^2), biases 0.1: a random start for the 9 parameters.
ice_cream::Params<double> random_params(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> init(0.0, 0.5);
  auto random_tensor = [&](xg::Shape s) {
    Tn t = Tn::zeros(s, true);
    for (auto& v : t.mutable_value()) v = init(rng);
    return t;
  };
  return {random_tensor({2, 2}), Tn::full({2}, 0.1, true), random_tensor({2, 1}),
          Tn::full({1}, 0.1, true)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Seed 003 step by step on the tape: the ice-cream network's output bias, then more "
      "parameters, then full-batch, stochastic and mini-batch gradient descent.",
      "ice_cream"};
  if (auto status = examples::parse_command_line(app, argc, argv)) return *status;

  const Tn x = ice_cream::inputs<double>();
  const Tn y = ice_cream::targets<double>();

  std::printf("1) Brute force over the output bias (all other parameters at their optimum)\n");
  auto p = ice_cream::true_params<double>();
  for (int k = 0; k <= 5; ++k) {
    p.b_out.mutable_value()(0) = 0.1 * k;
    std::printf("   bias %.1f  MSE %.5f\n", 0.1 * k, mse_at(p, x, y));
  }

  std::printf("\n2) Gradient descent on the output bias alone (learning rate 0.1)\n");
  p.b_out = Tn::from({1}, {0.0}, true);
  for (int step = 0; step < 200; ++step) {
    auto loss = xg::mse_loss(ice_cream::predict(p, x), y);
    loss.backward();
    const double slope = p.b_out.grad().item();
    if (step < 5 || step % 10 == 0) {
      std::printf("   step %3d  bias %.5f  MSE %.6f  dMSE/db %+.6f\n", step, p.b_out.value()(0),
                  loss.item(), slope);
    }
    if (std::abs(slope) < 1e-7) {
      std::printf("   step %3d  bias %.5f  (step size ~ 0: stop)\n", step, p.b_out.value()(0));
      break;
    }
    sgd_step({&p.b_out}, 0.1);
  }

  std::printf("\n3) The bias and the second output weight together (simultaneous update)\n");
  p = ice_cream::true_params<double>();
  p.b_out = Tn::from({1}, {0.0}, true);
  p.w_out = Tn::from({2, 1}, {p.w_out.value()(0, 0), 0.0}, true);
  for (int step = 0; step <= 300; ++step) {
    auto loss = xg::mse_loss(ice_cream::predict(p, x), y);
    loss.backward();
    if (step % 50 == 0) {
      std::printf("   step %3d  bias %+.4f  weight %+.4f  MSE %.6f  dMSE/db %+.5f  dMSE/dw %+.5f\n",
                  step, p.b_out.value()(0), p.w_out.value()(1, 0), loss.item(),
                  p.b_out.grad().item(), p.w_out.grad().value()(1, 0));
    }
    xg::NoGradGuard no_grad;
    p.w_out.mutable_value()(1, 0) -= 0.5 * p.w_out.grad().value()(1, 0);
    p.b_out.mutable_value() -= 0.5 * p.b_out.grad().value();
    p.w_out.zero_grad();
    p.b_out.zero_grad();
  }

  std::printf("\n4) All 9 parameters from random starts, full-batch gradient descent\n");
  std::printf("   (the loss is not convex: different starts can end in different minima)\n");
  double best = 1e9;
  for (unsigned seed = 1; seed <= 4; ++seed) {
    auto q = random_params(seed);
    double first = 0, last = 0;
    for (int epoch = 0; epoch <= 5000; ++epoch) {
      auto loss = xg::mse_loss(ice_cream::predict(q, x), y);
      (epoch == 0 ? first : last) = loss.item();
      loss.backward();
      sgd_step({&q.w_hidden, &q.b_hidden, &q.w_out, &q.b_out}, 0.2);
    }
    best = std::min(best, last);
    std::printf(
        "   start %u: MSE %.6f -> %.6f after 5000 epochs%s\n", seed, first, last,
        last == first ? "  (stuck: the output ReLU is off for every row, a dead ReLU)" : "");
  }
  const double truth = mse_at(ice_cream::true_params<double>(), x, y);
  std::printf("   best MSE %.6f (the network that made the data: %.6f)\n", best, truth);
  std::printf("\n5) Full batch vs stochastic vs mini-batch (same start, 300 epochs, lr 0.1)\n");
  for (std::size_t batch : {std::size_t(0), std::size_t(1), std::size_t(4)}) {
    auto q = random_params(2);
    xg::data::DataLoader loader(x, y, {.batch_size = batch, .shuffle = true, .seed = 5});
    std::size_t steps = 0;
    for (int epoch = 0; epoch < 300; ++epoch) {
      for (const auto& b : loader) {  // one epoch
        xg::mse_loss(ice_cream::predict(q, b.inputs), b.targets).backward();
        sgd_step({&q.w_hidden, &q.b_hidden, &q.w_out, &q.b_out}, 0.1);
        ++steps;
      }
    }
    const char* name = batch == 0   ? "full batch (10 rows)"
                       : batch == 1 ? "stochastic (1 row)"
                                    : "mini-batch (4 rows)";
    std::printf("   %-22s %5zu gradient steps  final MSE %.6f\n", name, steps, mse_at(q, x, y));
  }

  // Exit status for the smoke test: the tape must have found a good fit.
  return best < 10 * truth + 1e-3 ? 0 : 1;
}
