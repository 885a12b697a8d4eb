// The cases of docs/performance.md and the data and initial weights both libraries train from.
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
  return cases;
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

}  // namespace

Problem make_problem(const CaseSpec& spec) {
  Problem p{.spec = spec};
  if (spec.chain > 0) return p;
  fill_data(p);
  xg::nn::manual_seed(spec.seed);
  for (std::size_t l = 0; l + 1 < spec.sizes.size(); ++l) {
    xg::nn::Linear<float> layer(spec.sizes[l], spec.sizes[l + 1]);
    p.w.emplace_back(layer.weight().value().begin(), layer.weight().value().end());
    p.b.emplace_back(layer.bias().value().begin(), layer.bias().value().end());
  }
  return p;
}

}  // namespace compare
