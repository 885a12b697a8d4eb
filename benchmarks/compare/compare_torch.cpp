// libtorch's side: the same model with torch::nn::Linear layers, torch's activations and losses
// and torch::optim::SGD, started from xgrad's initial weights. Only torch headers here.
#include <torch/torch.h>

#include <cstdint>

#include "compare.hpp"
#include "torch_tensor.hpp"

namespace compare {

namespace {

torch::Tensor activate(const torch::Tensor& h, Activation a) {
  switch (a) {
    case Activation::relu:
      return torch::relu(h);
    case Activation::sigmoid:
      return torch::sigmoid(h);
    case Activation::tanh:
      return torch::tanh(h);
    case Activation::none:
      break;
  }
  return h;
}

StepTimes run_chain(std::size_t n, const Budget& budget) {
  return time_steps(
      [n] {
        auto x = torch::ones({}, torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true));
        auto y = x;
        for (std::size_t i = 0; i < n; ++i) y = y * 1.0001 + 0.0001;
        y.backward();
        return x.grad().item<double>();
      },
      budget);
}

}  // namespace

StepTimes run_torch(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  const CaseSpec& s = p.spec;
  if (s.chain > 0) return run_chain(s.chain, budget);
  if (s.second_order != SecondOrder::none)
    return run_torch_second_order(p, budget, intra_op_threads);
  if (s.conv == ConvCase::cnn_step) return run_torch_cnn(p, budget, intra_op_threads);
  if (s.conv == ConvCase::conv) return run_torch_conv(p, budget, intra_op_threads);
  if (s.layer == LayerCase::lstm || s.layer == LayerCase::gru) {
    return run_torch_recurrent(p, budget, intra_op_threads);
  }
  if (s.layer == LayerCase::gcn) return run_torch_gcn(p, budget, intra_op_threads);
  if (s.layer == LayerCase::mha) return run_torch_mha(p, budget, intra_op_threads);

  std::vector<torch::nn::Linear> layers;
  std::vector<torch::Tensor> params;
  for (std::size_t l = 0; l < p.w.size(); ++l) {
    const auto in = static_cast<std::int64_t>(s.sizes[l]);
    const auto out = static_cast<std::int64_t>(s.sizes[l + 1]);
    torch::nn::Linear layer(in, out);
    {
      torch::NoGradGuard no_grad;  // torch's weight is (out, in): xgrad's (in, out) transposed
      layer->weight.copy_(tensor_of(p.w[l], {in, out}).t());
      layer->bias.copy_(tensor_of(p.b[l], {out}));
    }
    params.push_back(layer->weight);
    params.push_back(layer->bias);
    layers.push_back(layer);
  }
  const auto batch = static_cast<std::int64_t>(s.batch);
  const auto x = tensor_of(p.x, {batch, static_cast<std::int64_t>(s.sizes.front())});
  const auto y = p.y.empty() ? torch::Tensor()
                             : tensor_of(p.y, {batch, static_cast<std::int64_t>(s.sizes.back())});
  std::vector<std::int64_t> label_values(p.labels.begin(), p.labels.end());
  const auto labels = torch::tensor(label_values, torch::kInt64);
  torch::optim::SGD opt(params,
                        torch::optim::SGDOptions(s.lr).momentum(s.momentum).nesterov(s.nesterov));

  return time_steps(
      [&] {
        opt.zero_grad();
        torch::Tensor h = x;
        for (std::size_t l = 0; l < layers.size(); ++l) {
          h = activate(layers[l]->forward(h), l + 1 < layers.size() ? s.hidden : s.output);
        }
        torch::Tensor loss = s.loss == LossKind::mse ? torch::mse_loss(h, y)
                             : s.loss == LossKind::bce
                                 ? torch::binary_cross_entropy(h, y)
                                 : torch::nn::functional::cross_entropy(h, labels);
        loss.backward();
        opt.step();
        return loss.item<double>();
      },
      budget);
}

std::string torch_version() {
  return TORCH_VERSION;
}

}  // namespace compare
