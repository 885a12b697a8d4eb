// xgrad's side of case 13: the CNN as a user writes it (nn::Sequential of Conv2d, BatchNorm2d,
// ReLU, MaxPool2d, Flatten and Linear, cross-entropy, optim::SGD with momentum), started from the
// problem's weights, in training mode (batch norm on the batch's statistics).
#include <algorithm>
#include <memory>

#include "compare.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

namespace compare {

namespace {

using Tn = xg::Tensor<float>;

template <class Layer>
void set_weights(Layer& layer, const std::vector<float>& w, const std::vector<float>& b) {
  std::copy(w.begin(), w.end(), layer.weight().mutable_value().begin());
  std::copy(b.begin(), b.end(), layer.bias().mutable_value().begin());
}

}  // namespace

StepTimes run_xgrad_cnn(const Problem& p, const Budget& budget) {
  namespace nn = xg::nn;
  using namespace cnn;
  const CaseSpec& s = p.spec;
  auto conv1 = nn::make<nn::Conv2d<float>>(1, kChannels1, kKernel);
  auto conv2 = nn::make<nn::Conv2d<float>>(kChannels1, kChannels2, kKernel);
  auto fc1 = nn::make<nn::Linear<float>>(kFlat, kHidden);
  auto fc2 = nn::make<nn::Linear<float>>(kHidden, kClasses);
  set_weights(*conv1, p.w[0], p.b[0]);
  set_weights(*conv2, p.w[1], p.b[1]);
  set_weights(*fc1, p.w[2], p.b[2]);
  set_weights(*fc2, p.w[3], p.b[3]);
  nn::Sequential<float> model{conv1,
                              nn::make<nn::BatchNorm2d<float>>(kChannels1),
                              nn::make<nn::ReLU<float>>(),
                              nn::make<nn::MaxPool2d<float>>(2),
                              conv2,
                              nn::make<nn::BatchNorm2d<float>>(kChannels2),
                              nn::make<nn::ReLU<float>>(),
                              nn::make<nn::MaxPool2d<float>>(2),
                              nn::make<nn::Flatten<float>>(),
                              fc1,
                              nn::make<nn::ReLU<float>>(),
                              fc2};
  model.train();
  const Tn x = Tn::from({s.batch, 1, kImage, kImage}, p.x);
  xg::optim::SGD<float> opt(model.parameters(), {.lr = s.lr, .momentum = s.momentum});

  return time_steps(
      [&] {
        opt.zero_grad();
        Tn loss = xg::cross_entropy(model(x), p.labels);
        loss.backward();
        opt.step();
        return static_cast<double>(loss.item());
      },
      budget);
}

}  // namespace compare
