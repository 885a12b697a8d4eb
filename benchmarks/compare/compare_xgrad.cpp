// xgrad's side: the model as a user writes it (nn::Linear layers, activations, a loss and
// optim::SGD), one full training step per call.
#include <algorithm>
#include <memory>

#include "compare.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

namespace compare {

namespace {

using Tn = xg::Tensor<float>;

Tn activate(const Tn& h, Activation a) {
  switch (a) {
    case Activation::relu:
      return xg::relu(h);
    case Activation::sigmoid:
      return xg::sigmoid(h);
    case Activation::tanh:
      return xg::tanh(h);
    case Activation::none:
      break;
  }
  return h;
}

StepTimes run_chain(std::size_t n, const Budget& budget) {
  using Td = xg::Tensor<double>;
  return time_steps(
      [n] {
        Td x = Td::scalar(1.0, true);
        Td y = x;
        for (std::size_t i = 0; i < n; ++i) y = y * 1.0001 + 0.0001;
        y.backward();
        return x.grad().item();  // the tape is freed when y goes out of scope: timed too
      },
      budget);
}

}  // namespace

StepTimes run_xgrad(const Problem& p, const Budget& budget) {
  const CaseSpec& s = p.spec;
  if (s.chain > 0) return run_chain(s.chain, budget);
  if (s.second_order != SecondOrder::none) return run_xgrad_second_order(p, budget);
  if (s.conv == ConvCase::cnn_step) return run_xgrad_cnn(p, budget);
  if (s.conv == ConvCase::conv) return run_xgrad_conv(p, budget);
  if (s.layer == LayerCase::lstm || s.layer == LayerCase::gru)
    return run_xgrad_recurrent(p, budget);
  if (s.layer == LayerCase::gcn) return run_xgrad_gcn(p, budget);
  if (s.layer == LayerCase::mha) return run_xgrad_mha(p, budget);

  std::vector<std::shared_ptr<xg::nn::Linear<float>>> layers;
  std::vector<Tn> params;
  for (std::size_t l = 0; l < p.w.size(); ++l) {
    auto layer = std::make_shared<xg::nn::Linear<float>>(s.sizes[l], s.sizes[l + 1]);
    std::copy(p.w[l].begin(), p.w[l].end(), layer->weight().mutable_value().begin());
    std::copy(p.b[l].begin(), p.b[l].end(), layer->bias().mutable_value().begin());
    for (const Tn& t : layer->parameters()) params.push_back(t);
    layers.push_back(std::move(layer));
  }
  const Tn x = Tn::from({s.batch, s.sizes.front()}, p.x);
  const Tn y = p.y.empty() ? Tn() : Tn::from({s.batch, s.sizes.back()}, p.y);
  xg::optim::SGD<float> opt(params, {.lr = s.lr, .momentum = s.momentum, .nesterov = s.nesterov});

  return time_steps(
      [&] {
        opt.zero_grad();
        Tn h = x;
        for (std::size_t l = 0; l < layers.size(); ++l) {
          h = activate((*layers[l])(h), l + 1 < layers.size() ? s.hidden : s.output);
        }
        Tn loss = s.loss == LossKind::mse   ? xg::mse_loss(h, y)
                  : s.loss == LossKind::bce ? xg::bce_loss(h, y)
                                            : xg::cross_entropy(h, p.labels);
        loss.backward();
        opt.step();
        return static_cast<double>(loss.item());
      },
      budget);
}

}  // namespace compare
