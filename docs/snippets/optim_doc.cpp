// The code of docs/optim.md, compiled and run by ctest (docs.snippet.optim_doc): the training
// loop on a small random stand-in for the data, seed 004's Keras SGD, and an exact resume.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include <xtensor/xarray.hpp>

#include "xgrad/autograd.hpp"
#include "xgrad/data.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

namespace {
std::shared_ptr<xg::nn::Sequential<float>> build_model() {
  xg::nn::manual_seed(11);
  return std::make_shared<xg::nn::Sequential<float>>(
      std::initializer_list<std::shared_ptr<xg::nn::Module<float>>>{
          xg::nn::make<xg::nn::Linear<float>>(784, 16), xg::nn::make<xg::nn::ReLU<float>>(),
          xg::nn::make<xg::nn::Linear<float>>(16, 10)});
}
}  // namespace

int main() {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  std::vector<float> pixels(100 * 784);
  for (auto& v : pixels) v = pixel(rng);
  std::vector<std::size_t> labels(100);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = (i * 7) % 10;
  xg::data::DataLoader<float> loader(xg::Tensor<float>::from({100, 784}, pixels), labels,
                                     {.batch_size = 50, .seed = 2});
  {
    // snippet-begin: loop
    namespace nn = xg::nn;

    nn::Sequential<float> model{nn::make<nn::Linear<float>>(784, 128), nn::make<nn::ReLU<float>>(),
                                nn::make<nn::Linear<float>>(128, 10)};
    xg::optim::Adam<float> opt(model.parameters(), {.lr = 1e-3});
    xg::optim::StepLR<float> schedule(opt, /*step_size=*/10, /*gamma=*/0.5);

    for (std::size_t epoch = 1; epoch <= 30; ++epoch) {
      for (const auto& batch : loader.epoch()) {
        auto loss = xg::cross_entropy(model(batch.inputs), batch.labels);
        opt.zero_grad();  // forget the previous batch's gradients
        loss.backward();  // accumulate dloss/dparameter into each parameter's grad()
        opt.step();       // update every parameter that has a gradient
      }
      schedule.step();  // lr for the next epoch
    }
    // snippet-end: loop
    std::printf("Adam: %zu steps, lr now %g\n", opt.iterations(), opt.lr());
    if (opt.iterations() != 60 || std::abs(opt.lr() - 1.25e-4) > 1e-12) return 1;
  }
  {
    auto model = build_model();
    // snippet-begin: keras_sgd
    xg::optim::SGD<float> sgd(model->parameters(),
                              {.lr = 0.01, .momentum = 0.9, .nesterov = true, .decay = 1e-6});
    // snippet-end: keras_sgd
    (void)sgd;
  }
  // Train 2 epochs, checkpoint, train 2 more; then resume from the checkpoint in fresh objects
  // and check the 2 resumed epochs give bit-identical weights.
  std::filesystem::remove_all("ckpt");
  auto train = [&](xg::nn::Sequential<float>& m, xg::optim::SGD<float>& o, int epochs) {
    xg::data::DataLoader<float> l(xg::Tensor<float>::from({100, 784}, pixels), labels,
                                  {.batch_size = 50, .shuffle = false});
    for (int e = 0; e < epochs; ++e) {
      for (const auto& batch : l.epoch()) {
        auto loss = xg::cross_entropy(m(batch.inputs), batch.labels);
        o.zero_grad();
        loss.backward();
        o.step();
      }
    }
  };
  xt::xarray<float> uninterrupted;
  {
    auto model = build_model();
    xg::optim::SGD<float> opt(model->parameters(),
                              {.lr = 0.01, .momentum = 0.9, .nesterov = true, .decay = 1e-6});
    train(*model, opt, 2);
    // snippet-begin: save
    // at a checkpoint
    xg::nn::save_parameters(*model, "ckpt/model");
    opt.save("ckpt/optimizer");
    // snippet-end: save
    train(*model, opt, 2);
    uninterrupted = model->parameters()[0].value();
  }
  {
    // snippet-begin: resume
    // later, in a new process
    auto model = build_model();
    xg::nn::load_parameters(*model, "ckpt/model");
    xg::optim::SGD<float> opt(model->parameters(),
                              {.lr = 0.01, .momentum = 0.9, .nesterov = true, .decay = 1e-6});
    opt.load("ckpt/optimizer");  // lr, iterations (so the Keras decay continues), momentum buffers
    // snippet-end: resume
    train(*model, opt, 2);
    std::filesystem::remove_all("ckpt");
    const bool same = model->parameters()[0].value() == uninterrupted;
    std::printf("resumed training %s the uninterrupted run\n", same ? "equals" : "DIFFERS FROM");
    return same ? 0 : 1;
  }
}
