// The L-BFGS and scheduler code of docs/optim.md, compiled and run by ctest
// (docs.snippet.optim_lbfgs_doc): least squares fitted with a closure, and a scheduler resumed.
#include <cmath>
#include <cstdio>

#include "xgrad/autograd.hpp"
#include "xgrad/optim.hpp"

int main() {
  {
    // snippet-begin: lbfgs
    // Fit y = a x + b to four points with L-BFGS and the strong-Wolfe line search.
    auto x = xg::Tensor<double>::from({4}, {0.0, 1.0, 2.0, 3.0});
    auto y = xg::Tensor<double>::from({4}, {1.0, 3.1, 4.9, 7.0});
    auto a = xg::Tensor<double>::scalar(0.0, /*requires_grad=*/true);
    auto b = xg::Tensor<double>::scalar(0.0, /*requires_grad=*/true);
    xg::optim::LBFGS<double> opt({a, b}, {.line_search = xg::optim::LineSearch::strong_wolfe});

    auto closure = [&] {  // re-evaluates the loss and its gradients
      opt.zero_grad();
      auto r = a * x + b - y;
      auto loss = xg::sum(r * r);
      loss.backward();
      return loss;
    };
    for (int s = 0; s < 5; ++s) opt.step(closure);  // each step: up to max_iter = 20 iterations
    // snippet-end: lbfgs
    std::printf("a = %.6f, b = %.6f after %zu closure calls\n", a.item(), b.item(),
                opt.func_evals());
    // The least-squares line: a = 1.98, b = 1.03.
    if (std::abs(a.item() - 1.98) > 1e-9 || std::abs(b.item() - 1.03) > 1e-9) return 1;
  }
  {
    auto w = xg::Tensor<float>::from({1}, {0.0f}, true);
    xg::optim::SGD<float> opt({w}, {.lr = 0.1, .momentum = 0.9});
    xg::optim::OneCycleLR<float> schedule(opt, {.max_lr = 1.0, .total_steps = 100});
    for (int k = 0; k < 40; ++k) schedule.step();
    const auto opt_state = opt.state_dict();
    // snippet-begin: resume
    // at a checkpoint: both states
    xg::optim::SchedulerState saved = schedule.state_dict();  // {"epoch", "base_lr"}

    // later: build the optimizer and the scheduler as before, then load both
    xg::optim::SGD<float> opt2({w}, {.lr = 0.1, .momentum = 0.9});
    xg::optim::OneCycleLR<float> schedule2(opt2, {.max_lr = 1.0, .total_steps = 100});
    opt2.load_state_dict(opt_state);
    schedule2.load_state_dict(saved);  // the next step() continues the cycle at epoch 41
    // snippet-end: resume
    schedule.step();
    schedule2.step();
    std::printf("lr after 41 epochs: %g (resumed: %g)\n", opt.lr(), opt2.lr());
    if (opt.lr() != opt2.lr() || schedule2.epoch() != 41) return 1;
  }
  return 0;
}
