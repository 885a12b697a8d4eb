// Differentiates sum(x^2) through an installed xgrad and checks the closed form 2x; then a float
// convolution, which runs on oneDNN, a private dependency the package config must find.
#include <cstdio>

#include <xgrad/autograd.hpp>

int main() {
  auto x = xg::Tensor<float>::from({3}, {1.0f, -2.0f, 0.5f}, true);
  xg::sum(x * x).backward();
  const auto& g = x.grad().value();
  const bool ok = g(0) == 2.0f && g(1) == -4.0f && g(2) == 1.0f;
  std::printf("consumer: grad = [%g, %g, %g] %s\n", g(0), g(1), g(2), ok ? "ok" : "WRONG");
  // Ones (1, 2, 3, 3) with ones (1, 2, 2, 2): every output is the 8 products of a window.
  auto y = xg::conv2d(xg::Tensor<float>::ones({1, 2, 3, 3}), xg::Tensor<float>::ones({1, 2, 2, 2}));
  const bool conv_ok = y.value().size() == 4 && xg::sum(y).item() == 32.0f;
  std::printf("consumer: conv2d sum = %g %s\n", xg::sum(y).item(), conv_ok ? "ok" : "WRONG");
  return ok && conv_ok ? 0 : 1;
}
