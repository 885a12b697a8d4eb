// Differentiates sum(x^2) through an installed xgrad and checks the closed form 2x.
#include <cstdio>

#include <xgrad/autograd.hpp>

int main() {
  auto x = xg::Tensor<float>::from({3}, {1.0f, -2.0f, 0.5f}, true);
  xg::sum(x * x).backward();
  const auto& g = x.grad().value();
  const bool ok = g(0) == 2.0f && g(1) == -4.0f && g(2) == 1.0f;
  std::printf("consumer: grad = [%g, %g, %g] %s\n", g(0), g(1), g(2), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
