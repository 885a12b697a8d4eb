// xgrad's side of cases 19 and 20: two nn::GCNConv layers (ReLU between) on the problem's graph,
// cross-entropy on every node and optim::SGD with momentum, started from the problem's weights.
// The graph is built once; each layer normalises it on its first forward and keeps that.
#include <algorithm>
#include <cmath>

#include "compare.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"
#include "xgrad/sparse.hpp"
#include "xgrad_checksum.hpp"

namespace compare {

namespace {

using Tn = xg::Tensor<float>;

}  // namespace

StepTimes run_xgrad_gcn(const Problem& p, const Budget& budget) {
  namespace nn = xg::nn;
  const CaseSpec& s = p.spec;
  const xg::SparseCsr graph = xg::SparseCsr::from_edges(s.nodes, p.src, p.dst);
  nn::GCNConv<float> conv1(s.sizes[0], s.sizes[1]), conv2(s.sizes[1], s.sizes[2]);
  set(conv1.weight(), p.w[0]);
  set(conv1.bias(), p.b[0]);
  set(conv2.weight(), p.w[1]);
  set(conv2.bias(), p.b[1]);
  const Tn x = Tn::from({s.nodes, s.sizes[0]}, p.x);
  std::vector<Tn> params = conv1.parameters();
  for (const Tn& t : conv2.parameters()) params.push_back(t);
  xg::optim::SGD<float> opt(params, {.lr = s.lr, .momentum = s.momentum});

  double first_grad_sq = NAN;
  StepTimes t = time_steps(
      [&] {
        opt.zero_grad();
        const Tn h = xg::relu(conv1.forward(x, graph));
        Tn loss = xg::cross_entropy(conv2.forward(h, graph), p.labels);
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
