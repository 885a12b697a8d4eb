// libtorch's side of the memory-bound cases (docs/performance.md): the steps of cases 6, 9 and
// 10 and the softmax kernels of case 8, written as in memory_xgrad.cpp. Only torch headers here.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>

#include "compare.hpp"
#include "torch_tensor.hpp"

namespace compare {

namespace {

double sum_of(const torch::Tensor& t) {
  return t.to(torch::kFloat64).sum().item<double>();
}

double sum_sq(const torch::Tensor& t) {
  const auto d = t.to(torch::kFloat64);
  return (d * d).sum().item<double>();
}

/// As in memory_xgrad.cpp: the forward call, then y.backward(g) with the graph retained and the
/// leaves' gradients reset before each run.
void time_kernel(KernelList& out, const char* name, double forward_floats, double backward_floats,
                 const std::function<torch::Tensor()>& forward, std::vector<torch::Tensor> leaves,
                 const torch::Tensor& g, const Budget& budget) {
  KernelTiming& k = out.add(name, 4 * forward_floats, 4 * backward_floats);
  const Budget b = kernel_budget(budget);
  k.forward_s = median(
      time_steps([&] { return static_cast<double>(forward().data_ptr<float>()[0]); }, b).seconds);
  const torch::Tensor y = forward();
  k.forward_check = sum_of(y);
  auto reset = [&] {
    for (torch::Tensor& l : leaves) l.mutable_grad().reset();
  };
  k.backward_s = median(time_steps(
                            [&] {
                              reset();
                              y.backward(g, /*retain_graph=*/true);
                              return 0.0;
                            },
                            b)
                            .seconds);
  k.backward_check = sum_sq(leaves.front().grad());
  reset();
}

}  // namespace

KernelList run_torch_kernels(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  const CaseSpec& s = p.spec;
  KernelList out;
  if (s.memory != MemoryCase::softmax_family) return out;  // case 7 is measured for xgrad only
  const auto rows = static_cast<std::int64_t>(s.rows), cols = static_cast<std::int64_t>(s.cols);
  const auto x = tensor_of(p.data[0], {rows, cols}, true);
  const auto g = tensor_of(p.data[1], {rows, cols}), g_rows = tensor_of(p.data[2], {rows});
  const double n = static_cast<double>(s.rows * s.cols), r = static_cast<double>(s.rows);
  time_kernel(
      out, "softmax", 2 * n, 3 * n, [&] { return torch::softmax(x, -1); }, {x}, g, budget);
  time_kernel(
      out, "log_softmax", 2 * n, 3 * n, [&] { return torch::log_softmax(x, -1); }, {x}, g, budget);
  time_kernel(
      out, "logsumexp", n + r, 2 * n + 2 * r, [&] { return torch::logsumexp(x, {-1}); }, {x},
      g_rows, budget);
  return out;
}

StepTimes run_torch_memory(const Problem& p, const Budget& budget, int intra_op_threads) {
  torch::set_num_threads(intra_op_threads);
  const CaseSpec& s = p.spec;
  const auto rows = static_cast<std::int64_t>(s.rows), cols = static_cast<std::int64_t>(s.cols);
  std::vector<torch::Tensor> leaves;
  std::function<torch::Tensor()> loss;
  torch::Tensor r;
  switch (s.memory) {
    case MemoryCase::elementwise_chain: {
      leaves = {tensor_of(p.data[0], {rows, cols}, true), tensor_of(p.data[1], {rows, cols}, true)};
      loss = [x = leaves[0], w = leaves[1]] {
        const auto t1 = x * w;
        const auto t2 = t1 + 0.5;
        const auto t3 = torch::sigmoid(t2);
        const auto t4 = t3 * x;
        const auto t5 = torch::tanh(t4);
        const auto t6 = torch::exp(t5);
        return t6.sum();
      };
      break;
    }
    case MemoryCase::attention: {
      for (int i = 0; i < 3; ++i) leaves.push_back(tensor_of(p.data[i], {rows, cols}, true));
      r = tensor_of(p.data[3], {rows, cols});
      loss = [q = leaves[0], k = leaves[1], v = leaves[2], r] {
        const auto scores = torch::matmul(q, k.t()) * 0.125;
        const auto out = torch::matmul(torch::softmax(scores, -1), v);
        return (out * r).sum();
      };
      break;
    }
    case MemoryCase::row_norm: {
      leaves = {tensor_of(p.data[0], {rows, cols}, true), tensor_of(p.data[1], {cols}, true)};
      r = tensor_of(p.data[2], {rows, cols});
      loss = [x = leaves[0], gamma = leaves[1], r] {
        const auto ms = (x * x).mean(-1, /*keepdim=*/true);
        const auto y = x / torch::sqrt(ms + 1e-5) * gamma;
        return (y * r).sum();
      };
      break;
    }
    default:
      throw std::invalid_argument("run_torch_memory: not a step case");
  }
  StepTimes t = time_steps(
      [&] {
        for (torch::Tensor& l : leaves) l.mutable_grad().reset();
        const auto l = loss();
        l.backward();
        return l.item<double>();
      },
      budget);
  keep_gradient_checksums(t, leaves, [](const torch::Tensor& g) { return sum_sq(g); });
  return t;
}

}  // namespace compare
