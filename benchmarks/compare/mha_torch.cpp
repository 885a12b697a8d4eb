// libtorch's side of case 21: torch::nn::MultiheadAttention(x, x, x) without the attention
// weights (need_weights = false, as xgrad's forward(x)), mse_loss against the same target and
// torch::optim::SGD with momentum, started from xgrad's initial weights. Only torch headers here.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

#include "compare.hpp"
#include "torch_tensor.hpp"

namespace compare {

StepTimes run_torch_mha(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  namespace tnn = torch::nn;
  const CaseSpec& s = p.spec;
  auto dim = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  const std::int64_t e = dim(s.sizes[0]);
  tnn::MultiheadAttention mha(tnn::MultiheadAttentionOptions(e, dim(s.heads)));
  {
    torch::NoGradGuard no_grad;  // torch's in_proj_weight (3E, E) and out_proj.weight (E, E) are
                                 // xgrad's (E, 3E) and (E, E) transposed; biases as they are
    mha->in_proj_weight.copy_(tensor_of(p.w[0], {e, 3 * e}).t());
    mha->in_proj_bias.copy_(tensor_of(p.b[0], {3 * e}));
    mha->out_proj->weight.copy_(tensor_of(p.w[1], {e, e}).t());
    mha->out_proj->bias.copy_(tensor_of(p.b[1], {e}));
  }
  const auto x = tensor_of(p.x, {dim(s.seq_len), dim(s.batch), e});
  const auto target = tensor_of(p.y, {dim(s.seq_len), dim(s.batch), e});
  const std::vector<torch::Tensor> params = mha->parameters();
  torch::optim::SGD opt(params, torch::optim::SGDOptions(s.lr).momentum(s.momentum));

  double first_grad_sq = NAN;
  StepTimes t = time_steps(
      [&] {
        opt.zero_grad();
        const auto out = std::get<0>(mha->forward(x, x, x, {}, /*need_weights=*/false));
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
