// Seed 003, step by step on the tape: scan the output bias, find it by gradient descent with the
// chain rule, then learn all 9 parameters of the 2-2-1 ReLU network.
#include <cstdio>
#include <random>

#include "ice_cream_data.hpp"
#include "xgrad/autograd.hpp"

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

}  // namespace

int main() {
  const Tn x = ice_cream::inputs<double>();
  const Tn y = ice_cream::targets<double>();

  std::printf("1) Brute force over the output bias (all other parameters at their optimum)\n");
  auto p = ice_cream::true_params<double>();
  for (int k = 0; k <= 5; ++k) {
    p.b_out.mutable_value()(0) = 0.1 * k;
    std::printf("   bias %.1f  MSE %.5f\n", 0.1 * k, mse_at(p, x, y));
  }

  std::printf("\n2) Gradient descent on the output bias alone (learning rate 0.5)\n");
  p.b_out = Tn::from({1}, {0.0}, true);
  for (int step = 0; step < 200; ++step) {
    auto loss = xg::mse_loss(ice_cream::predict(p, x), y);
    loss.backward();
    const double slope = p.b_out.grad().item();
    if (step < 5 || step % 40 == 0) {
      std::printf("   step %3d  bias %.5f  MSE %.6f  dMSE/db %+.6f\n", step,
                  p.b_out.value()(0), loss.item(), slope);
    }
    if (std::abs(slope) < 1e-7) {
      std::printf("   step %3d  bias %.5f  (step size ~ 0: stop)\n", step, p.b_out.value()(0));
      break;
    }
    sgd_step({&p.b_out}, 0.5);
  }

  std::printf("\n3) All 9 parameters from a random start, full-batch gradient descent\n");
  std::mt19937 rng(3);
  std::normal_distribution<double> init(0.0, 0.5);
  auto random_tensor = [&](xg::Shape s) {
    Tn t = Tn::zeros(s, true);
    for (auto& v : t.mutable_value()) v = init(rng);
    return t;
  };
  ice_cream::Params<double> q{random_tensor({2, 2}), Tn::full({2}, 0.1, true),
                              random_tensor({2, 1}), Tn::full({1}, 0.1, true)};
  double loss_value = 0;
  for (int epoch = 0; epoch <= 5000; ++epoch) {
    auto loss = xg::mse_loss(ice_cream::predict(q, x), y);
    loss_value = loss.item();
    loss.backward();
    if (epoch % 1000 == 0) std::printf("   epoch %4d  MSE %.6f\n", epoch, loss_value);
    sgd_step({&q.w_hidden, &q.b_hidden, &q.w_out, &q.b_out}, 0.2);
  }
  std::printf("   final MSE %.6f (the true network's MSE is %.6f)\n", loss_value,
              mse_at(ice_cream::true_params<double>(), x, y));
  return 0;
}
