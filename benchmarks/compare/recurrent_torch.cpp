// libtorch's side of cases 16-18: torch::nn::LSTM or torch::nn::GRU over the sequence from zero
// states, mse_loss against the same target and torch::optim::SGD with momentum, started from
// xgrad's initial weights. Only torch headers here.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

#include "compare.hpp"
#include "torch_tensor.hpp"

namespace compare {

StepTimes run_torch_recurrent(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  namespace tnn = torch::nn;
  const CaseSpec& s = p.spec;
  auto dim = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  const std::int64_t in = dim(s.sizes[0]), hidden = dim(s.sizes[1]);
  const std::int64_t gates = s.layer == LayerCase::lstm ? 4 : 3;
  tnn::LSTM lstm(nullptr);
  tnn::GRU gru(nullptr);
  if (s.layer == LayerCase::lstm) {
    lstm = tnn::LSTM(tnn::LSTMOptions(in, hidden));
  } else {
    gru = tnn::GRU(tnn::GRUOptions(in, hidden));
  }
  tnn::Module& module = lstm ? static_cast<tnn::Module&>(*lstm) : *gru;
  {
    torch::NoGradGuard no_grad;  // torch's weight_ih_l0 (G H, in) and weight_hh_l0 (G H, H) are
                                 // xgrad's (in, G H) and (H, G H) transposed; biases as they are
    auto named = module.named_parameters();
    named["weight_ih_l0"].copy_(tensor_of(p.w[0], {in, gates * hidden}).t());
    named["bias_ih_l0"].copy_(tensor_of(p.b[0], {gates * hidden}));
    named["weight_hh_l0"].copy_(tensor_of(p.w[1], {hidden, gates * hidden}).t());
    named["bias_hh_l0"].copy_(tensor_of(p.b[1], {gates * hidden}));
  }
  const auto x = tensor_of(p.x, {dim(s.seq_len), dim(s.batch), in});
  const auto target = tensor_of(p.y, {dim(s.seq_len), dim(s.batch), hidden});
  const std::vector<torch::Tensor> params = module.parameters();
  torch::optim::SGD opt(params, torch::optim::SGDOptions(s.lr).momentum(s.momentum));

  double first_grad_sq = NAN;
  StepTimes t = time_steps(
      [&] {
        opt.zero_grad();
        const auto out = lstm ? std::get<0>(lstm->forward(x)) : std::get<0>(gru->forward(x));
        const auto loss = torch::mse_loss(out, target);
        loss.backward();
        if (std::isnan(first_grad_sq)) first_grad_sq = grad_sum_sq(params);
        opt.step();
        return loss.item<double>();
      },
      budget);
  keep_first_step_checksum(t, first_grad_sq);
  return t;
}

}  // namespace compare
