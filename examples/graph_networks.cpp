// Graph networks: a node's new features are a normalised sum of its neighbours' (message
// passing, Kipf & Welling's GCN: H' = D^-1/2 (A + I) D^-1/2 H W), so labels spread along edges.
//
// 1. Zachary's karate club (examples/data/karate_club.txt): 34 members, 78 friendships, the two
//    clubs the members joined after the split. Only member 0 (Mr. Hi) and member 33 (the
//    Officer) are labelled; a two-layer GCN on one-hot features classifies the other 32. The
//    mean accuracy over --seeds initialisations is reported.
// 2. A stochastic block model: --sbm-nodes nodes in three equal communities, an edge inside a
//    community with probability p_in and across with p_out, and features that say little on
//    their own (each community's mean plus much larger Gaussian noise). A GCN and an MLP with
//    the same width, the same labelled nodes and the same training: the difference is what the
//    messages add.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xbuilder.hpp>

#include "cli.hpp"
#include "xgrad/memory.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"
#include "xgrad/threads.hpp"

namespace {

namespace nn = xg::nn;
using Tf = xg::Tensor<float>;

struct Config {
  std::string karate = XGRAD_EXAMPLES_DATA "/karate_club.txt";
  std::size_t seeds = 10, epochs = 200, hidden = 16;
  std::size_t sbm_nodes = 3000, sbm_labelled = 20, sbm_features = 16, threads = 2;
  double p_in = 0.008, p_out = 0.001, noise = 1.5, lr = 0.01, weight_decay = 5e-4;
  std::uint64_t seed = 1;
  double min_karate = 0, min_margin = 0;  // > 0: exit 1 below these (accuracy %, points)
};

std::optional<int> parse(int argc, char** argv, Config& c) {
  CLI::App app{"Graph networks: a GCN on Zachary's karate club and on a stochastic block model",
               "graph_networks"};
  app.add_option("--karate", c.karate, "the karate club file")->check(CLI::ExistingFile);
  app.add_option("--seeds", c.seeds, "initialisations per experiment (default: 10)")
      ->check(examples::kCount);
  app.add_option("--epochs", c.epochs, "full-graph training steps (default: 200)")
      ->check(examples::kCount);
  app.add_option("--hidden", c.hidden, "hidden units (default: 16)")->check(examples::kCount);
  app.add_option("--sbm-nodes", c.sbm_nodes, "nodes of the block model (default: 3000)")
      ->check(examples::kCount);
  app.add_option("--sbm-labelled", c.sbm_labelled, "labelled nodes per community (default: 20)")
      ->check(examples::kCount);
  app.add_option("--sbm-features", c.sbm_features, "feature dimensions (default: 16)")
      ->check(examples::kCount);
  app.add_option("--p-in", c.p_in, "edge probability inside a community (default: 0.008)")
      ->check(examples::kUnit);
  app.add_option("--p-out", c.p_out, "edge probability across communities (default: 0.001)")
      ->check(examples::kUnit);
  app.add_option("--noise", c.noise, "feature noise deviation (default: 1.5)")
      ->check(examples::kPositive);
  app.add_option("--lr", c.lr, "Adam's learning rate (default: 0.01)")->check(examples::kPositive);
  app.add_option("--threads", c.threads, "threads (default: 2)")->check(examples::kCount);
  app.add_option("--seed", c.seed, "first seed")->check(examples::kWhole);
  app.add_option("--min-karate", c.min_karate,
                 "exit 1 unless the karate club's mean accuracy is at least X %")
      ->check(examples::kPositive);
  app.add_option("--min-margin", c.min_margin,
                 "exit 1 unless the GCN beats the MLP on the block model by X points")
      ->check(examples::kPositive);
  return examples::parse_command_line(app, argc, argv);
}

/// A graph with node labels, as both experiments use it.
struct LabelledGraph {
  std::size_t nodes = 0;
  std::vector<std::size_t> src, dst;  // each undirected edge in both directions
  std::vector<std::size_t> labels;
};

LabelledGraph read_karate(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("graph_networks: cannot read " + path);
  LabelledGraph g;
  std::string line, kind;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::size_t a = 0, b = 0;
    if (!(fields >> kind >> a >> b) || (kind != "node" && kind != "edge")) {
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": expected 'node <id> " +
                               "<faction>' or 'edge <a> <b>', got '" + line + "'");
    }
    if (kind == "node") {
      if (a != g.labels.size()) {
        throw std::runtime_error(path + ":" + std::to_string(line_no) + ": node " +
                                 std::to_string(a) + " out of order");
      }
      g.labels.push_back(b);
    } else {
      g.src.insert(g.src.end(), {a, b});
      g.dst.insert(g.dst.end(), {b, a});
    }
  }
  g.nodes = g.labels.size();
  return g;  // SparseCsr refuses an edge naming a missing node
}

/// Three equal communities; labels are the community.
LabelledGraph block_model(const Config& c, std::mt19937_64& rng) {
  LabelledGraph g;
  g.nodes = c.sbm_nodes;
  for (std::size_t i = 0; i < g.nodes; ++i) g.labels.push_back(i * 3 / g.nodes);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t i = 0; i < g.nodes; ++i) {
    for (std::size_t j = i + 1; j < g.nodes; ++j) {
      if (u(rng) < (g.labels[i] == g.labels[j] ? c.p_in : c.p_out)) {
        g.src.insert(g.src.end(), {i, j});
        g.dst.insert(g.dst.end(), {j, i});
      }
    }
  }
  return g;
}

/// The block model's features: the community's mean (a unit vector along its own axis) plus
/// Gaussian noise of deviation c.noise in every dimension.
Tf block_features(const Config& c, const LabelledGraph& g, std::mt19937_64& rng) {
  std::normal_distribution<float> noise(0.0f, static_cast<float>(c.noise));
  std::vector<float> x(g.nodes * c.sbm_features);
  for (std::size_t i = 0; i < g.nodes; ++i) {
    for (std::size_t k = 0; k < c.sbm_features; ++k) {
      x[i * c.sbm_features + k] = noise(rng) + (k == g.labels[i] ? 1.0f : 0.0f);
    }
  }
  return Tf::from({g.nodes, c.sbm_features}, x);
}

/// Two layers, ReLU between: GCNConv's on the graph, or Linear's (the MLP).
struct TwoLayer {
  std::shared_ptr<nn::Module<float>> first, second;
  bool graph = true;
  std::vector<Tf> parameters() const {
    std::vector<Tf> p = first->parameters();
    for (const Tf& t : second->parameters()) p.push_back(t);
    return p;
  }
  Tf operator()(const Tf& x) { return second->forward(xg::relu(first->forward(x))); }
};

TwoLayer make_model(bool graph, std::size_t in, std::size_t hidden, std::size_t out,
                    const xg::SparseCsr& adj) {
  TwoLayer m;
  m.graph = graph;
  if (graph) {
    auto a = std::make_shared<nn::GCNConv<float>>(in, hidden);
    auto b = std::make_shared<nn::GCNConv<float>>(hidden, out);
    a->set_graph(adj);
    b->set_graph(adj);
    m.first = a;
    m.second = b;
  } else {
    m.first = std::make_shared<nn::Linear<float>>(in, hidden);
    m.second = std::make_shared<nn::Linear<float>>(hidden, out);
  }
  return m;
}

/// Trains on the `train` nodes (full-batch Adam with L2 weight decay), returns the accuracy in
/// % on the `test` nodes.
double train_and_test(TwoLayer& m, const Tf& x, const LabelledGraph& g,
                      const std::vector<std::size_t>& train, const std::vector<std::size_t>& test,
                      const Config& c) {
  xg::optim::Adam<float> opt(m.parameters(), {.lr = c.lr, .weight_decay = c.weight_decay});
  std::vector<std::size_t> y_train;
  for (std::size_t i : train) y_train.push_back(g.labels[i]);
  for (std::size_t epoch = 0; epoch < c.epochs; ++epoch) {
    opt.zero_grad();
    const Tf loss = xg::cross_entropy(xg::index_select(m(x), train), y_train);
    loss.backward();
    opt.step();
  }
  xg::NoGradGuard no_grad;
  const Tf logits = m(x);
  const std::size_t classes = logits.shape()[1];
  std::size_t right = 0;
  for (std::size_t i : test) {
    const float* row = logits.value().data() + i * classes;
    right += static_cast<std::size_t>(std::max_element(row, row + classes) - row) == g.labels[i];
  }
  return 100.0 * static_cast<double>(right) / static_cast<double>(test.size());
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double a : v) s += a;
  return s / static_cast<double>(v.size());
}
double spread_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double a : v) s += (a - m) * (a - m);
  return v.size() > 1 ? std::sqrt(s / static_cast<double>(v.size() - 1)) : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (auto status = parse(argc, argv, cfg)) return *status;
  xg::tune_allocator();
  xg::set_num_threads(static_cast<int>(cfg.threads));
  bool ok = true;

  // 1. The karate club.
  const LabelledGraph karate = read_karate(cfg.karate);
  const xg::SparseCsr club = xg::SparseCsr::from_edges(karate.nodes, karate.src, karate.dst);
  const Tf one_hot(xt::xarray<float>(xt::eye<float>(karate.nodes)));
  const std::vector<std::size_t> leaders{0, karate.nodes - 1};
  std::vector<std::size_t> members;
  for (std::size_t i = 1; i + 1 < karate.nodes; ++i) members.push_back(i);
  std::vector<double> club_acc;
  for (std::size_t s = 0; s < cfg.seeds; ++s) {
    xg::manual_seed(cfg.seed + s);
    TwoLayer gcn = make_model(true, karate.nodes, cfg.hidden, 2, club);
    club_acc.push_back(train_and_test(gcn, one_hot, karate, leaders, members, cfg));
  }
  std::printf("karate club: %zu members, %zu friendships; members 0 and %zu labelled\n",
              karate.nodes, karate.src.size() / 2, karate.nodes - 1);
  std::printf(
      "  GCN: %.1f %% (sd %.1f) of the other %zu members in their club, mean over %zu seed(s)\n",
      mean_of(club_acc), spread_of(club_acc), members.size(), cfg.seeds);
  if (cfg.min_karate > 0 && mean_of(club_acc) < cfg.min_karate) ok = false;

  // 2. The stochastic block model.
  std::mt19937_64 rng(cfg.seed);
  const auto t0 = std::chrono::steady_clock::now();
  const LabelledGraph sbm = block_model(cfg, rng);
  const Tf features = block_features(cfg, sbm, rng);
  const xg::SparseCsr adj = xg::SparseCsr::from_edges(sbm.nodes, sbm.src, sbm.dst);
  std::vector<std::size_t> order(sbm.nodes), train, test;
  for (std::size_t i = 0; i < sbm.nodes; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::size_t> per_class(3, 0);
  for (std::size_t i : order) {
    if (per_class[sbm.labels[i]] < cfg.sbm_labelled) {
      ++per_class[sbm.labels[i]];
      train.push_back(i);
    } else {
      test.push_back(i);
    }
  }
  std::size_t inside = 0;
  for (std::size_t e = 0; e < sbm.src.size(); ++e)
    inside += sbm.labels[sbm.src[e]] == sbm.labels[sbm.dst[e]];
  std::printf(
      "block model: %zu nodes, %zu edges (%.0f %% inside a community, mean degree %.1f), "
      "%zu features with noise %.2f, %zu labelled nodes\n",
      sbm.nodes, sbm.src.size() / 2,
      100.0 * static_cast<double>(inside) / static_cast<double>(sbm.src.size()),
      static_cast<double>(sbm.src.size()) / static_cast<double>(sbm.nodes), cfg.sbm_features,
      cfg.noise, train.size());
  std::vector<double> gcn_acc, mlp_acc;
  for (std::size_t s = 0; s < cfg.seeds; ++s) {
    xg::manual_seed(cfg.seed + s);
    TwoLayer gcn = make_model(true, cfg.sbm_features, cfg.hidden, 3, adj);
    gcn_acc.push_back(train_and_test(gcn, features, sbm, train, test, cfg));
    xg::manual_seed(cfg.seed + s);
    TwoLayer mlp = make_model(false, cfg.sbm_features, cfg.hidden, 3, adj);
    mlp_acc.push_back(train_and_test(mlp, features, sbm, train, test, cfg));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "  GCN: %.1f %% (sd %.1f), MLP on the same features: %.1f %% (sd %.1f) of %zu test nodes;"
      " the messages add %.1f points (%.1f s)\n",
      mean_of(gcn_acc), spread_of(gcn_acc), mean_of(mlp_acc), spread_of(mlp_acc), test.size(),
      mean_of(gcn_acc) - mean_of(mlp_acc), secs);
  if (cfg.min_margin > 0 && mean_of(gcn_acc) - mean_of(mlp_acc) < cfg.min_margin) ok = false;
  if (!ok) {
    std::fprintf(stderr, "graph_networks: below --min-karate %.1f or --min-margin %.1f\n",
                 cfg.min_karate, cfg.min_margin);
    return 1;
  }
  return 0;
}
