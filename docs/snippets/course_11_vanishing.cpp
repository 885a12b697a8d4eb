// Course chapter 11: why gradients vanish and how gates help. The gradient reaching h_t of a
// tanh RNN is a product of Jacobians diag(1 - h^2) W_hh^T, which shrinks or grows
// geometrically with the distance to the loss; the LSTM's cell state path has the Jacobian
// diag(f), which does not squash. Both measured with tensor hooks and checked by hand.
// Compiled and run by ctest (docs.snippet.course_11_vanishing).
#include <cmath>
#include <cstdio>
#include <vector>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"

using Tn = xg::Tensor<double>;
namespace nn = xg::nn;

namespace {

/// The Euclidean norm of a tensor's values.
double norm(const xt::xarray<double>& v) {
  double s = 0;
  for (double e : v) s += e * e;
  return std::sqrt(s);
}

}  // namespace

int main() {
  const std::size_t T = 40;
  // Inputs of one sequence, the same for every run: x_t = sin(t), one feature.
  std::vector<Tn> xs;
  for (std::size_t t = 0; t < T; ++t) xs.push_back(Tn::from({1, 1}, {std::sin(double(t))}));

  // snippet-begin: rnn
  // A tanh RNN with 2 hidden units whose W_hh is s times a rotation: its singular values are
  // both s. The inputs are scaled by `scale`. The loss reads the last state only; a hook on
  // every h_t records |dL/dh_t|.
  auto run_rnn = [&](double s, double scale, std::vector<double>& grad_norm, std::vector<Tn>& hs) {
    nn::RNNCell<double> cell(1, 2, {.bias = false});
    const double c = std::cos(0.5), r = std::sin(0.5);
    cell.weight_ih().mutable_value() = xt::xarray<double>({{1.0, -0.5}});
    cell.weight_hh().mutable_value() = xt::xarray<double>({{s * c, s * r}, {-s * r, s * c}});
    grad_norm.assign(T, 0.0);
    hs.clear();
    Tn h = Tn::zeros({1, 2});
    for (std::size_t t = 0; t < T; ++t) {
      h = cell.forward_with_state(xs[t] * scale, {h}).h;
      h.register_hook([&grad_norm, t](const Tn& g) {
        grad_norm[t] = norm(g.value());
        return Tn();
      });
      hs.push_back(h);
    }
    xg::sum(h).backward();  // L = h_T[0] + h_T[1]: dL/dh_T = (1, 1)
    return cell.weight_hh().value();
  };
  // snippet-end: rnn

  // snippet-begin: rnn_runs
  std::vector<double> small, grows, saturated;
  std::vector<Tn> hs_small, hs_other;
  const xt::xarray<double> w_small = run_rnn(0.9, 1.0, small, hs_small);
  run_rnn(1.1, 0.001, grows, hs_other);    // small inputs keep h in tanh's linear part
  run_rnn(3.0, 1.0, saturated, hs_other);  // large W_hh drives h into saturation
  std::printf(" t   |dL/dh_t|: s = 0.9   s = 1.1, tiny x   s = 3.0\n");
  for (std::size_t t = T; t-- > 0;) {
    if (t % 5 == 4 || t == 0)
      std::printf("%2zu   %18.3e   %14.3e   %9.3e\n", t + 1, small[t], grows[t], saturated[t]);
  }
  // snippet-end: rnn_runs

  // snippet-begin: jacobians
  // By hand: dL/dh_{t-1} = dL/dh_t J_t, J_t = diag(1 - h_t^2) W_hh^T (row vector times J_t,
  // in xgrad's (in, out) weight layout: h_t = tanh(... + h_{t-1} W_hh)).
  xt::xarray<double> g = {1.0, 1.0};  // dL/dh_T
  double worst = 0;
  for (std::size_t t = T - 1; t > 0; --t) {
    const auto& h = hs_small[t].value();
    const xt::xarray<double> d = {g(0) * (1 - h(0, 0) * h(0, 0)), g(1) * (1 - h(0, 1) * h(0, 1))};
    // (d W_hh^T)_i = sum_j d_j W_hh(i, j)
    g = xt::xarray<double>(
        {d(0) * w_small(0, 0) + d(1) * w_small(0, 1), d(0) * w_small(1, 0) + d(1) * w_small(1, 1)});
    worst = std::max(worst, std::abs(norm(g) - small[t - 1]) / small[t - 1]);
  }
  std::printf("product of Jacobians against the hooks: largest relative difference %.1e\n", worst);
  // snippet-end: jacobians
  CHECK(worst < 1e-12);
  CHECK(small[0] < 1e-3 * small[T - 1]);   // vanished by more than 1000x over 40 steps
  CHECK(grows[0] > 10 * grows[T - 1]);     // grew by more than 10x
  CHECK(saturated[0] < saturated[T - 1]);  // saturation: large weights, yet it shrinks

  // snippet-begin: lstm
  // An LSTM cell with 1 hidden unit and W_hh = 0, so the only path from c_0 to c_T is the
  // cell state itself: c_t = f_t c_{t-1} + i_t g_t, dc_t/dc_{t-1} = f_t. The forget gate's
  // bias (gates i, f, g, o) decides f_t.
  auto run_lstm = [&](double forget_bias, double& dc0, double& product_of_f) {
    nn::LSTMCell<double> cell(1, 1);
    cell.weight_ih().mutable_value() = xt::xarray<double>({{0.5, 0.5, 0.5, 0.5}});
    cell.weight_hh().mutable_value().fill(0.0);
    cell.bias_ih().mutable_value() = xt::xarray<double>({0.0, forget_bias, 0.0, 0.0});
    cell.bias_hh().mutable_value().fill(0.0);
    Tn c0 = Tn::from({1, 1}, {0.0}, /*requires_grad=*/true);
    nn::RecurrentState<double> state{Tn::zeros({1, 1}), c0};
    product_of_f = 1;
    for (std::size_t t = 0; t < T; ++t) {
      state = cell.forward_with_state(xs[t], state);
      const double pre_f = 0.5 * xs[t].item() + forget_bias;  // x W_ih + b for the f gate
      product_of_f *= 1 / (1 + std::exp(-pre_f));             // f_t = sigmoid(pre_f)
    }
    state.c.backward();  // L = c_T
    dc0 = c0.grad().item();
  };
  for (double bias : {0.0, 3.0}) {
    double dc0 = 0, prod = 0;
    run_lstm(bias, dc0, prod);
    std::printf("forget bias %g: dc_T/dc_0 on tape %.6e, product of the f_t %.6e\n", bias, dc0,
                prod);
  }
  // snippet-end: lstm
  for (double bias : {0.0, 3.0}) {
    double dc0 = 0, prod = 0;
    run_lstm(bias, dc0, prod);
    CHECK(std::abs(dc0 - prod) <= 1e-12 * prod);
  }

  std::printf("chapter 11: all checks passed\n");
  return 0;
}
