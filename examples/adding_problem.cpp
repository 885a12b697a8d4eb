// The adding problem (Hochreiter & Schmidhuber, "Long Short-Term Memory", 1997; in the form of
// Le, Jaitly & Hinton, 2015): a sequence of T pairs (a value drawn from U(0, 1), a marker),
// with exactly two markers set, one in each half; the target is the sum of the two marked
// values. Always answering 1 has a mean squared error of Var(U + U) = 1/6 = 0.167.
//
// A tanh RNN cell and an LSTM cell are unrolled by a plain for loop over the T steps (the tape
// records it: that loop, walked back, is backpropagation through time), a linear read-out of
// the last state, Adam, gradient norm clipped. A hook on every step's hidden state records the
// norm of the gradient that reaches it: with the tanh RNN it shrinks by orders of magnitude
// towards the first steps (the vanishing gradient), with the LSTM's additive cell state it does
// not, and the LSTM learns the task.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cli.hpp"
#include "xgrad/memory.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"
#include "xgrad/threads.hpp"

namespace {

namespace nn = xg::nn;
using Tf = xg::Tensor<float>;

struct Config {
  std::vector<std::size_t> lengths{100, 200};
  std::vector<std::string> cells{"rnn", "lstm"};
  std::size_t hidden = 64, batch = 64, steps = 1500, report = 250, threads = 1;
  double lr = 1e-2, clip = 1.0, forget_bias = 3.0;
  std::uint64_t seed = 1;
  double max_mse = 0;     // > 0: exit 1 unless every LSTM run ends below it
  std::string norms_csv;  // non-empty: every step's gradient norm at the first and last step
};

std::optional<int> parse(int argc, char** argv, Config& c) {
  CLI::App app{"The adding problem: a tanh RNN against an LSTM, and the gradient per time step",
               "adding_problem"};
  app.add_option("--length", c.lengths, "sequence lengths (default: 100 200)")
      ->check(examples::kCount);
  app.add_option("--cell", c.cells, "cells to train: rnn, lstm (default: both)")
      ->check(CLI::IsMember({"rnn", "lstm"}));
  app.add_option("--hidden", c.hidden, "hidden units (default: 64)")->check(examples::kCount);
  app.add_option("--batch", c.batch, "sequences per step (default: 64)")->check(examples::kCount);
  app.add_option("--steps", c.steps, "training steps (default: 1500)")->check(examples::kCount);
  app.add_option("--report", c.report, "steps between reports (default: 250)")
      ->check(examples::kCount);
  app.add_option("--lr", c.lr, "Adam's learning rate (default: 1e-2)")->check(examples::kPositive);
  app.add_option("--clip", c.clip, "gradient norm clipped to this (default: 1)")
      ->check(examples::kPositive);
  app.add_option("--forget-bias", c.forget_bias,
                 "the LSTM's forget-gate bias at the start (default: 3; PyTorch's init: about 0)");
  app.add_option("--threads", c.threads, "threads (default: 1)")->check(examples::kCount);
  app.add_option("--seed", c.seed, "seed of the data and the weights")->check(examples::kWhole);
  app.add_option("--max-mse", c.max_mse, "exit 1 unless every LSTM run's test MSE ends below X")
      ->check(examples::kPositive);
  app.add_option("--norms", c.norms_csv,
                 "write the gradient norm reaching each h_t at the first and the last training "
                 "step to this CSV file (length, cell, step, t, norm)");
  return examples::parse_command_line(app, argc, argv);
}

/// A batch: inputs (T, N, 2) and targets (N, 1).
struct Batch {
  Tf x, y;
};

Batch make_batch(std::size_t length, std::size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  const std::size_t half = std::max<std::size_t>(length / 2, 1);
  std::uniform_int_distribution<std::size_t> first(0, half - 1), second(half, length - 1);
  std::vector<float> x(length * n * 2, 0.0f), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t t = 0; t < length; ++t) x[(t * n + i) * 2] = value(rng);
    const std::size_t a = first(rng), b = length > 1 ? second(rng) : a;
    x[(a * n + i) * 2 + 1] = 1.0f;
    x[(b * n + i) * 2 + 1] = 1.0f;
    y[i] = x[(a * n + i) * 2] + (b != a ? x[(b * n + i) * 2] : 0.0f);
  }
  return {Tf::from({length, n, 2}, x), Tf::from({n, 1}, y)};
}

struct Model {
  std::shared_ptr<nn::RecurrentCellBase<float>> cell;
  std::shared_ptr<nn::Linear<float>> head;
  std::vector<Tf> parameters() const {
    std::vector<Tf> p = cell->parameters();
    for (const Tf& t : head->parameters()) p.push_back(t);
    return p;
  }
};

/// The prediction for `b`; with `grad_norms`, a hook on every step's h records the norm of the
/// gradient reaching it (index t) during the next backward.
Tf predict(Model& m, const Tf& x, std::vector<double>* grad_norms) {
  const std::size_t length = x.shape()[0];
  nn::RecurrentState<float> state;
  if (grad_norms) grad_norms->assign(length, 0.0);
  for (std::size_t t = 0; t < length; ++t) {
    const auto n = static_cast<std::ptrdiff_t>(x.shape()[1]);
    const Tf xt = xg::reshape(xg::narrow(x, 0, t, 1), {n, 2});
    state = m.cell->forward_with_state(xt, state);
    if (grad_norms) {
      state.h.register_hook([grad_norms, t](const Tf& g) {
        double s = 0;
        for (float v : g.value()) s += static_cast<double>(v) * v;
        (*grad_norms)[t] = std::sqrt(s);
        return Tf();
      });
    }
  }
  return (*m.head)(state.h);
}

/// An LSTM remembers over T steps only if its forget gate starts near 1: with PyTorch's
/// initialisation it is about sigmoid(0) = 1/2, and the gradient through the cell state shrinks
/// by 2^-T. Gers, Schmidhuber & Cummins (2000) start the forget gate's bias high: here bias_ih's
/// forget slice (gates i, f, g, o) is set to `value` and bias_hh's to 0.
void set_forget_bias(nn::RecurrentCellBase<float>& cell, double value) {
  const std::size_t h = cell.hidden_size();
  float* bi = cell.bias_ih().mutable_value().data();
  float* bh = cell.bias_hh().mutable_value().data();
  for (std::size_t k = h; k < 2 * h; ++k) {
    bi[k] = static_cast<float>(value);
    bh[k] = 0.0f;
  }
}

double mse_of(Model& m, const Batch& b) {
  xg::NoGradGuard no_grad;
  const Tf d = predict(m, b.x, nullptr) - b.y;
  double s = 0;
  for (float v : d.value()) s += static_cast<double>(v) * v;
  return s / static_cast<double>(d.size());
}

/// The gradient norms at steps 0, 1/4, 1/2, 3/4 and the last, relative to the last.
std::string profile(const std::vector<double>& norms) {
  std::string s;
  const std::size_t n = norms.size();
  const double last = std::max(norms[n - 1], 1e-300);
  for (std::size_t k : {std::size_t{0}, n / 4, n / 2, 3 * n / 4, n - 1}) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%st=%zu %.2e", s.empty() ? "" : ", ", k, norms[k] / last);
    s += buf;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (auto status = parse(argc, argv, cfg)) return *status;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines as they come, also into a pipe
  xg::tune_allocator();
  xg::set_num_threads(static_cast<int>(cfg.threads));
  bool ok = true;
  std::ofstream norms_out;
  if (!cfg.norms_csv.empty()) {
    norms_out.open(cfg.norms_csv);
    if (!norms_out) {
      std::fprintf(stderr, "adding_problem: cannot write %s\n", cfg.norms_csv.c_str());
      return 1;
    }
    norms_out << "length,cell,step,t,norm\n";
  }
  std::printf("always answering 1: mean squared error 1/6 = 0.1667\n");
  for (std::size_t length : cfg.lengths) {
    for (const std::string& kind : cfg.cells) {
      xg::manual_seed(cfg.seed);
      std::mt19937_64 rng(cfg.seed);
      const Batch test = make_batch(length, 1000, rng);
      Model m;
      if (kind == "lstm") {
        m.cell = std::make_shared<nn::LSTMCell<float>>(2, cfg.hidden);
        set_forget_bias(*m.cell, cfg.forget_bias);
      } else {
        m.cell = std::make_shared<nn::RNNCell<float>>(2, cfg.hidden);
      }
      m.head = std::make_shared<nn::Linear<float>>(cfg.hidden, 1);
      xg::optim::Adam<float> opt(m.parameters(), {.lr = cfg.lr});
      std::printf("\nT = %zu, %s cell, %zu hidden units\n", length, kind.c_str(), cfg.hidden);
      const auto start = std::chrono::steady_clock::now();
      std::vector<double> norms;
      for (std::size_t step = 1; step <= cfg.steps; ++step) {
        const Batch b = make_batch(length, cfg.batch, rng);
        opt.zero_grad();
        const bool watch = step == 1 || step % cfg.report == 0 || step == cfg.steps;
        const Tf loss = xg::mse_loss(predict(m, b.x, watch ? &norms : nullptr), b.y);
        loss.backward();
        nn::clip_grad_norm_(m.parameters(), cfg.clip);
        opt.step();
        if (watch) {
          std::printf(
              "  step %5zu: train MSE %.4f, test MSE %.4f; gradient reaching h_t / at the "
              "last step: %s\n",
              step, static_cast<double>(loss.value().data()[0]), mse_of(m, test),
              profile(norms).c_str());
          if (norms_out.is_open() && (step == 1 || step == cfg.steps)) {
            char line[96];
            for (std::size_t t = 0; t < norms.size(); ++t) {
              std::snprintf(line, sizeof line, "%zu,%s,%zu,%zu,%.6e\n", length, kind.c_str(), step,
                            t, norms[t]);
              norms_out << line;
            }
          }
        }
      }
      const double final_mse = mse_of(m, test);
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("  T = %zu %s: test MSE %.4f after %zu steps (%.1f s, %.1f ms per step)\n",
                  length, kind.c_str(), final_mse, cfg.steps, secs, 1e3 * secs / cfg.steps);
      if (kind == "lstm" && cfg.max_mse > 0 && !(final_mse < cfg.max_mse)) ok = false;
    }
  }
  if (!ok) {
    std::fprintf(stderr, "adding_problem: an LSTM run did not reach --max-mse %.4f\n", cfg.max_mse);
    return 1;
  }
  return 0;
}
