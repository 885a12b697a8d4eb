// xgrad's side of the memory-bound cases (docs/performance.md, cases 6-10): the steps of cases 6,
// 9 and 10 as a user writes them, and the single kernels of cases 7 and 8, each forward call
// and each backward rule timed on its own.
#include <functional>
#include <stdexcept>
#include <vector>

#include "compare.hpp"
#include "xgrad/autograd.hpp"

namespace compare {

namespace {

using Tn = xg::Tensor<float>;

double sum_of(const Tn& t) {
  double s = 0;
  for (float v : t.value()) s += v;
  return s;
}

double sum_sq(const Tn& t) {
  double s = 0;
  for (float v : t.value()) s += static_cast<double>(v) * v;
  return s;
}

/// Times `forward` (the call that makes the op's output, with inputs that require grad, so the
/// node is recorded as in training) and, when backward_floats > 0, the op's backward rule:
/// y.backward(g) on one recorded output with the tape retained, the leaves' gradients forgotten
/// before each run, so that every run computes and stores fresh gradients. Bytes are floats * 4.
void time_kernel(KernelList& out, const char* name, double forward_floats, double backward_floats,
                 const std::function<Tn()>& forward, const std::vector<Tn>& leaves, const Tn& g,
                 const Budget& budget) {
  KernelTiming& k = out.add(name, 4 * forward_floats, 4 * backward_floats);
  const Budget b = kernel_budget(budget);
  k.forward_s =
      median(time_steps([&] { return static_cast<double>(forward().value()[0]); }, b).seconds);
  const Tn y = forward();
  k.forward_check = sum_of(y);
  if (backward_floats <= 0) return;
  auto reset = [&] {
    for (Tn l : leaves) l.zero_grad();  // a copy shares the node
  };
  k.backward_s = median(time_steps(
                            [&] {
                              reset();
                              y.backward(g, {.retain_graph = true});
                              return 0.0;
                            },
                            b)
                            .seconds);
  k.backward_check = sum_sq(leaves.front().grad());
  reset();
}

KernelList op_bandwidth(const Problem& p, const Budget& budget) {
  const CaseSpec& s = p.spec;
  const xg::Shape shape{s.rows, s.cols};
  const Tn a = Tn::from(shape, p.data[0], true), b = Tn::from(shape, p.data[1], true);
  const Tn pos = Tn::from(shape, p.data[2], true);
  const Tn row = Tn::from({s.cols}, p.data[3], true);
  const Tn g = Tn::from(shape, p.data[4]);
  const double n = static_cast<double>(s.rows * s.cols), c = static_cast<double>(s.cols);
  KernelList out;
  // Binary ops: forward reads 2 and writes 1; backward reads g (and the inputs where the rule
  // needs them) and writes both gradients.
  time_kernel(
      out, "add a + b", 3 * n, 3 * n, [&] { return a + b; }, {a, b}, g, budget);
  time_kernel(
      out, "sub a - b", 3 * n, 3 * n, [&] { return a - b; }, {a, b}, g, budget);
  time_kernel(
      out, "mul a * b", 3 * n, 5 * n, [&] { return a * b; }, {a, b}, g, budget);
  time_kernel(
      out, "div a / b", 3 * n, 5 * n, [&] { return a / pos; }, {a, pos}, g, budget);
  time_kernel(
      out, "add row (1000x1000 + 1000)", 2 * n + c, 2 * n + c, [&] { return a + row; }, {a, row}, g,
      budget);
  time_kernel(
      out, "maximum(a, b)", 3 * n, 5 * n, [&] { return xg::maximum(a, b); }, {a, b}, g, budget);
  // Scalar forms and unary ops: forward reads 1 and writes 1; backward reads g (plus the input
  // or the output where the rule needs it) and writes one gradient.
  time_kernel(
      out, "add scalar a + 0.5", 2 * n, 2 * n, [&] { return a + 0.5f; }, {a}, g, budget);
  time_kernel(
      out, "mul scalar a * 1.5", 2 * n, 2 * n, [&] { return a * 1.5f; }, {a}, g, budget);
  time_kernel(
      out, "neg -a", 2 * n, 2 * n, [&] { return -a; }, {a}, g, budget);
  time_kernel(
      out, "exp", 2 * n, 3 * n, [&] { return xg::exp(a); }, {a}, g, budget);
  time_kernel(
      out, "log", 2 * n, 3 * n, [&] { return xg::log(pos); }, {pos}, g, budget);
  time_kernel(
      out, "sqrt", 2 * n, 3 * n, [&] { return xg::sqrt(pos); }, {pos}, g, budget);
  time_kernel(
      out, "abs", 2 * n, 3 * n, [&] { return xg::abs(a); }, {a}, g, budget);
  time_kernel(
      out, "clamp(-0.5, 0.5)", 2 * n, 3 * n, [&] { return xg::clamp(a, -0.5f, 0.5f); }, {a}, g,
      budget);
  time_kernel(
      out, "sigmoid", 2 * n, 3 * n, [&] { return xg::sigmoid(a); }, {a}, g, budget);
  time_kernel(
      out, "tanh", 2 * n, 3 * n, [&] { return xg::tanh(a); }, {a}, g, budget);
  time_kernel(
      out, "relu", 2 * n, 3 * n, [&] { return xg::relu(a); }, {a}, g, budget);
  time_kernel(
      out, "leaky_relu", 2 * n, 3 * n, [&] { return xg::leaky_relu(a); }, {a}, g, budget);
  time_kernel(
      out, "elu", 2 * n, 3 * n, [&] { return xg::elu(a); }, {a}, g, budget);
  time_kernel(
      out, "softplus", 2 * n, 3 * n, [&] { return xg::softplus(a); }, {a}, g, budget);
  // The backward ops, called as the engine calls them (grad mode off, inputs without grad):
  // read 2, write 1; their own backward (the second derivative) is not timed.
  const Tn sig = Tn(xg::sigmoid(a).value()), th = Tn(xg::tanh(a).value());
  const Tn sq = Tn(xg::sqrt(pos).value()), x = Tn(a.value());
  auto no_grad = [](auto f) {
    return [f] {
      xg::NoGradGuard guard;
      return f();
    };
  };
  time_kernel(out, "sigmoid_backward(g, y)", 3 * n, 0,
              no_grad([&] { return xg::sigmoid_backward(g, sig); }), {}, g, budget);
  time_kernel(out, "tanh_backward(g, y)", 3 * n, 0,
              no_grad([&] { return xg::tanh_backward(g, th); }), {}, g, budget);
  time_kernel(out, "threshold_backward(g, x)", 3 * n, 0,
              no_grad([&] { return xg::threshold_backward(g, x); }), {}, g, budget);
  time_kernel(out, "sqrt_backward(g, y)", 3 * n, 0,
              no_grad([&] { return xg::sqrt_backward(g, sq); }), {}, g, budget);
  return out;
}

KernelList softmax_family(const Problem& p, const Budget& budget) {
  const CaseSpec& s = p.spec;
  const xg::Shape shape{s.rows, s.cols};
  const Tn x = Tn::from(shape, p.data[0], true);
  const Tn g = Tn::from(shape, p.data[1]), g_rows = Tn::from({s.rows}, p.data[2]);
  const double n = static_cast<double>(s.rows * s.cols), r = static_cast<double>(s.rows);
  KernelList out;
  // Forward reads x and writes y; backward reads g and y (log_softmax: y, as exp(y) is softmax)
  // and writes dx. logsumexp writes one value per row; its backward reads g and the result per
  // row and x, and writes dx.
  time_kernel(
      out, "softmax", 2 * n, 3 * n, [&] { return xg::softmax(x, -1); }, {x}, g, budget);
  time_kernel(
      out, "log_softmax", 2 * n, 3 * n, [&] { return xg::log_softmax(x, -1); }, {x}, g, budget);
  time_kernel(
      out, "logsumexp", n + r, 2 * n + 2 * r, [&] { return xg::logsumexp(x, -1); }, {x}, g_rows,
      budget);
  return out;
}

}  // namespace

KernelList run_xgrad_kernels(const Problem& p, const Budget& budget) {
  return p.spec.memory == MemoryCase::op_bandwidth ? op_bandwidth(p, budget)
                                                   : softmax_family(p, budget);
}

StepTimes run_xgrad_memory(const Problem& p, const Budget& budget) {
  const CaseSpec& s = p.spec;
  const xg::Shape shape{s.rows, s.cols};
  std::vector<Tn> leaves;
  std::function<Tn()> loss;
  Tn r;
  switch (s.memory) {
    case MemoryCase::elementwise_chain: {
      leaves = {Tn::from(shape, p.data[0], true), Tn::from(shape, p.data[1], true)};
      loss = [x = leaves[0], w = leaves[1]] {
        const Tn t1 = x * w;
        const Tn t2 = t1 + 0.5f;
        const Tn t3 = xg::sigmoid(t2);
        const Tn t4 = t3 * x;
        const Tn t5 = xg::tanh(t4);
        const Tn t6 = xg::exp(t5);
        return xg::sum(t6);
      };
      break;
    }
    case MemoryCase::attention: {
      for (int i = 0; i < 3; ++i) leaves.push_back(Tn::from(shape, p.data[i], true));
      r = Tn::from(shape, p.data[3]);
      loss = [q = leaves[0], k = leaves[1], v = leaves[2], r] {
        const Tn scores = xg::matmul(q, k, {.transpose_b = true}) * 0.125f;  // / sqrt(64)
        const Tn out = xg::matmul(xg::softmax(scores, -1), v);
        return xg::sum(out * r);
      };
      break;
    }
    case MemoryCase::row_norm: {
      leaves = {Tn::from(shape, p.data[0], true), Tn::from({s.cols}, p.data[1], true)};
      r = Tn::from(shape, p.data[2]);
      loss = [x = leaves[0], gamma = leaves[1], r] {
        const Tn ms = xg::mean(x * x, -1, true);
        const Tn y = x / xg::sqrt(ms + 1e-5f) * gamma;
        return xg::sum(y * r);
      };
      break;
    }
    default:
      throw std::invalid_argument("run_xgrad_memory: not a step case");
  }
  StepTimes t = time_steps(
      [&] {
        for (Tn& l : leaves) l.zero_grad();
        const Tn l = loss();
        l.backward();
        return static_cast<double>(l.item());
      },
      budget);
  keep_gradient_checksums(t, leaves, [](const Tn& g) { return sum_sq(g); });
  return t;
}

}  // namespace compare
