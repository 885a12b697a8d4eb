// xgrad's side of cases 16-18: nn::LSTM or nn::GRU over the whole sequence from zero states, the
// MSE of the output sequence against a fixed target, backward through time and optim::SGD with
// momentum, started from the problem's weights.
#include <algorithm>
#include <cmath>
#include <memory>

#include "compare.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"
#include "xgrad_checksum.hpp"

namespace compare {

namespace {

using Tn = xg::Tensor<float>;

}  // namespace

StepTimes run_xgrad_recurrent(const Problem& p, const Budget& budget) {
  namespace nn = xg::nn;
  const CaseSpec& s = p.spec;
  const std::size_t in = s.sizes[0], hidden = s.sizes[1];
  std::shared_ptr<nn::RecurrentBase<float>> layer;
  if (s.layer == LayerCase::lstm) {
    layer = std::make_shared<nn::LSTM<float>>(in, hidden);
  } else {
    layer = std::make_shared<nn::GRU<float>>(in, hidden);
  }
  set(layer->weight_ih(0), p.w[0]);
  set(layer->bias_ih(0), p.b[0]);
  set(layer->weight_hh(0), p.w[1]);
  set(layer->bias_hh(0), p.b[1]);
  const Tn x = Tn::from({s.seq_len, s.batch, in}, p.x);
  const Tn target = Tn::from({s.seq_len, s.batch, hidden}, p.y);
  const std::vector<Tn> params = layer->parameters();
  xg::optim::SGD<float> opt(params, {.lr = s.lr, .momentum = s.momentum});

  double first_grad_sq = NAN;
  StepTimes t = time_steps(
      [&] {
        opt.zero_grad();
        Tn loss = xg::mse_loss((*layer)(x), target);
        loss.backward();
        if (std::isnan(first_grad_sq)) first_grad_sq = grad_sum_sq(params);
        opt.step();
        return static_cast<double>(loss.item());
      },
      budget);
  keep_first_step_checksum(t, first_grad_sq);
  return t;
}

}  // namespace compare
