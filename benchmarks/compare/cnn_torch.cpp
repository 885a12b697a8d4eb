// libtorch's side of case 13: the same CNN with torch::nn modules, cross_entropy and
// torch::optim::SGD with momentum, started from xgrad's initial weights, in training mode. Only
// torch headers here.
#include <torch/torch.h>

#include <cstdint>

#include "compare.hpp"
#include "torch_tensor.hpp"

namespace compare {

StepTimes run_torch_cnn(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  namespace tnn = torch::nn;
  using namespace cnn;
  const CaseSpec& s = p.spec;
  auto dim = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  tnn::Conv2d conv1(tnn::Conv2dOptions(1, dim(kChannels1), dim(kKernel)));
  tnn::Conv2d conv2(tnn::Conv2dOptions(dim(kChannels1), dim(kChannels2), dim(kKernel)));
  tnn::Linear fc1(dim(kFlat), dim(kHidden)), fc2(dim(kHidden), dim(kClasses));
  {
    torch::NoGradGuard no_grad;  // conv weights share xgrad's (out, in, kH, kW) layout; Linear
                                 // weights are (out, in): xgrad's (in, out) transposed
    const std::int64_t k = dim(kKernel);
    conv1->weight.copy_(tensor_of(p.w[0], {dim(kChannels1), 1, k, k}));
    conv1->bias.copy_(tensor_of(p.b[0], {dim(kChannels1)}));
    conv2->weight.copy_(tensor_of(p.w[1], {dim(kChannels2), dim(kChannels1), k, k}));
    conv2->bias.copy_(tensor_of(p.b[1], {dim(kChannels2)}));
    fc1->weight.copy_(tensor_of(p.w[2], {dim(kFlat), dim(kHidden)}).t());
    fc1->bias.copy_(tensor_of(p.b[2], {dim(kHidden)}));
    fc2->weight.copy_(tensor_of(p.w[3], {dim(kHidden), dim(kClasses)}).t());
    fc2->bias.copy_(tensor_of(p.b[3], {dim(kClasses)}));
  }
  tnn::Sequential model(
      conv1, tnn::BatchNorm2d(dim(kChannels1)), tnn::ReLU(),
      tnn::MaxPool2d(tnn::MaxPool2dOptions(2)), conv2, tnn::BatchNorm2d(dim(kChannels2)),
      tnn::ReLU(), tnn::MaxPool2d(tnn::MaxPool2dOptions(2)), tnn::Flatten(), fc1, tnn::ReLU(), fc2);
  model->train();
  const auto x = tensor_of(p.x, {dim(s.batch), 1, dim(kImage), dim(kImage)});
  std::vector<std::int64_t> label_values(p.labels.begin(), p.labels.end());
  const auto labels = torch::tensor(label_values, torch::kInt64);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(s.lr).momentum(s.momentum));

  return time_steps(
      [&] {
        opt.zero_grad();
        const auto loss = tnn::functional::cross_entropy(model->forward(x), labels);
        loss.backward();
        opt.step();
        return loss.item<double>();
      },
      budget);
}

}  // namespace compare
