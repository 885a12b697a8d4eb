// libtorch's side of cases 19 and 20: the same two-layer GCN as PyTorch Geometric's GCNConv
// computes it, A_hat (X W) + b with A_hat = D^-1/2 (A + I) D^-1/2 a sparse COO tensor built once
// (the normalisation as xgrad's gcn_norm: one self loop per node, D the row sums of A + I),
// torch::_sparse_mm (what Python's torch.sparse.mm calls; the C++ API has no torch::sparse::mm),
// ReLU, cross_entropy on every node and torch::optim::SGD with momentum. COO, since it was the
// fastest of libtorch's sparse layouts here (docs/performance.md). Only torch headers here.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

#include "compare.hpp"
#include "torch_tensor.hpp"

namespace compare {

namespace {

/// D^-1/2 (A + I) D^-1/2 of the graph with edges src -> dst (entry (dst, src)), coalesced.
torch::Tensor normalized_adjacency(const Problem& p) {
  const auto n = static_cast<std::int64_t>(p.spec.nodes);
  const auto e = static_cast<std::int64_t>(p.src.size());
  auto ids = [&](const std::vector<std::size_t>& v) {
    std::vector<std::int64_t> out(v.begin(), v.end());
    return torch::tensor(out, torch::kInt64);
  };
  const auto loops = torch::arange(n, torch::kInt64);
  const auto row = torch::cat({ids(p.dst), loops}), col = torch::cat({ids(p.src), loops});
  const auto deg = torch::zeros({n}).index_add_(0, row, torch::ones({e + n}));
  const auto values = deg.index({row}).rsqrt() * deg.index({col}).rsqrt();
  return torch::sparse_coo_tensor(torch::stack({row, col}), values, {n, n}).coalesce();
}

}  // namespace

StepTimes run_torch_gcn(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  namespace tnn = torch::nn;
  const CaseSpec& s = p.spec;
  auto dim = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  const std::int64_t f = dim(s.sizes[0]), hidden = dim(s.sizes[1]), classes = dim(s.sizes[2]);
  const auto adj = normalized_adjacency(p);
  tnn::Linear lin1(tnn::LinearOptions(f, hidden).bias(false));
  tnn::Linear lin2(tnn::LinearOptions(hidden, classes).bias(false));
  torch::Tensor b1 = tensor_of(p.b[0], {hidden}, true), b2 = tensor_of(p.b[1], {classes}, true);
  {
    torch::NoGradGuard no_grad;  // torch's Linear weight is (out, in): xgrad's (in, out) transposed
    lin1->weight.copy_(tensor_of(p.w[0], {f, hidden}).t());
    lin2->weight.copy_(tensor_of(p.w[1], {hidden, classes}).t());
  }
  const auto x = tensor_of(p.x, {dim(s.nodes), f});
  std::vector<std::int64_t> label_values(p.labels.begin(), p.labels.end());
  const auto labels = torch::tensor(label_values, torch::kInt64);
  const std::vector<torch::Tensor> params{lin1->weight, b1, lin2->weight, b2};
  torch::optim::SGD opt(params, torch::optim::SGDOptions(s.lr).momentum(s.momentum));

  double first_grad_sq = NAN;
  StepTimes t = time_steps(
      [&] {
        opt.zero_grad();
        const auto h = torch::relu(torch::_sparse_mm(adj, lin1->forward(x)) + b1);
        const auto out = torch::_sparse_mm(adj, lin2->forward(h)) + b2;
        const auto loss = tnn::functional::cross_entropy(out, labels);
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
