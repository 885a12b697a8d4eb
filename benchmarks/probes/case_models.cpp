// The models of the comparison harness's cases 1-5 and 13, a fixed number of steps on one thread,
// for instruction counts that a busy machine does not disturb (docs/performance.md):
//   valgrind --tool=callgrind xgrad_probe_models N      (N = 1..5, 13, 13-256)
// Built against two commits' libraries, it compares them; it prints the last loss.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>
#include "xgrad/memory.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"
using Tn = xg::Tensor<float>;
static double mlp(std::vector<std::size_t> sizes, std::size_t batch, int act, int loss_kind,
                  int steps) {
  xg::nn::manual_seed(7);
  std::vector<std::shared_ptr<xg::nn::Linear<float>>> layers;
  std::vector<Tn> params;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    layers.push_back(std::make_shared<xg::nn::Linear<float>>(sizes[l], sizes[l + 1]));
    for (const Tn& t : layers.back()->parameters()) params.push_back(t);
  }
  std::vector<float> xv(batch * sizes.front()), yv(batch * sizes.back());
  std::vector<std::size_t> labels(batch);
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = float((i * 37) % 101) / 101.0f - 0.5f;
  for (std::size_t i = 0; i < yv.size(); ++i) yv[i] = float((i * 13) % 2);
  for (std::size_t i = 0; i < batch; ++i) labels[i] = (i * 7) % sizes.back();
  const Tn x = Tn::from({batch, sizes.front()}, xv), y = Tn::from({batch, sizes.back()}, yv);
  xg::optim::SGD<float> opt(params, {.lr = 0.05f});
  double last = 0;
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    Tn h = x;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      h = (*layers[l])(h);
      if (l + 1 < layers.size() || loss_kind == 1)
        h = act == 0 ? xg::relu(h) : act == 1 ? xg::sigmoid(h) : xg::tanh(h);
    }
    Tn loss = loss_kind == 0   ? xg::mse_loss(h, y)
              : loss_kind == 1 ? xg::bce_loss(h, y)
                               : xg::cross_entropy(h, labels);
    loss.backward();
    opt.step();
    last = loss.item();
  }
  return last;
}
// Case 13's CNN (conv32-BN-ReLU-pool, conv64-BN-ReLU-pool, 1600-128-10) on a fixed batch.
static double cnn(std::size_t batch, int steps) {
  namespace nn = xg::nn;
  nn::manual_seed(7);
  nn::Sequential<float> model{nn::make<nn::Conv2d<float>>(1, 32, 3),
                              nn::make<nn::BatchNorm2d<float>>(32),
                              nn::make<nn::ReLU<float>>(),
                              nn::make<nn::MaxPool2d<float>>(2),
                              nn::make<nn::Conv2d<float>>(32, 64, 3),
                              nn::make<nn::BatchNorm2d<float>>(64),
                              nn::make<nn::ReLU<float>>(),
                              nn::make<nn::MaxPool2d<float>>(2),
                              nn::make<nn::Flatten<float>>(),
                              nn::make<nn::Linear<float>>(1600, 128),
                              nn::make<nn::ReLU<float>>(),
                              nn::make<nn::Linear<float>>(128, 10)};
  model.train();
  std::vector<float> xv(batch * 28 * 28);
  std::vector<std::size_t> labels(batch);
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = float((i * 37) % 101) / 101.0f;
  for (std::size_t i = 0; i < batch; ++i) labels[i] = (i * 7) % 10;
  const Tn x = Tn::from({batch, 1, 28, 28}, xv);
  xg::optim::SGD<float> opt(model.parameters(), {.lr = 0.01f, .momentum = 0.9f});
  double last = 0;
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    Tn loss = xg::cross_entropy(model(x), labels);
    loss.backward();
    opt.step();
    last = loss.item();
  }
  return last;
}
int main(int argc, char** argv) {
  xg::tune_allocator();
  xg::set_num_threads(1);
  const std::string which = argc > 1 ? argv[1] : "all";
  if (which == "1") std::printf("%.9g\n", mlp({2, 2, 1}, 10, 0, 0, 2000));
  if (which == "2") std::printf("%.9g\n", mlp({4, 8, 1}, 32, 1, 1, 500));
  if (which == "3") std::printf("%.9g\n", mlp({784, 500, 500, 10}, 128, 1, 2, 3));
  if (which == "4") std::printf("%.9g\n", mlp(std::vector<std::size_t>(201, 32), 16, 2, 0, 3));
  if (which == "13") std::printf("%.9g\n", cnn(64, 100));
  if (which == "13-256") std::printf("%.9g\n", cnn(256, 25));
  if (which == "5") {
    using Td = xg::Tensor<double>;
    double g = 0;
    for (int pass = 0; pass < 3; ++pass) {
      Td x = Td::scalar(1.0, true), yy = x;
      for (int i = 0; i < 10000; ++i) yy = yy * 1.0001 + 0.0001;
      yy.backward();
      g += x.grad().item();
    }
    std::printf("%.12g\n", g);
  }
}
