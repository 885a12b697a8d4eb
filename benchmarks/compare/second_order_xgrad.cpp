// xgrad's side of cases 11 and 12 (docs/performance.md): the Hessian of a small MLP's loss with
// respect to all its parameters (xg::hessian), and a Hessian-vector product of a larger one's
// (xg::hvp). The model is written as a function of its parameters, as torch.func users write it.
#include <vector>

#include "compare.hpp"
#include "xgrad/autograd.hpp"

namespace compare {

namespace {

using Tn = xg::Tensor<float>;

Tn tensor_of(const std::vector<float>& v, xg::Shape shape) {
  xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
  std::copy(v.begin(), v.end(), a.data());
  return Tn(std::move(a));
}

double sum_sq(const Tn& t) {
  double s = 0;
  for (float v : t.value()) s += static_cast<double>(v) * v;
  return s;
}

double sum_of(const Tn& t) {
  double s = 0;
  for (float v : t.value()) s += v;
  return s;
}

}  // namespace

StepTimes run_xgrad_second_order(const Problem& p, const Budget& budget) {
  const CaseSpec& s = p.spec;
  const Tn x = tensor_of(p.x, {s.batch, s.sizes.front()});
  const Tn y = tensor_of(p.y, {s.batch, s.sizes.back()});
  std::vector<Tn> params, v;
  for (std::size_t l = 0; l < p.w.size(); ++l) {
    params.push_back(tensor_of(p.w[l], {s.sizes[l], s.sizes[l + 1]}));
    params.push_back(tensor_of(p.b[l], {s.sizes[l + 1]}));
    if (p.data.empty()) continue;  // v: only the HVP has one
    v.push_back(tensor_of(p.data[2 * l], {s.sizes[l], s.sizes[l + 1]}));
    v.push_back(tensor_of(p.data[2 * l + 1], {s.sizes[l + 1]}));
  }
  auto loss = [&](const std::vector<Tn>& q) {
    Tn h = x;
    for (std::size_t l = 0; 2 * l < q.size(); ++l) {
      h = xg::matmul(h, q[2 * l]) + q[2 * l + 1];
      if (2 * l + 2 < q.size()) h = xg::tanh(h);
    }
    return xg::mse_loss(h, y);
  };
  std::vector<Tn> last;  // the derivative's blocks; checksums after the timing
  StepTimes t = time_steps(
      [&] {
        last.clear();
        if (s.second_order == SecondOrder::hessian) {
          // The value comes from the same forward pass in libtorch's step; here hessian()
          // keeps f's output to itself, so the loss is one extra (cheap) forward.
          for (auto& row : xg::hessian(loss, params))
            last.insert(last.end(), row.begin(), row.end());
          xg::NoGradGuard no_grad;
          return static_cast<double>(loss(params).item());
        }
        auto [value, hv] = xg::hvp(loss, params, v);
        last = std::move(hv);
        return static_cast<double>(value.item());
      },
      budget);
  double check_sq = 0, check_sum = 0;
  for (const auto& block : last) check_sq += sum_sq(block), check_sum += sum_of(block);
  t.losses.resize(1);
  t.losses.push_back(check_sq);
  t.losses.push_back(check_sum);
  return t;
}

}  // namespace compare
