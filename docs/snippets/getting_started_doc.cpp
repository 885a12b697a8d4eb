// The code of docs/getting-started.md and course chapter 6, compiled and run by ctest: the
// ice-cream step on the bias and the Fashion-MNIST training loop on a small random stand-in for
// the data (the real run is examples/fashion_mnist.cpp, smoke-tested as examples.fashion_mnist).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "ice_cream_data.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/data.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

namespace nn = xg::nn;

int main() {
  {
    const auto x = ice_cream::inputs<double>();
    const auto y = ice_cream::targets<double>();
    auto p = ice_cream::true_params<double>();
    p.b_out = xg::Tensor<double>::from({1}, {0.0}, true);
    double slope = 0;
    for (int step = 0; step < 200; ++step) {
      // snippet-begin: bias_step
      auto loss = xg::mse_loss(ice_cream::predict(p, x), y);
      loss.backward();  // dMSE/db = dMSE/dr̂ · dr̂/dz · dz/db
      slope = p.b_out.grad().item();
      {
        xg::NoGradGuard no_grad;  // the update itself is not part of the model
        p.b_out.mutable_value() -= 0.1 * p.b_out.grad().value();
      }
      p.b_out.zero_grad();
      // snippet-end: bias_step
    }
    std::printf("bias after 200 steps: %.5f (slope %.2g)\n", p.b_out.value()(0), slope);
    if (std::abs(p.b_out.value()(0) - 0.3) > 0.02 || std::abs(slope) > 1e-4) return 1;
  }

  // A random stand-in for Fashion-MNIST: 400 "images" of 784 pixels, 10 classes.
  nn::manual_seed(3);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  std::vector<float> pixels(400 * 784);
  for (auto& v : pixels) v = pixel(rng);
  std::vector<std::size_t> labels(400);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = i % 10;
  const auto train_images = xg::Tensor<float>::from({400, 784}, pixels);
  const auto& train_labels = labels;
  const std::size_t epochs = 3;

  // snippet-begin: fashion_loop
  nn::Sequential model{nn::Linear(784, 500), nn::Sigmoid(), nn::Dropout(0.5),
                       nn::Linear(500, 500), nn::Sigmoid(), nn::Dropout(0.5),
                       nn::Linear(500, 10)};

  xg::optim::SGD sgd(model.parameters(),
                     {.lr = 0.01, .momentum = 0.9, .nesterov = true, .decay = 1e-6});
  xg::data::DataLoader loader(train_images, train_labels, {.batch_size = 200, .seed = 1});

  for (std::size_t epoch = 1; epoch <= epochs; ++epoch) {  // the seed trains 50 epochs
    model.train();
    for (const auto& batch : loader) {  // one epoch, reshuffled, a batch at a time
      auto loss = xg::cross_entropy(model(batch.inputs), batch.labels);
      sgd.zero_grad();
      loss.backward();
      sgd.step();
    }
    // evaluate on the validation split in eval mode (dropout off) under xg::NoGradGuard
  }
  // snippet-end: fashion_loop
  model.eval();
  xg::NoGradGuard no_grad;
  const float loss = xg::cross_entropy(model(train_images), train_labels).item();
  std::printf("%zu SGD steps; cross-entropy now %.4f (chance: ln 10 = 2.3026)\n", sgd.iterations(),
              loss);
  return sgd.iterations() == 6 && std::isfinite(loss) && loss > 1.5 && loss < 4.0 ? 0 : 1;
}
