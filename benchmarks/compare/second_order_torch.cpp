// libtorch's side of cases 11 and 12: the same functions of the parameters, differentiated
// twice with torch::autograd::grad and create_graph, as libtorch's C++ API allows (it has no
// torch.func): the Hessian row by row, the HVP as the gradient of <grad, v>.
#include <torch/torch.h>

#include <cstdint>

#include "compare.hpp"
#include "torch_tensor.hpp"

namespace compare {

StepTimes run_torch_second_order(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  const CaseSpec& s = p.spec;
  auto dim = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  const auto x = tensor_of(p.x, {dim(s.batch), dim(s.sizes.front())});
  const auto y = tensor_of(p.y, {dim(s.batch), dim(s.sizes.back())});
  std::vector<torch::Tensor> params, v;
  for (std::size_t l = 0; l < p.w.size(); ++l) {
    params.push_back(tensor_of(p.w[l], {dim(s.sizes[l]), dim(s.sizes[l + 1])}, true));
    params.push_back(tensor_of(p.b[l], {dim(s.sizes[l + 1])}, true));
    if (p.data.empty()) continue;  // v: only the HVP has one
    v.push_back(tensor_of(p.data[2 * l], {dim(s.sizes[l]), dim(s.sizes[l + 1])}));
    v.push_back(tensor_of(p.data[2 * l + 1], {dim(s.sizes[l + 1])}));
  }
  auto loss = [&] {
    auto h = x;
    for (std::size_t l = 0; 2 * l < params.size(); ++l) {
      h = torch::matmul(h, params[2 * l]) + params[2 * l + 1];
      if (2 * l + 2 < params.size()) h = torch::tanh(h);
    }
    return torch::mse_loss(h, y);
  };
  std::vector<torch::Tensor> last;  // the derivative's blocks; checksums after the timing
  StepTimes t = time_steps(
      [&] {
        last.clear();
        const auto value = loss();
        const auto g = torch::autograd::grad({value}, params, {}, /*retain_graph=*/true,
                                             /*create_graph=*/true);
        if (s.second_order == SecondOrder::hessian) {
          std::vector<torch::Tensor> flat;
          for (const auto& gi : g) flat.push_back(gi.reshape({-1}));
          const auto all = torch::cat(flat);
          for (std::int64_t i = 0; i < all.size(0); ++i) {
            const auto row = torch::autograd::grad({all[i]}, params, {}, /*retain_graph=*/true,
                                                   /*create_graph=*/false, /*allow_unused=*/true);
            last.insert(last.end(), row.begin(), row.end());
          }
        } else {
          auto dot = (g[0] * v[0]).sum();
          for (std::size_t k = 1; k < g.size(); ++k) dot = dot + (g[k] * v[k]).sum();
          last = torch::autograd::grad({dot}, params);
        }
        return value.item<double>();
      },
      budget);
  double check_sq = 0, check_sum = 0;
  for (const auto& r : last) {
    if (!r.defined()) continue;
    check_sq += r.to(torch::kFloat64).pow(2).sum().item<double>();
    check_sum += r.to(torch::kFloat64).sum().item<double>();
  }
  t.losses.resize(1);
  t.losses.push_back(check_sq);
  t.losses.push_back(check_sum);
  return t;
}

}  // namespace compare
