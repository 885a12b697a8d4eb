// The cases of docs/performance.md and the data and initial weights both libraries train from.
#include <cmath>
#include <random>

#include "compare.hpp"
#include "ice_cream_data.hpp"
#include "xgrad/nn.hpp"

namespace compare {

std::vector<CaseSpec> all_cases(bool quick) {
  using A = Activation;
  std::vector<CaseSpec> cases;
  cases.push_back({.number = 1,
                   .name = "ice cream 2-2-1 ReLU, 10 rows",
                   .sizes = {2, 2, 1},
                   .batch = ice_cream::kRows,
                   .hidden = A::relu,
                   .output = A::relu,
                   .loss = LossKind::mse,
                   .lr = 0.05,
                   .momentum = 0.9,
                   .seed = 3});
  cases.push_back({.number = 2,
                   .name = "stairs 4-8-1 sigmoid, batch 32",
                   .sizes = {4, 8, 1},
                   .batch = 32,
                   .hidden = A::sigmoid,
                   .output = A::sigmoid,
                   .loss = LossKind::bce,
                   .lr = 0.5,
                   .seed = 0});
  for (std::size_t batch : {128, 1024}) {
    cases.push_back({.number = 3,
                     .name = "MLP 784-500-500-10, batch " + std::to_string(batch),
                     .sizes = {784, 500, 500, 10},
                     .batch = batch,
                     .hidden = A::sigmoid,
                     .loss = LossKind::cross_entropy,
                     .lr = 0.01,
                     .momentum = 0.9,
                     .nesterov = true,
                     .seed = 4});
  }
  CaseSpec deep{.number = 4,
                .name = "1000 x (Linear(32,32) + tanh), batch 16",
                .batch = 16,
                .hidden = A::tanh,
                .output = A::tanh,
                .loss = LossKind::mse,
                .lr = 0.01,
                .seed = 7};
  deep.sizes.assign(1001, 32);
  cases.push_back(deep);
  for (std::size_t n : {10'000, 100'000, 1'000'000}) {
    if (quick && n > 100'000) continue;
    cases.push_back({.number = 5, .name = "scalar chain " + std::to_string(n), .chain = n});
  }
  using M = MemoryCase;
  cases.push_back({.number = 6,
                   .name = "elementwise chain 1000x1000",
                   .seed = 6,
                   .memory = M::elementwise_chain,
                   .rows = 1000,
                   .cols = 1000});
  cases.push_back({.number = 7,
                   .name = "per-op bandwidth, 1e6 floats",
                   .seed = 7,
                   .memory = M::op_bandwidth,
                   .rows = 1000,
                   .cols = 1000});
  cases.push_back({.number = 8,
                   .name = "softmax family 1024x1000",
                   .seed = 8,
                   .memory = M::softmax_family,
                   .rows = 1024,
                   .cols = 1000});
  for (std::size_t s : {128, 512}) {
    cases.push_back({.number = 9,
                     .name = "attention S=" + std::to_string(s) + ", d=64",
                     .seed = 9,
                     .memory = M::attention,
                     .rows = s,
                     .cols = 64});
  }
  cases.push_back({.number = 10,
                   .name = "row norm 4096x1024",
                   .seed = 10,
                   .memory = M::row_norm,
                   .rows = 4096,
                   .cols = 1024});
  cases.push_back({.number = 11,
                   .name = "Hessian, MLP 7-8-4 tanh (100 parameters), batch 16",
                   .sizes = {7, 8, 4},
                   .batch = 16,
                   .hidden = A::tanh,
                   .loss = LossKind::mse,
                   .seed = 11,
                   .second_order = SecondOrder::hessian});
  cases.push_back({.number = 12,
                   .name = "HVP, MLP 784-120-40-10 tanh (99,450 parameters), batch 64",
                   .sizes = {784, 120, 40, 10},
                   .batch = 64,
                   .hidden = A::tanh,
                   .loss = LossKind::mse,
                   .seed = 12,
                   .second_order = SecondOrder::hvp});
  for (std::size_t batch : {64, 256}) {
    cases.push_back({.number = 13,
                     .name = "CNN conv32-conv64-128-10 + BN, batch " + std::to_string(batch),
                     .batch = batch,
                     .loss = LossKind::cross_entropy,
                     .lr = 0.01,
                     .momentum = 0.9,
                     .seed = 13,
                     .conv = ConvCase::cnn_step});
  }
  cases.push_back({.number = 14,
                   .name = "conv2d 64x64x56x56, 64 3x3, padding 1",
                   .batch = 64,
                   .seed = 14,
                   .conv = ConvCase::conv,
                   .channels = 64,
                   .image = 56});
  cases.push_back({.number = 15,
                   .name = "depth-wise conv2d 64x64x56x56, 3x3, padding 1",
                   .batch = 64,
                   .seed = 15,
                   .conv = ConvCase::conv,
                   .channels = 64,
                   .image = 56,
                   .groups = 64});
  using L = LayerCase;
  auto recurrent = [&](int number, const char* name, L layer, std::size_t in, std::size_t hidden,
                       std::size_t seq_len, std::size_t batch) {
    cases.push_back({.number = number,
                     .name = name,
                     .sizes = {in, hidden},
                     .batch = batch,
                     .lr = 0.01,
                     .momentum = 0.9,
                     .seed = static_cast<unsigned>(number),
                     .layer = layer,
                     .seq_len = seq_len});
  };
  recurrent(16, "LSTM 64-128, sequence 50, batch 32", L::lstm, 64, 128, 50, 32);
  recurrent(17, "GRU 64-128, sequence 50, batch 32", L::gru, 64, 128, 50, 32);
  recurrent(18, "tiny LSTM 8-8, sequence 100, batch 1", L::lstm, 8, 8, 100, 1);
  cases.push_back({.number = 19,
                   .name = "GCN 16-16-3, block model 3,000 nodes",
                   .sizes = {16, 16, 3},
                   .loss = LossKind::cross_entropy,
                   .lr = 0.01,
                   .momentum = 0.9,
                   .seed = 19,
                   .layer = L::gcn,
                   .graph = GraphKind::block_model,
                   .nodes = 3000,
                   .blocks = 3,
                   .mean_degree = 10});
  cases.push_back({.number = 20,
                   .name = "GCN 16-16-3, random 100,000 nodes, 1M edges",
                   .sizes = {16, 16, 3},
                   .loss = LossKind::cross_entropy,
                   .lr = 0.01,
                   .momentum = 0.9,
                   .seed = 20,
                   .layer = L::gcn,
                   .graph = GraphKind::random,
                   .nodes = 100'000,
                   .edges = 1'000'000});
  cases.push_back({.number = 21,
                   .name = "self-attention E=128, 4 heads, L=128, batch 16",
                   .sizes = {128},
                   .batch = 16,
                   .lr = 0.01,
                   .momentum = 0.9,
                   .seed = 21,
                   .layer = L::mha,
                   .seq_len = 128,
                   .heads = 4});
  return cases;
}

double conv_flops(const CaseSpec& s) {
  // Padding 1 keeps the image size: every output pixel takes (channels / groups) 9 products
  // per output channel, in each of the three products.
  const double pixels = static_cast<double>(s.batch * s.image * s.image);
  return 3 * 2 * pixels * static_cast<double>(s.channels * (s.channels / s.groups) * 9);
}

double step_bytes(const CaseSpec& s) {
  const double n = static_cast<double>(s.rows * s.cols), f = sizeof(float);
  switch (s.memory) {
    case MemoryCase::elementwise_chain:  // read x, w; write dx, dw
      return 4 * n * f;
    case MemoryCase::attention:  // read Q, K, V, R; write dQ, dK, dV (the S x S scores can
                                 // stay in cache, as in a fused attention kernel)
      return 7 * n * f;
    case MemoryCase::row_norm:  // read x, R, gamma; write dx, dgamma
      return (3 * n + 2 * static_cast<double>(s.cols)) * f;
    default:
      return 0;
  }
}

namespace {

/// The stairs rule of examples/stairs.cpp on pixels in [0, 1]: a dark bottom row, exactly one
/// dark top pixel.
float stairs_label(const float* p) {
  auto dark = [](float v) { return v > 150.0f / 255; };
  auto light = [](float v) { return v < 100.0f / 255; };
  const bool top = (dark(p[0]) && light(p[1])) || (light(p[0]) && dark(p[1]));
  return dark(p[2]) && dark(p[3]) && top ? 1.0f : 0.0f;
}

void fill_data(Problem& p) {
  const CaseSpec& s = p.spec;
  const std::size_t in = s.sizes.front(), out = s.sizes.back();
  if (s.number == 1) {  // the ten ice-cream rows
    const auto x = ice_cream::inputs<float>(), y = ice_cream::targets<float>();
    p.x.assign(x.value().begin(), x.value().end());
    p.y.assign(y.value().begin(), y.value().end());
    return;
  }
  std::mt19937 rng(s.seed + 1000);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  p.x.resize(s.batch * in);
  for (float& v : p.x) v = pixel(rng);
  if (s.loss == LossKind::cross_entropy) {
    std::uniform_int_distribution<std::size_t> label(0, out - 1);
    p.labels.resize(s.batch);
    for (auto& l : p.labels) l = label(rng);
  } else if (s.number == 2) {  // random 2x2 images, labelled by the stairs rule
    for (std::size_t i = 0; i < s.batch; ++i) p.y.push_back(stairs_label(&p.x[i * in]));
  } else {  // the deep tape: random targets in [-0.5, 0.5], so that the gradient is not
            // vanishingly small (the activations decay through 1000 tanh layers; gradients of
            // zero targets would head for float denormals, which are slow)
    std::uniform_real_distribution<float> target(-0.5f, 0.5f);
    p.y.resize(s.batch * out);
    for (float& v : p.y) v = target(rng);
  }
}

/// The memory-bound cases' inputs: uniform in [-1, 1], except case 7's third input (positive, for
/// log, sqrt and division), case 8's logits in [-4, 4] and case 10's gamma (around 1).
void fill_memory_data(Problem& p) {
  const CaseSpec& s = p.spec;
  const std::size_t n = s.rows * s.cols;
  std::mt19937 rng(s.seed + 1000);
  auto uniform = [&](std::size_t count, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(count);
    for (float& x : v) x = d(rng);
    return v;
  };
  switch (s.memory) {
    case MemoryCase::elementwise_chain:  // x, w
      for (int i = 0; i < 2; ++i) p.data.push_back(uniform(n, -1, 1));
      break;
    case MemoryCase::op_bandwidth:  // a, b (signed), a positive one, a row (cols), g
      for (int i = 0; i < 2; ++i) p.data.push_back(uniform(n, -1, 1));
      p.data.push_back(uniform(n, 0.5f, 2));
      p.data.push_back(uniform(s.cols, -1, 1));
      p.data.push_back(uniform(n, -1, 1));
      break;
    case MemoryCase::softmax_family:  // logits in [-4, 4], g of the full shape, g of the rows
      p.data.push_back(uniform(n, -4, 4));
      p.data.push_back(uniform(n, -1, 1));
      p.data.push_back(uniform(s.rows, -1, 1));
      break;
    case MemoryCase::attention:  // Q, K, V, R
      for (int i = 0; i < 4; ++i) p.data.push_back(uniform(n, -1, 1));
      break;
    case MemoryCase::row_norm:  // x, gamma, R
      p.data.push_back(uniform(n, -1, 1));
      p.data.push_back(uniform(s.cols, 0.5f, 1.5f));
      p.data.push_back(uniform(n, -1, 1));
      break;
    case MemoryCase::none:
      break;
  }
}

template <class Layer>
void keep_weights(Problem& p, const Layer& layer) {
  p.w.emplace_back(layer.weight().value().begin(), layer.weight().value().end());
  p.b.emplace_back(layer.bias().value().begin(), layer.bias().value().end());
}

/// Case 13: random pixels in [0, 1] and labels; the convolutions' and Linear layers' initial
/// weights from xgrad's initialisers (PyTorch's for Conv2d, Glorot uniform for Linear). The batch
/// norm layers start at weight 1, bias 0 in both libraries.
void fill_cnn(Problem& p) {
  const CaseSpec& s = p.spec;
  std::mt19937 rng(s.seed + 1000);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  p.x.resize(s.batch * cnn::kImage * cnn::kImage);
  for (float& v : p.x) v = pixel(rng);
  std::uniform_int_distribution<std::size_t> label(0, cnn::kClasses - 1);
  p.labels.resize(s.batch);
  for (auto& l : p.labels) l = label(rng);
  xg::nn::manual_seed(s.seed);
  keep_weights(p, xg::nn::Conv2d<float>(1, cnn::kChannels1, cnn::kKernel));
  keep_weights(p, xg::nn::Conv2d<float>(cnn::kChannels1, cnn::kChannels2, cnn::kKernel));
  keep_weights(p, xg::nn::Linear<float>(cnn::kFlat, cnn::kHidden));
  keep_weights(p, xg::nn::Linear<float>(cnn::kHidden, cnn::kClasses));
}

/// Cases 14 and 15: x and the output's seed gradient uniform in [-1, 1], w from nn::Conv2d's
/// initialiser (no bias).
void fill_conv(Problem& p) {
  const CaseSpec& s = p.spec;
  std::mt19937 rng(s.seed + 1000);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> x(s.batch * s.channels * s.image * s.image);
  for (float& v : x) v = d(rng);
  std::vector<float> g(x.size());  // the output has x's shape (padding 1, as many channels)
  for (float& v : g) v = d(rng);
  xg::nn::manual_seed(s.seed);
  const xg::nn::Conv2d<float> conv(s.channels, s.channels, 3,
                                   {.padding = 1, .groups = s.groups, .bias = false});
  p.data.push_back(std::move(x));
  p.data.emplace_back(conv.weight().value().begin(), conv.weight().value().end());
  p.data.push_back(std::move(g));
}

}  // namespace

Problem make_problem(const CaseSpec& spec) {
  Problem p{.spec = spec};
  if (spec.memory != MemoryCase::none) {
    fill_memory_data(p);
    return p;
  }
  if (spec.conv == ConvCase::cnn_step) {
    fill_cnn(p);
    return p;
  }
  if (spec.conv == ConvCase::conv) {
    fill_conv(p);
    return p;
  }
  if (spec.layer != LayerCase::none) {
    fill_layer_case(p);
    return p;
  }
  if (spec.chain > 0) return p;
  fill_data(p);
  xg::nn::manual_seed(spec.seed);
  for (std::size_t l = 0; l + 1 < spec.sizes.size(); ++l) {
    xg::nn::Linear<float> layer(spec.sizes[l], spec.sizes[l + 1]);
    p.w.emplace_back(layer.weight().value().begin(), layer.weight().value().end());
    p.b.emplace_back(layer.bias().value().begin(), layer.bias().value().end());
  }
  if (spec.second_order == SecondOrder::hvp) {  // v: a fixed pattern of W's and b's shapes
    for (std::size_t k = 0; k < 2 * p.w.size(); ++k) {
      std::vector<float> v(k % 2 ? p.b[k / 2].size() : p.w[k / 2].size());
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * float(i + 101 * k));
      p.data.push_back(std::move(v));
    }
  }
  return p;
}

}  // namespace compare
