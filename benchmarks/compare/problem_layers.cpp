// The data and initial weights of cases 16-21: sequences and targets for the recurrent layers
// and attention, the generated graphs of the GCN, and each layer's initial weights from xgrad's
// own initialisers under nn::manual_seed(spec.seed).
#include <random>

#include "compare.hpp"
#include "xgrad/nn.hpp"

namespace compare {

namespace {

std::vector<float> uniform(std::mt19937& rng, std::size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

void keep(Problem& p, const xg::Tensor<float>& w, const xg::Tensor<float>& b) {
  p.w.emplace_back(w.value().begin(), w.value().end());
  p.b.emplace_back(b.value().begin(), b.value().end());
}

/// Cases 16-18: x (L, N, input) in [-1, 1], the target (L, N, hidden) in [-0.5, 0.5]; w = the
/// layer's weight_ih_l0 (input, G H) and weight_hh_l0 (H, G H), b = bias_ih_l0, bias_hh_l0.
void fill_recurrent(Problem& p) {
  const CaseSpec& s = p.spec;
  const std::size_t in = s.sizes[0], hidden = s.sizes[1];
  std::mt19937 rng(s.seed + 1000);
  p.x = uniform(rng, s.seq_len * s.batch * in, -1, 1);
  p.y = uniform(rng, s.seq_len * s.batch * hidden, -0.5f, 0.5f);
  xg::nn::manual_seed(s.seed);
  auto take = [&](xg::nn::RecurrentBase<float>& layer) {
    keep(p, layer.weight_ih(0), layer.bias_ih(0));
    keep(p, layer.weight_hh(0), layer.bias_hh(0));
  };
  if (s.layer == LayerCase::lstm) {
    xg::nn::LSTM<float> layer(in, hidden);
    take(layer);
  } else {
    xg::nn::GRU<float> layer(in, hidden);
    take(layer);
  }
}

void add_undirected(Problem& p, std::size_t u, std::size_t v) {
  p.src.push_back(u);
  p.dst.push_back(v);
  p.src.push_back(v);
  p.dst.push_back(u);
}

/// Case 19: `blocks` equal communities; a pair inside one is an edge with probability p_in, a
/// pair across two with p_out, set so that 80 % of a node's mean degree is inside its community.
/// Labels are the communities; feature c of a node in community c is raised by 1.
void block_model(Problem& p, std::mt19937& rng) {
  const CaseSpec& s = p.spec;
  const std::size_t n = s.nodes, k = s.blocks, per = n / k;
  auto block = [&](std::size_t i) { return std::min(i / per, k - 1); };
  const double p_in = 0.8 * s.mean_degree / static_cast<double>(per - 1);
  const double p_out = 0.2 * s.mean_degree / static_cast<double>(n - per);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      if (coin(rng) < (block(i) == block(j) ? p_in : p_out)) add_undirected(p, i, j);
    }
  }
  const std::size_t f = s.sizes[0];
  p.x = uniform(rng, n * f, -1, 1);
  p.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    p.labels[i] = block(i);
    if (block(i) < f) p.x[i * f + block(i)] += 1.0f;
  }
}

/// Case 20: edges / 2 uniformly random pairs u != v (repeats possible, as in a multigraph), each
/// in both directions; random features and labels.
void random_graph(Problem& p, std::mt19937& rng) {
  const CaseSpec& s = p.spec;
  std::uniform_int_distribution<std::size_t> node(0, s.nodes - 1);
  p.src.reserve(s.edges);
  p.dst.reserve(s.edges);
  while (p.src.size() < s.edges) {
    const std::size_t u = node(rng), v = node(rng);
    if (u != v) add_undirected(p, u, v);
  }
  p.x = uniform(rng, s.nodes * s.sizes[0], -1, 1);
  std::uniform_int_distribution<std::size_t> label(0, s.sizes[2] - 1);
  p.labels.resize(s.nodes);
  for (auto& l : p.labels) l = label(rng);
}

/// Cases 19 and 20: the graph, features and labels; w = the two GCNConv layers' lin.weight
/// (in, out), b = their biases (zeros).
void fill_gcn(Problem& p) {
  const CaseSpec& s = p.spec;
  std::mt19937 rng(s.seed + 1000);
  if (s.graph == GraphKind::block_model) {
    block_model(p, rng);
  } else {
    random_graph(p, rng);
  }
  xg::nn::manual_seed(s.seed);
  xg::nn::GCNConv<float> conv1(s.sizes[0], s.sizes[1]), conv2(s.sizes[1], s.sizes[2]);
  keep(p, conv1.weight(), conv1.bias());
  keep(p, conv2.weight(), conv2.bias());
}

/// Case 21: x (L, N, E) in [-1, 1], the target likewise in [-0.5, 0.5]; w = in_proj_weight
/// (E, 3E) and out_proj.weight (E, E), b = in_proj_bias and out_proj.bias (zeros).
void fill_mha(Problem& p) {
  const CaseSpec& s = p.spec;
  const std::size_t e = s.sizes[0];
  std::mt19937 rng(s.seed + 1000);
  p.x = uniform(rng, s.seq_len * s.batch * e, -1, 1);
  p.y = uniform(rng, s.seq_len * s.batch * e, -0.5f, 0.5f);
  xg::nn::manual_seed(s.seed);
  xg::nn::MultiheadAttention<float> mha(e, s.heads);
  keep(p, mha.in_proj_weight(), mha.in_proj_bias());
  keep(p, mha.out_proj().weight(), mha.out_proj().bias());
}

}  // namespace

void fill_layer_case(Problem& p) {
  switch (p.spec.layer) {
    case LayerCase::lstm:
    case LayerCase::gru:
      fill_recurrent(p);
      break;
    case LayerCase::gcn:
      fill_gcn(p);
      break;
    case LayerCase::mha:
      fill_mha(p);
      break;
    case LayerCase::none:
      break;
  }
}

}  // namespace compare
