// Course chapter 2: the chain rule by hand vs the tape, on seed 003's ice-cream network.
// Compiled and run by ctest (docs.snippet.course_2_chain_rule).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "ice_cream_data.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/tools/trace.hpp"

using Tn = xg::Tensor<double>;

int main() {
  const Tn x = ice_cream::inputs<double>();
  const Tn y = ice_cream::targets<double>();
  auto p = ice_cream::true_params<double>();            // every parameter fixed at its optimum...
  p.b_out = Tn::from({1}, {-0.1}, true).set_name("b");  // ...except the output bias

  // snippet-begin: by_hand
  // z_i = h_i · W2 + b,  r̂_i = relu(z_i),  MSE = (1/N) Σ_i (r̂_i - y_i)²
  // dMSE/db = Σ_i dMSE/dr̂_i · dr̂_i/dz_i · dz_i/db = Σ_i (2/N)(r̂_i - y_i) · [z_i > 0] · 1
  const std::size_t n = ice_cream::kRows;
  double by_hand = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double z = p.b_out.value()(0);  // dz/db = 1
    for (std::size_t j = 0; j < 2; ++j) {
      double h = p.b_hidden.value()(j);
      for (std::size_t k = 0; k < 2; ++k) h += x.value()(i, k) * p.w_hidden.value()(k, j);
      z += std::max(h, 0.0) * p.w_out.value()(j, 0);
    }
    const double r = std::max(z, 0.0);
    const double dmse_dr = 2.0 / n * (r - y.value()(i, 0));
    const double dr_dz = z > 0 ? 1.0 : 0.0;
    by_hand += dmse_dr * dr_dz * 1.0;
  }
  // snippet-end: by_hand

  // snippet-begin: tape
  auto loss = xg::mse_loss(ice_cream::predict(p, x), y);
  {
    xg::BackwardTrace<double> trace({.text = &std::cout, .precision = 3});
    loss.backward();
  }
  std::printf("by hand %.15f, tape %.15f\n", by_hand, p.b_out.grad().item());
  // snippet-end: tape
  if (std::abs(by_hand - p.b_out.grad().item()) > 1e-14) return 1;

  // The JSON lines carry the same events with every value, for programs and tests.
  auto again = xg::mse_loss(ice_cream::predict(p, x), y);
  std::ostringstream json;
  {
    xg::BackwardTrace<double> trace({.json = &json});
    again.backward();
  }
  const std::string lines = json.str();
  const auto count = std::count(lines.begin(), lines.end(), '\n');
  std::printf("%ld JSON lines\n", static_cast<long>(count));
  // The last two events: add's contribution to b, and b's gradient.
  const std::size_t last_two = lines.rfind('\n', lines.rfind('\n', lines.size() - 2) - 1) + 1;
  std::printf("%s", lines.substr(last_two).c_str());
  return lines.find("\"event\":\"gradient\",\"step\":3") != std::string::npos ? 0 : 1;
}
