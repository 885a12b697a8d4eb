// xgrad's side of cases 14 and 15: one conv2d (padding 1, groups 1 or depth-wise) forward and
// its backward into x's and w's gradients, seeded with a fixed gradient of the output.
#include "compare.hpp"
#include "xgrad/autograd.hpp"

namespace compare {

namespace {

using Tn = xg::Tensor<float>;

double sum_sq(const Tn& t) {
  double s = 0;
  for (float v : t.value()) s += static_cast<double>(v) * v;
  return s;
}

double dot(const Tn& a, const Tn& b) {
  double s = 0;
  auto j = b.value().begin();
  for (float v : a.value()) s += static_cast<double>(v) * *j++;
  return s;
}

}  // namespace

StepTimes run_xgrad_conv(const Problem& p, const Budget& budget) {
  const CaseSpec& s = p.spec;
  const std::size_t n = s.batch, c = s.channels, hw = s.image;
  std::vector<Tn> leaves{Tn::from({n, c, hw, hw}, p.data[0], true),
                         Tn::from({c, c / s.groups, 3, 3}, p.data[1], true)};
  const Tn g = Tn::from({n, c, hw, hw}, p.data[2]);
  const xg::Conv2dOptions options{.padding = 1, .groups = s.groups};
  auto forward = [&] { return xg::conv2d(leaves[0], leaves[1], options); };
  StepTimes t = time_steps(
      [&] {
        for (Tn& l : leaves) l.zero_grad();
        const Tn y = forward();
        y.backward(g);
        return 0.0;  // the checksums below
      },
      budget);
  keep_gradient_checksums(t, leaves, [](const Tn& d) { return sum_sq(d); });
  xg::NoGradGuard no_grad;
  t.losses[0] = dot(forward(), g);
  return t;
}

}  // namespace compare
