// Spot the "stairs" pattern in 2x2 grayscale images (pixels 0 = white .. 255 =
// black, x1 x2 on top, x3 x4 at the bottom). Stairs: a dark bottom row and exactly one dark
// pixel on top. Three models, each a step further:
//   0) linear perceptron with a threshold, 1) sigmoid perceptron (logistic regression),
//   2) multi-layer perceptron with a sigmoid hidden layer.
#include <cstdio>
#include <random>
#include <vector>

#include "cli.hpp"
#include "xgrad/data.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

namespace nn = xg::nn;
using Tn = xg::Tensor<double>;

namespace {

struct Images {
  Tn x;  ///< (N, 4), pixels scaled to [0, 1]
  Tn y;  ///< (N, 1), 1 = stairs
};

bool is_stairs(const double* p) {
  auto dark = [](double v) { return v > 150; };
  auto light = [](double v) { return v < 100; };
  return dark(p[2]) && dark(p[3]) && ((dark(p[0]) && light(p[1])) || (light(p[0]) && dark(p[1])));
}

Images make_images(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dark(150, 255), light(0, 100), any(0, 255);
  std::bernoulli_distribution coin(0.5);
  std::vector<double> xs, ys;
  while (ys.size() < n) {
    double p[4];
    const bool stairs = coin(rng);
    if (stairs) {
      const bool left = coin(rng);
      p[0] = left ? dark(rng) : light(rng);
      p[1] = left ? light(rng) : dark(rng);
      p[2] = dark(rng);
      p[3] = dark(rng);
    } else {
      for (double& v : p) v = any(rng);
      if (is_stairs(p)) continue;  // keep the classes clean
    }
    for (double v : p) xs.push_back(v / 255.0);
    ys.push_back(stairs ? 1.0 : 0.0);
  }
  return {Tn::from({n, 4}, xs), Tn::from({n, 1}, ys)};
}

double accuracy(const Tn& scores, const Tn& y, double threshold) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    right += (scores.value().flat(i) > threshold) == (y.value().flat(i) > 0.5);
  }
  return double(right) / y.size();
}

/// Full-batch training; returns the test accuracy of `score > threshold`.
template <class Loss>
double fit(nn::Module<double>& model, Loss loss_fn, const Images& train, const Images& test,
           double threshold, std::size_t epochs) {
  xg::optim::Adam opt(model.parameters(), {.lr = 0.05});
  for (std::size_t e = 0; e < epochs; ++e) {
    auto loss = loss_fn(model(train.x), train.y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  xg::NoGradGuard no_grad;
  return accuracy(model(test.x), test.y, threshold);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Seed 000: spot the stairs pattern in 2x2 images with a perceptron, a sigmoid perceptron and "
      "an MLP.",
      "stairs"};
  if (auto status = examples::parse_command_line(app, argc, argv)) return *status;

  nn::manual_seed(0);
  const Images train = make_images(800, 1), test = make_images(400, 2);
  auto mse = [](const Tn& p, const Tn& y) { return xg::mse_loss(p, y); };
  auto bce = [](const Tn& p, const Tn& y) { return xg::bce_loss(p, y); };

  // Double precision throughout: the first layer's type decides the Sequential's.
  nn::Sequential linear{nn::Linear<double>(4, 1)};
  const double acc0 = fit(linear, mse, train, test, 0.5, 2000);
  std::printf("model 0, linear perceptron (score > 0.5):        test accuracy %.1f%%\n",
              100 * acc0);

  nn::Sequential logistic{nn::Linear<double>(4, 1), nn::Sigmoid<double>()};
  const double acc1 = fit(logistic, bce, train, test, 0.5, 2000);
  std::printf("model 1, sigmoid perceptron (logistic):          test accuracy %.1f%%\n",
              100 * acc1);

  nn::Sequential mlp{nn::Linear<double>(4, 8), nn::Sigmoid<double>(), nn::Linear<double>(8, 1),
                     nn::Sigmoid<double>()};
  const double acc2 = fit(mlp, bce, train, test, 0.5, 2000);
  std::printf("model 2, MLP with a sigmoid hidden layer (4-8-1): test accuracy %.1f%%\n",
              100 * acc2);
  std::printf("%s\n", mlp.to_string().c_str());
  // The hidden layer captures the interactions (x3 helps only with one dark top pixel).
  return acc2 > acc1 && acc2 >= 0.95 ? 0 : 1;
}
