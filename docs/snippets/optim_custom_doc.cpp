// The custom optimizer of docs/optim.md ("Writing another optimizer"), compiled and run by ctest
// (docs.snippet.optim_custom_doc): heavy-ball momentum, checked against SGD with momentum, which
// computes the same update, and through a state_dict round trip.
#include <cstdio>
#include <vector>

#include <xtensor/xarray.hpp>

#include "xgrad/autograd.hpp"
#include "xgrad/optim.hpp"

// snippet-begin: custom
template <class T>
struct HeavyBallState {
  xt::xarray<T> velocity;
};

/// v = mu v + g;  w -= lr v.
template <class T>
class HeavyBall : public xg::optim::StatefulOptimizer<T, HeavyBallState<T>> {
 public:
  HeavyBall(std::vector<xg::Tensor<T>> parameters, double lr, double momentum)
      : xg::optim::StatefulOptimizer<T, HeavyBallState<T>>(std::move(parameters), lr, "HeavyBall"),
        momentum_(momentum) {
    this->declare_buffer("velocity", &HeavyBallState<T>::velocity);  // saved as "velocity.<i>"
  }

 protected:
  void update(std::size_t i, xt::xarray<T>& w, const xt::xarray<T>& g) override {
    xt::xarray<T>& v = this->state_[i].velocity;
    this->create_if_absent(v, i);  // zeros of the parameter's shape at its first update
    const T lr = static_cast<T>(this->step_lr()), mu = static_cast<T>(momentum_);
    for (std::size_t k = 0; k < w.size(); ++k) {
      v.data()[k] = mu * v.data()[k] + g.data()[k];
      w.data()[k] -= lr * v.data()[k];
    }
  }

 private:
  double momentum_;
};
// snippet-end: custom

namespace {
template <class Opt>
void minimise(Opt& opt, const xg::Tensor<float>& w, int steps) {
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    xg::sum(w * w * w * w).backward();
    opt.step();
  }
}
}  // namespace

int main() {
  auto w = xg::Tensor<float>::from({3}, {1.0f, -0.5f, 0.25f}, true);
  auto w_sgd = xg::Tensor<float>::from({3}, {1.0f, -0.5f, 0.25f}, true);
  HeavyBall<float> heavy({w}, 0.05, 0.9);
  xg::optim::SGD<float> sgd({w_sgd}, {.lr = 0.05, .momentum = 0.9});
  minimise(heavy, w, 5);
  minimise(sgd, w_sgd, 5);
  const bool same = w.value() == w_sgd.value();

  const auto state = heavy.state_dict();  // lr, iterations, velocity.0
  auto w2 = xg::Tensor<float>::from({3}, {0.0f, 0.0f, 0.0f}, true);
  HeavyBall<float> resumed({w2}, 0.05, 0.9);
  resumed.load_state_dict(state);
  const bool restored = resumed.iterations() == 5 && state.size() == 3 &&
                        resumed.state_dict().at("velocity.0") == state.at("velocity.0");
  std::printf("HeavyBall %s SGD with momentum; state %s\n", same ? "equals" : "DIFFERS FROM",
              restored ? "restored" : "NOT RESTORED");
  return same && restored ? 0 : 1;
}
