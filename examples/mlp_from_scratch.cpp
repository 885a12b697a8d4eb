// A one-hidden-layer sigmoid network, twice: once with explicit delta formulas (backpropagation
// by hand), once on the tape. Both start from the same weights; each epoch the program checks
// that the tape's gradients give exactly the hand-written updates.
//
//   hidden = sigmoid(X wh + bh)          output = sigmoid(hidden wout + bout)
//   E = y - output                       d_output = E * output (1 - output)
//   err_hidden = d_output wout^T         d_hidden = err_hidden * hidden (1 - hidden)
//   wout += hidden^T d_output lr         bout += sum_rows(d_output) lr
//   wh   += X^T d_hidden lr              bh   += sum_rows(d_hidden) lr
// The loss behind these updates is sum((y - output)^2) / 2: its gradient is minus the deltas.
#include <cmath>
#include <cstdio>
#include <random>

#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "cli.hpp"
#include "xgrad/autograd.hpp"

using Tn = xg::Tensor<double>;
using Arr = xt::xarray<double>;

namespace {

Arr dot(const Arr& a, const Arr& b) {
  // Plain loops: the matrices are 3x4 at most.
  Arr out = xt::zeros<double>({a.shape()[0], b.shape()[1]});
  for (std::size_t i = 0; i < a.shape()[0]; ++i)
    for (std::size_t k = 0; k < a.shape()[1]; ++k)
      for (std::size_t j = 0; j < b.shape()[1]; ++j) out(i, j) += a(i, k) * b(k, j);
  return out;
}

Arr sigmoid(const Arr& z) {
  return 1.0 / (1.0 + xt::exp(-z));
}

double max_abs_diff(const Arr& a, const Arr& b) {
  return xt::amax(xt::abs(a - b))();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Seed 001's sigmoid network twice, with the seed's delta formulas and on the tape, checking "
      "each epoch that the updates agree.",
      "mlp_from_scratch"};
  if (auto status = examples::parse_command_line(app, argc, argv)) return *status;

  const Arr X = {{1, 0, 1, 0}, {1, 0, 1, 1}, {0, 1, 0, 1}};
  Arr y = xt::zeros<double>({3, 1});
  y(0, 0) = 1;
  y(1, 0) = 1;
  const double lr = 0.1;
  const int epochs = 5000;

  std::mt19937 rng(1);
  std::uniform_real_distribution<double> uniform(0, 1);
  auto random = [&](std::size_t r, std::size_t c) {
    Arr a = xt::zeros<double>({r, c});
    for (auto& v : a) v = uniform(rng);
    return a;
  };
  // 4 inputs, 3 hidden neurons, 1 output.
  Arr wh = random(4, 3), bh = random(1, 3), wout = random(3, 1), bout = random(1, 1);
  Tn t_wh(Arr(wh), true), t_bh(Arr(bh), true), t_wout(Arr(wout), true), t_bout(Arr(bout), true);
  const Tn tX(X), ty(y);

  double worst = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    // snippet-begin: by_hand
    // By hand, with the delta formulas above.
    const Arr hidden = sigmoid(dot(X, wh) + bh);
    const Arr output = sigmoid(dot(hidden, wout) + bout);
    const Arr E = y - output;
    const Arr d_output = E * output * (1.0 - output);
    const Arr err_hidden = dot(d_output, xt::transpose(wout));
    const Arr d_hidden = err_hidden * hidden * (1.0 - hidden);
    wout += dot(xt::transpose(hidden), d_output) * lr;
    bout += xt::sum(d_output, {0}, xt::keep_dims) * lr;
    wh += dot(xt::transpose(X), d_hidden) * lr;
    bh += xt::sum(d_hidden, {0}, xt::keep_dims) * lr;
    // snippet-end: by_hand

    // snippet-begin: tape
    // On the tape: the same network, loss sum((y - output)^2) / 2, step w -= lr dL/dw.
    const Tn t_hidden = xg::sigmoid(xg::matmul(tX, t_wh) + t_bh);
    const Tn t_output = xg::sigmoid(xg::matmul(t_hidden, t_wout) + t_bout);
    const Tn loss = xg::sum(xg::pow(ty - t_output, 2.0)) * 0.5;
    loss.backward();
    {
      xg::NoGradGuard no_grad;
      for (Tn* p : {&t_wh, &t_bh, &t_wout, &t_bout}) {
        p->mutable_value() -= lr * p->grad().value();
        p->zero_grad();
      }
    }
    // snippet-end: tape
    worst = std::max({worst, max_abs_diff(wh, t_wh.value()), max_abs_diff(bh, t_bh.value()),
                      max_abs_diff(wout, t_wout.value()), max_abs_diff(bout, t_bout.value())});
    if (epoch == 0 || (epoch + 1) % 1000 == 0) {
      std::printf(
          "epoch %4d  loss %.6f  output by hand [%.4f %.4f %.4f]  on the tape [%.4f %.4f %.4f]\n",
          epoch + 1, loss.item(), output(0, 0), output(1, 0), output(2, 0), t_output.value()(0, 0),
          t_output.value()(1, 0), t_output.value()(2, 0));
    }
  }
  std::printf("largest difference between the two sets of weights over %d epochs: %.3g\n", epochs,
              worst);
  const bool same = worst < 1e-12;
  std::printf("%s\n", same ? "the tape reproduces the seed's delta formulas exactly"
                           : "MISMATCH between the tape and the delta formulas");
  return same ? 0 : 1;
}
