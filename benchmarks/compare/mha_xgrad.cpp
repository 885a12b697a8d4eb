// xgrad's side of case 21: nn::MultiheadAttention as self-attention on x (L, N, E), the MSE of
// its output against a fixed target and optim::SGD with momentum, started from the problem's
// weights.
#include <algorithm>
#include <cmath>

#include "compare.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"
#include "xgrad_checksum.hpp"

namespace compare {

namespace {

using Tn = xg::Tensor<float>;

}  // namespace

StepTimes run_xgrad_mha(const Problem& p, const Budget& budget) {
  const CaseSpec& s = p.spec;
  const std::size_t e = s.sizes[0];
  xg::nn::MultiheadAttention<float> mha(e, s.heads);
  set(mha.in_proj_weight(), p.w[0]);
  set(mha.in_proj_bias(), p.b[0]);
  set(mha.out_proj().weight(), p.w[1]);
  set(mha.out_proj().bias(), p.b[1]);
  const Tn x = Tn::from({s.seq_len, s.batch, e}, p.x);
  const Tn target = Tn::from({s.seq_len, s.batch, e}, p.y);
  const std::vector<Tn> params = mha.parameters();
  xg::optim::SGD<float> opt(params, {.lr = s.lr, .momentum = s.momentum});

  double first_grad_sq = NAN;
  StepTimes t = time_steps(
      [&] {
        opt.zero_grad();
        Tn loss = xg::mse_loss(mha(x), target);
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
