// libtorch's side of cases 14 and 15, as conv_xgrad.cpp: torch::conv2d and y.backward(g). Only
// torch headers here.
#include <torch/torch.h>

#include <cstdint>

#include "compare.hpp"
#include "torch_tensor.hpp"

namespace compare {

StepTimes run_torch_conv(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  const CaseSpec& s = p.spec;
  const auto n = static_cast<std::int64_t>(s.batch), c = static_cast<std::int64_t>(s.channels);
  const auto hw = static_cast<std::int64_t>(s.image), groups = static_cast<std::int64_t>(s.groups);
  std::vector<torch::Tensor> leaves{tensor_of(p.data[0], {n, c, hw, hw}, true),
                                    tensor_of(p.data[1], {c, c / groups, 3, 3}, true)};
  const auto g = tensor_of(p.data[2], {n, c, hw, hw});
  auto forward = [&] {
    return torch::conv2d(leaves[0], leaves[1], {}, /*stride=*/1, /*padding=*/1, /*dilation=*/1,
                         groups);
  };
  // Checksums in plain loops: a copy in double would count towards libtorch's peak memory.
  auto dot = [](const torch::Tensor& a, const torch::Tensor& b) {
    const auto ac = a.contiguous(), bc = b.contiguous();
    const float *pa = ac.data_ptr<float>(), *pb = bc.data_ptr<float>();
    double sum = 0;
    for (std::int64_t i = 0; i < ac.numel(); ++i) sum += static_cast<double>(pa[i]) * pb[i];
    return sum;
  };
  auto sum_sq = [&](const torch::Tensor& d) { return dot(d, d); };
  StepTimes t = time_steps(
      [&] {
        for (torch::Tensor& l : leaves) l.mutable_grad().reset();
        const auto y = forward();
        y.backward(g);
        return 0.0;
      },
      budget);
  keep_gradient_checksums(t, leaves, sum_sq);
  {
    torch::NoGradGuard no_grad;
    t.losses[0] = dot(forward(), g);
  }
  return t;
}

}  // namespace compare
