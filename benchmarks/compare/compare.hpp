// Shared by the translation units of xgrad_vs_libtorch: the case list, the problem both libraries
// train (plain vectors, so no file needs both libraries' headers — torch's and xtensor's are kept
// apart), the step timer and the result of one measurement.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

// OpenBLAS's own thread count: torch::set_num_threads does not set it. Declared here rather than
// through <cblas.h>, which clashes with xtensor-blas.
extern "C" void openblas_set_num_threads(int num_threads);

namespace compare {

enum class Activation { none, relu, sigmoid, tanh };
enum class LossKind { mse, bce, cross_entropy };
/// The memory-bound cases 6-10 (docs/performance.md); none for the MLPs and the scalar chain.
enum class MemoryCase {
  none,
  elementwise_chain,
  op_bandwidth,
  softmax_family,
  attention,
  row_norm
};

/// Cases 11 and 12: second derivatives of an MLP's loss with respect to its parameters.
enum class SecondOrder { none, hessian, hvp };

/// Cases 13-15: a CNN's training step, and one convolution's forward + backward (groups 1 or
/// depth-wise).
enum class ConvCase { none, cnn_step, conv };

/// Cases 16-21: a recurrent layer over a sequence, a two-layer GCN on a generated
/// graph, multi-head self-attention; each one full training step per call.
enum class LayerCase { none, lstm, gru, gcn, mha };
/// The graphs of cases 19 and 20: a stochastic block model, or uniformly random edges.
enum class GraphKind { none, block_model, random };

/// Case 13's network, both libraries' (cnn_xgrad.cpp, cnn_torch.cpp) and its matrix products'
/// (cnn_gemm_limit.cpp): (N, 1, 28, 28) -> conv 3x3 to 32 channels, BatchNorm2d, ReLU, max-pool 2
/// -> conv 3x3 to 64 channels, BatchNorm2d, ReLU, max-pool 2 -> Flatten (1600) -> Linear 128,
/// ReLU -> Linear 10, cross-entropy. No padding: 28 -> 26 -> 13 -> 11 -> 5 pixels.
namespace cnn {
constexpr std::size_t kImage = 28, kKernel = 3, kChannels1 = 32, kChannels2 = 64;
constexpr std::size_t kOut1 = kImage - kKernel + 1, kPool1 = kOut1 / 2;
constexpr std::size_t kOut2 = kPool1 - kKernel + 1, kPool2 = kOut2 / 2;
constexpr std::size_t kFlat = kChannels2 * kPool2 * kPool2, kHidden = 128, kClasses = 10;
}  // namespace cnn

/// One row of the table: an MLP trained with SGD, (chain > 0) the scalar chain, (memory) one
/// of the memory-bound cases 6-10, (second_order) 11 or 12, or (conv) the CNN or a convolution.
struct CaseSpec {
  int number = 0;                    ///< 1..21, as in docs/performance.md (--case N)
  std::string name{};                ///< "ice cream 2-2-1", ...
  std::vector<std::size_t> sizes{};  ///< layer widths, input first
  std::size_t batch = 0;
  Activation hidden = Activation::none;  ///< after every layer but the last
  Activation output = Activation::none;  ///< after the last layer
  LossKind loss = LossKind::mse;
  double lr = 0.01, momentum = 0;
  bool nesterov = false;
  unsigned seed = 0;
  std::size_t chain = 0;  ///< iterations of y = y * 1.0001 + 0.0001 (double), then backward
  MemoryCase memory = MemoryCase::none;
  std::size_t rows = 0, cols = 0;  ///< the memory-bound cases' main tensor (rows, cols)
  SecondOrder second_order = SecondOrder::none;
  ConvCase conv = ConvCase::none;
  /// Cases 14 and 15: x (batch, channels, image, image), w (channels, channels / groups, 3, 3),
  /// padding 1.
  std::size_t channels = 0, image = 0, groups = 1;
  /// Cases 16-21. sizes: {input, hidden} (16-18), {features, hidden, classes} (19, 20),
  /// {model width} (21); batch: the sequences' batch (16-18, 21).
  LayerCase layer = LayerCase::none;
  std::size_t seq_len = 0;  ///< time steps (16-18), sequence length (21)
  std::size_t heads = 0;    ///< attention heads (21)
  GraphKind graph = GraphKind::none;
  /// Cases 19 and 20: nodes, blocks (communities, = classes) of the block model, the mean
  /// degree it aims at; the random graph's directed edges (each undirected pair counts twice).
  std::size_t nodes = 0, blocks = 0, edges = 0;
  double mean_degree = 0;
};

/// The memory-bound cases that are one forward + backward step (6, 9, 10): they join the rows
/// of the table; 7 and 8 time many kernels each (KernelList).
inline bool is_step_case(const CaseSpec& s) {
  return s.memory == MemoryCase::elementwise_chain || s.memory == MemoryCase::attention ||
         s.memory == MemoryCase::row_norm;
}
inline bool is_kernel_case(const CaseSpec& s) {
  return s.memory == MemoryCase::op_bandwidth || s.memory == MemoryCase::softmax_family;
}

/// Cases 14 and 15, one convolution forward + backward per step: their own table (report_conv.cpp).
inline bool is_conv_case(const CaseSpec& s) {
  return s.conv == ConvCase::conv;
}
/// FLOPs of one step of case 14 or 15: the forward, input-gradient and weight-gradient products,
/// 2 per multiply-add (problem.cpp).
double conv_flops(const CaseSpec& spec);

/// The minimum bytes one step of case 6, 9 or 10 must read and write: every input read once,
/// every gradient of a leaf written once, as a fully fused forward + backward would (problem.cpp).
double step_bytes(const CaseSpec& spec);

/// The cases of docs/performance.md; quick leaves out the million-iteration chain.
std::vector<CaseSpec> all_cases(bool quick);

/// Everything both libraries start from: the same data and the same initial weights.
struct Problem {
  CaseSpec spec;
  std::vector<float> x{};             ///< (batch, sizes.front()), row-major
  std::vector<float> y{};             ///< (batch, sizes.back()) targets for MSE and BCE
  std::vector<std::size_t> labels{};  ///< class labels for cross-entropy
  /// Layer l: W (in, out) row-major, bias (out); case 13: the two convolutions' W (out, in, 3, 3)
  /// and biases, then the two Linear layers'.
  std::vector<std::vector<float>> w{}, b{};
  /// The memory-bound cases' inputs in the order their run functions take them (problem.cpp);
  /// cases 14 and 15: x, w and the seed gradient of the output.
  std::vector<std::vector<float>> data{};
  /// Cases 19 and 20: the graph's directed edges src[e] -> dst[e] (every undirected edge in
  /// both directions, no self loops).
  std::vector<std::size_t> src{}, dst{};
};

/// Data as in the examples (ice-cream rows, stairs images) or random; weights from xgrad's
/// nn::Linear initialiser (Glorot uniform) with nn::manual_seed(spec.seed). (problem.cpp)
Problem make_problem(const CaseSpec& spec);

/// How long to measure one (library, case, threads) combination.
struct Budget {
  double seconds = 1.0;       ///< time the measured steps until this much has passed...
  std::size_t min_steps = 5;  ///< ...and at least this many steps were taken
  std::size_t max_steps = 2000;
};

/// Per-step times of one run and the first losses (to prove both libraries train the same
/// model: they must agree to float rounding).
struct StepTimes {
  std::vector<double> seconds;  ///< one entry per measured step
  std::vector<double> losses;   ///< loss of the first three steps; for the chain x.grad
};

/// Keeps the first loss of `t` and appends the gradient checksums both libraries compare: the sum
/// of squares of the first leaf's gradient and that of the other leaves' gradients together
/// (`sum_sq` of a leaf's gradient, in either library).
template <class Leaves, class SumSq>
void keep_gradient_checksums(StepTimes& t, const Leaves& leaves, SumSq sum_sq) {
  t.losses.resize(1);
  t.losses.push_back(sum_sq(leaves[0].grad()));
  double rest = 0;
  for (std::size_t i = 1; i < leaves.size(); ++i) rest += sum_sq(leaves[i].grad());
  t.losses.push_back(rest);
}

/// Cases 16-21: the losses both libraries compare are {the first step's loss, `first_grad_sq`
/// (the sum of squares of every parameter's gradient after the first step's backward, in
/// double), the third step's loss}. The losses of these models move by less than the float
/// tolerance in a few steps at their learning rates, so the gradients are compared directly.
inline void keep_first_step_checksum(StepTimes& t, double first_grad_sq) {
  const double third = t.losses.size() > 2 ? t.losses[2] : NAN;
  t.losses.resize(1);
  t.losses.push_back(first_grad_sq);
  t.losses.push_back(third);
}

/// Runs step() (which returns the loss) as warm-up, then measures steps one by one. When the
/// first step alone exceeds the budget (the million-op chain), it counts as the warm-up and one
/// more step is the only sample: every case is measured warm, not on freshly mapped memory.
template <class Step>
StepTimes time_steps(Step&& step, const Budget& budget) {
  using clock = std::chrono::steady_clock;
  StepTimes out;
  auto timed = [&] {
    const auto t0 = clock::now();
    const double loss = step();
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    if (out.losses.size() < 3) out.losses.push_back(loss);
    return s;
  };
  const double first = timed();
  if (first >= budget.seconds) {
    out.seconds.push_back(timed());
    return out;
  }
  // Warm-up: a tenth of the budget or two steps, whichever is longer.
  double warm = first;
  for (int i = 1; i < 2 || warm < 0.1 * budget.seconds; ++i) warm += timed();
  double total = 0;
  while (out.seconds.size() < budget.max_steps &&
         (total < budget.seconds || out.seconds.size() < budget.min_steps)) {
    out.seconds.push_back(timed());
    total += out.seconds.back();
  }
  return out;
}

/// The median of per-step seconds (0 if there are none).
inline double median(std::vector<double> s) {
  if (s.empty()) return 0;
  std::sort(s.begin(), s.end());
  return s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
}

/// xgrad's training step on `p` (compare_xgrad.cpp; cases 11-15 dispatched from there);
/// xg::set_num_threads is called by the caller.
StepTimes run_xgrad(const Problem& p, const Budget& budget);
/// libtorch's (compare_torch.cpp), with `intra_op_threads` for torch::set_num_threads.
StepTimes run_torch(const Problem& p, const Budget& budget, int intra_op_threads);

/// Cases 11 and 12, one Hessian or HVP per step: losses = {loss, sum of squares of the
/// derivative's elements, their sum}, in double (second_order_xgrad.cpp, second_order_torch.cpp).
/// Problem::data holds the HVP's vector v, one entry per parameter (W, b of each layer).
StepTimes run_xgrad_second_order(const Problem& p, const Budget& budget);
StepTimes run_torch_second_order(const Problem& p, const Budget& budget, int intra_op_threads);

/// Cases 6, 9 and 10: one forward + backward step per call, the leaves' gradients reset first.
/// losses = {loss, sum of squares of the first leaf's gradient, that of the other leaves'
/// gradients}, the latter two in double from the last step (memory_xgrad.cpp, memory_torch.cpp).
StepTimes run_xgrad_memory(const Problem& p, const Budget& budget);
StepTimes run_torch_memory(const Problem& p, const Budget& budget, int intra_op_threads);

/// Case 13: one training step of the CNN per call (zero_grad, forward in training mode,
/// cross-entropy, backward, SGD with momentum); losses of the first three steps
/// (cnn_xgrad.cpp, cnn_torch.cpp).
StepTimes run_xgrad_cnn(const Problem& p, const Budget& budget);
StepTimes run_torch_cnn(const Problem& p, const Budget& budget, int intra_op_threads);

/// Cases 16-21: one training step per call (zero_grad, forward, loss, backward,
/// SGD with momentum); losses of the first three steps. 16-18: nn::LSTM / nn::GRU against
/// torch::nn::LSTM / GRU, MSE of the output sequence against a fixed target
/// (recurrent_xgrad.cpp, recurrent_torch.cpp); 19-20: two GCNConv layers against torch::mm and
/// torch::sparse::mm on D^-1/2 (A + I) D^-1/2, cross-entropy on every node (gcn_xgrad.cpp,
/// gcn_torch.cpp); 21: nn::MultiheadAttention against torch::nn::MultiheadAttention,
/// self-attention, MSE against a fixed target (mha_xgrad.cpp, mha_torch.cpp).
StepTimes run_xgrad_recurrent(const Problem& p, const Budget& budget);
StepTimes run_torch_recurrent(const Problem& p, const Budget& budget, int intra_op_threads);
StepTimes run_xgrad_gcn(const Problem& p, const Budget& budget);
StepTimes run_torch_gcn(const Problem& p, const Budget& budget, int intra_op_threads);
StepTimes run_xgrad_mha(const Problem& p, const Budget& budget);
StepTimes run_torch_mha(const Problem& p, const Budget& budget, int intra_op_threads);
/// The data and initial weights of cases 16-21 (problem_layers.cpp).
void fill_layer_case(Problem& p);

/// Cases 14 and 15: y = conv2d(x, w, padding 1), then y.backward(g) into x's and w's gradients
/// (reset before each step). losses = {<y, g>, sum of squares of dx, that of dw}, in double, from
/// the last step (conv_xgrad.cpp, conv_torch.cpp).
StepTimes run_xgrad_conv(const Problem& p, const Budget& budget);
StepTimes run_torch_conv(const Problem& p, const Budget& budget, int intra_op_threads);

/// One kernel of cases 7 and 8: the forward call and, separately, the backward rule.
struct KernelTiming {
  char name[40] = {};
  double forward_bytes = 0, backward_bytes = 0;  ///< minimum traffic; backward 0: not timed
  double forward_s = NAN, backward_s = NAN;      ///< median seconds per call
  double forward_memcpy_s = NAN, backward_memcpy_s = NAN;  ///< memcpy of the same bytes
  double forward_check = NAN;                              ///< sum of the output
  double backward_check = NAN;  ///< sum of squares of the first input's gradient
};
/// The kernels of one case, sent from a child process as raw bytes: plain data only.
struct KernelList {
  static constexpr int kMax = 32;
  int count = 0;
  KernelTiming kernels[kMax];
  KernelTiming& add(const char* name, double forward_bytes, double backward_bytes);
};
/// Budget of one kernel's forward or backward timing: a tenth of the case's.
inline Budget kernel_budget(const Budget& b) {
  return {.seconds = b.seconds / 10, .min_steps = b.min_steps, .max_steps = b.max_steps};
}
/// xgrad's kernels of case 7 or 8 (memory_xgrad.cpp); memcpy figures are left to the caller.
KernelList run_xgrad_kernels(const Problem& p, const Budget& budget);
/// libtorch's kernels of case 8 (memory_torch.cpp); case 7 is xgrad only.
KernelList run_torch_kernels(const Problem& p, const Budget& budget, int intra_op_threads);

/// Median seconds of one std::memcpy that moves `bytes` in all: bytes / 2 read from one
/// buffer and written to another, both touched beforehand (bandwidth.cpp).
double memcpy_seconds(double bytes, const Budget& budget);

/// The matrix products of one step of case 3 (784-500-500-10 at `batch`): forward X W and
/// backward dW = X^T G, dX = G W^T, skipping the first layer's dX as both libraries do
/// (sgemm_limit.cpp, the only file that sees <cblas.h>).
struct SgemmLimit {
  double flops = 0;    ///< per step
  double seconds = 0;  ///< median time of the products on preallocated buffers
};
SgemmLimit measure_sgemm_limit(std::size_t batch, const Budget& budget);
/// Case 13's matrix products at `batch` as im2col + GEMM computes them, through cblas_sgemm on
/// preallocated buffers, one call per product over the whole batch: each convolution's forward
/// W cols and weight gradient G cols^T, the second one's input gradient W^T G (the first one's
/// input needs no gradient), and the Linear layers' X W, X^T G and G W^T (cnn_gemm_limit.cpp).
/// The column matrices are filled once, outside the timing: im2col and col2im are not counted.
SgemmLimit measure_cnn_gemm_limit(std::size_t batch, const Budget& budget);
/// OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell MAX_THREADS=64".
std::string openblas_description();
/// "1.13.1" (compare_torch.cpp).
std::string torch_version();

}  // namespace compare
