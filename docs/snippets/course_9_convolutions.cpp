// Course chapter 9: convolutions, pooling and batch norm on the tape. A 2-channel convolution
// as a matrix product, its chain rule by hand against the tape, its backward as convolutions,
// max-pool's routing, batch norm's three-term backward, and a picture of a small conv block.
// Compiled and run by ctest (docs.snippet.course_9_convolutions).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <string>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/tools/graphviz.hpp"
#include "xgrad/tools/trace.hpp"

using Tn = xg::Tensor<double>;

namespace {

/// Prints the values of a tensor as one row, "(a, b, ...)".
void print_row(const char* name, const xt::xarray<double>& v) {
  std::printf("%s = (", name);
  for (std::size_t i = 0; i < v.size(); ++i) std::printf(i ? ", %g" : "%g", v.data()[i]);
  std::printf(")\n");
}

bool same_values(const xt::xarray<double>& a, const xt::xarray<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.data()[i] != b.data()[i]) return false;
  }
  return true;
}

}  // namespace

int main() {
  // snippet-begin: example
  // One image with 2 channels of 3x3 pixels, one filter of 2 channels of 2x2 taps, a bias.
  Tn x = Tn::from({1, 2, 3, 3},
                  {1, 2, 0,  //
                   3, 1, 2,  // channel 0
                   0, 1, 1,  //
                   2, 0, 1,  //
                   1, 1, 0,  // channel 1
                   2, 3, 1},
                  /*requires_grad=*/true)
             .set_name("x");
  Tn w = Tn::from({1, 2, 2, 2},
                  {1, 0, 2, -1,   // channel 0: (1 0 / 2 -1)
                   0, 1, -1, 1},  // channel 1: (0 1 / -1 1)
                  true)
             .set_name("w");
  Tn b = Tn::from({1}, {1}, true).set_name("b");
  Tn y = xg::conv2d(x, w, b);  // (1, 1, 2, 2): y[oh, ow] = b + sum_{c,i,j} w[c,i,j] x[c,oh+i,ow+j]
  // snippet-end: example

  // snippet-begin: im2col
  // The column matrix: a row per tap (c, i, j), a column per output pixel p = (oh, ow), holding
  // the input value that tap sees at that pixel.
  xt::xarray<double> cols = xt::zeros<double>({8, 4});
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t j = 0; j < 2; ++j)
        for (std::size_t oh = 0; oh < 2; ++oh)
          for (std::size_t ow = 0; ow < 2; ++ow)
            cols(c * 4 + i * 2 + j, oh * 2 + ow) = x.value()(0, c, oh + i, ow + j);
  // The filter as one row of 8 weights, times the column matrix: one number per pixel.
  Tn product = xg::matmul(xg::reshape(w, {1, 8}), Tn(cols)) + b;  // (1, 4)
  print_row("W cols + b", product.value());
  print_row("conv2d    ", y.value());
  // snippet-end: im2col
  // The column matrix written out, each row beside its weight, and the product without b.
  std::printf("             pixel p  (0,0)  (0,1)  (1,0)  (1,1)\n");
  for (std::size_t r = 0; r < 8; ++r) {
    std::printf("tap (%zu,%zu,%zu)  w = %2g", r / 4, r / 2 % 2, r % 2, w.value().data()[r]);
    for (std::size_t p = 0; p < 4; ++p) std::printf("  %5g", cols(r, p));
    std::printf("\n");
  }
  std::printf("W cols             ");
  for (std::size_t p = 0; p < 4; ++p) std::printf("  %5g", product.value()(0, p) - b.item());
  std::printf("\n");
  CHECK(same_values(product.value(), y.value()));

  // snippet-begin: by_hand
  // L = mse(y, t) = (1/4) sum_p (y_p - t_p)^2, so g_p = dL/dy_p = (y_p - t_p) / 2.
  // Pixel p sees the taps of column p: y_p = b + sum_k w_k cols[k, p]. Its contributions:
  //   dL/dw_k += g_p * cols[k, p]              (dy_p/dw_k = the input under tap k)
  //   dL/dx[c, oh+i, ow+j] += g_p * w[c, i, j]  (dy_p/dx = the weight over that input)
  //   dL/db += g_p
  const double t[4] = {4, 6, 4, 3};
  xt::xarray<double> dw = xt::zeros<double>({1, 2, 2, 2});
  xt::xarray<double> dx = xt::zeros<double>({1, 2, 3, 3});
  double db = 0;
  for (std::size_t oh = 0; oh < 2; ++oh)
    for (std::size_t ow = 0; ow < 2; ++ow) {
      const std::size_t p = oh * 2 + ow;
      const double g = (y.value().data()[p] - t[p]) / 2;
      for (std::size_t c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < 2; ++i)
          for (std::size_t j = 0; j < 2; ++j) {
            dw(0, c, i, j) += g * x.value()(0, c, oh + i, ow + j);
            dx(0, c, oh + i, ow + j) += g * w.value()(0, c, i, j);
          }
      db += g;
    }
  // snippet-end: by_hand
  {
    // Pixel (0, 0) alone: its g, its column of taps, and the inputs its window covers.
    const double g0 = (y.value()(0, 0, 0, 0) - t[0]) / 2;
    std::printf("pixel (0, 0): g = %g\n  dL/dw += g * cols[:, 0] = (", g0);
    for (std::size_t k = 0; k < 8; ++k) std::printf(k ? ", %g" : "%g", g0 * cols(k, 0));
    std::printf(")\n  dL/dx[c, i, j] += g * w[c, i, j] for i, j < 2: (");
    for (std::size_t k = 0; k < 8; ++k) std::printf(k ? ", %g" : "%g", g0 * w.value().data()[k]);
    std::printf(")\n");
  }

  // snippet-begin: tape
  Tn target = Tn::from({1, 1, 2, 2}, {4, 6, 4, 3});
  Tn loss = xg::mse_loss(y, target);
  {
    xg::BackwardTrace<double> trace({.text = &std::cout, .max_values = 18});
    loss.backward();
  }
  // snippet-end: tape
  CHECK(same_values(x.grad().value(), dx));
  CHECK(same_values(w.grad().value(), dw));
  CHECK(b.grad().item() == db);
  print_row("by hand dL/dw", dw);
  print_row("by hand dL/dx", dx);
  std::printf("by hand dL/db = %g\n", db);

  // snippet-begin: again_conv
  // dL/dw[c, i, j] = sum_p g_p x[c, oh+i, ow+j]: the image's channels, correlated with g as a
  // 2x2 kernel. Each channel becomes a sample of one channel, g the one filter.
  Tn g = Tn::from({1, 1, 2, 2}, {1.5, -1.5, 0.5, -1});  // dL/dy
  Tn dw_conv = xg::reshape(xg::conv2d(xg::reshape(x, {2, 1, 3, 3}), g), {1, 2, 2, 2});
  // dL/dx = g spread through the filter: a "full" correlation of g (padded by kernel - 1 = 1)
  // with the filter turned by 180 degrees, its channel axes swapped: (O, C) -> (C, O).
  xt::xarray<double> turned = xt::zeros<double>({2, 1, 2, 2});
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t j = 0; j < 2; ++j) turned(c, 0, i, j) = w.value()(0, c, 1 - i, 1 - j);
  Tn dx_conv = xg::conv2d(g, Tn(turned), {.padding = 1});  // (1, 2, 3, 3)
  // snippet-end: again_conv
  CHECK(same_values(dw_conv.value(), w.grad().value()));
  CHECK(same_values(dx_conv.value(), x.grad().value()));
  std::printf("dw and dx as convolutions: equal to the tape's\n");

  // snippet-begin: double
  x.zero_grad();
  w.zero_grad();
  b.zero_grad();
  Tn y2 = xg::conv2d(x, w, b);
  auto grads = xg::grad<double>({xg::mse_loss(y2, target)}, {x}, {}, {.create_graph = true});
  Tn penalty = xg::sum(grads[0] * grads[0]);  // |dL/dx|^2, a gradient penalty
  std::printf("dL/dx was computed by '%s'\n", grads[0].op_name());
  {
    xg::BackwardTrace<double> trace({.text = &std::cout, .max_values = 8});
    penalty.backward();  // d|dL/dx|^2 / dw: the backward of a backward
  }
  // snippet-end: double
  CHECK(std::string(grads[0].op_name()) == "conv2d_backward_input");
  print_row("d penalty/dw", w.grad().value());

  {
    // snippet-begin: max_pool
    Tn img = Tn::from({1, 1, 4, 4},
                      {1, 3, 2, 2,  //
                       0, 2, 2, 1,  // the top-right window holds three 2s
                       4, 1, 0, 5,  //
                       1, 0, 6, 2},
                      true)
                 .set_name("img");
    auto [pooled, argmax] = xg::max_pool2d_with_indices(img, /*kernel=*/2);  // stride = kernel
    print_row("pooled", pooled.value());
    std::printf("argmax = (%zu, %zu, %zu, %zu)\n", argmax(0, 0, 0, 0), argmax(0, 0, 0, 1),
                argmax(0, 0, 1, 0), argmax(0, 0, 1, 1));
    {
      xg::BackwardTrace<double> trace({.text = &std::cout, .max_values = 16});
      pooled.backward(Tn::from({1, 1, 2, 2}, {1, 10, 100, 1000}));  // g from the layer above
    }
    // snippet-end: max_pool
    CHECK(same_values(pooled.value(), xt::xarray<double>{3, 2, 4, 6}));
    CHECK(argmax(0, 0, 0, 0) == 1 && argmax(0, 0, 0, 1) == 2 && argmax(0, 0, 1, 0) == 8 &&
          argmax(0, 0, 1, 1) == 14);
    xt::xarray<double> routed = xt::zeros<double>({1, 1, 4, 4});
    routed.data()[1] = 1;
    routed.data()[2] = 10;
    routed.data()[8] = 100;
    routed.data()[14] = 1000;
    CHECK(same_values(img.grad().value(), routed));
  }

  {
    // snippet-begin: batch_norm
    // One channel of M = 8 values (a batch of 2 images of 2x2 pixels), a scale and a shift.
    const std::size_t M = 8;
    Tn xb = Tn::from({2, 1, 2, 2}, {1, 2, 4, 7, 0, 3, 5, 2}, true).set_name("x");
    Tn gamma = Tn::from({1}, {2}, true).set_name("weight");
    Tn beta = Tn::from({1}, {0.5}, true).set_name("bias");
    Tn up = Tn::from({2, 1, 2, 2}, {1, 0, -1, 2, 0.5, 0, 1, -2});  // dL/dy from the layer above
    auto bn = [&](const Tn& in) {
      return xg::batch_norm(in, Tn(), Tn(), gamma, beta, /*training=*/true);  // eps = 1e-5
    };
    bn(xb).backward(up);

    // By hand: the batch's statistics, then the three terms.
    double mean = 0, var = 0;
    for (std::size_t i = 0; i < M; ++i) mean += xb.value().data()[i] / M;
    for (std::size_t i = 0; i < M; ++i) var += std::pow(xb.value().data()[i] - mean, 2) / M;
    const double rstd = 1 / std::sqrt(var + 1e-5);
    double sum_g = 0, sum_g_xhat = 0;
    for (std::size_t i = 0; i < M; ++i) {
      const double xhat = (xb.value().data()[i] - mean) * rstd;
      sum_g += up.value().data()[i];
      sum_g_xhat += up.value().data()[i] * xhat;
    }
    std::printf("mean %g, var %g, rstd %.6f, sum g %g, sum g xhat %.6f\n", mean, var, rstd, sum_g,
                sum_g_xhat);
    std::printf(" i  finite diff   3 terms      tape         constant mean/var\n");
    const double weight = gamma.value()(0);
    double worst_three = 0, worst_fd = 0, shortcut_sum = 0;
    for (std::size_t i = 0; i < M; ++i) {
      const double xhat = (xb.value().data()[i] - mean) * rstd;
      const double gi = up.value().data()[i];
      const double three = weight * rstd / M * (M * gi - sum_g - xhat * sum_g_xhat);
      const double shortcut = weight * rstd * gi;  // mean and var treated as constants
      // Central difference of L = sum(up * y) in x_i.
      const double h = 1e-6;
      Tn plus = xb.detach(), minus = xb.detach();
      plus.mutable_value().data()[i] += h;
      minus.mutable_value().data()[i] -= h;
      xg::NoGradGuard no_grad;
      const double fd = (xg::sum(up * bn(plus)).item() - xg::sum(up * bn(minus)).item()) / (2 * h);
      const double tape = xb.grad().value().data()[i];
      std::printf("%2zu  %10.6f  %10.6f  %10.6f  %10.6f\n", i, fd, three, tape, shortcut);
      worst_three = std::max(worst_three, std::abs(three - tape));
      worst_fd = std::max(worst_fd, std::abs(fd - tape));
      shortcut_sum += shortcut;
    }
    // snippet-end: batch_norm
    std::printf("largest |3 terms - tape| %.1e, |finite diff - tape| %.1e\n", worst_three,
                worst_fd);
    CHECK(worst_three < 1e-12);
    CHECK(worst_fd < 1e-6);
    double sum_dx = 0;
    for (std::size_t i = 0; i < M; ++i) sum_dx += xb.grad().value().data()[i];
    std::printf("sum over i: tape %.1e, constant mean/var %.6f\n", sum_dx, shortcut_sum);
    CHECK(std::abs(sum_dx) < 1e-12);
    // The affine part is ordinary mul and add nodes: dL/dweight = sum g xhat, dL/dbias = sum g.
    CHECK(std::abs(gamma.grad().value()(0) - sum_g_xhat) < 1e-12);
    CHECK(beta.grad().value()(0) == sum_g);
  }

  {
    // snippet-begin: picture
    namespace nn = xg::nn;
    nn::Sequential block{nn::Conv2d<double>(1, 2, 3, {.padding = 1}), nn::BatchNorm2d<double>(2),
                         nn::ReLU<double>(), nn::MaxPool2d<double>(2)};
    Tn images = Tn::full({2, 1, 4, 4}, 0.5).set_name("images");
    Tn out = xg::sum(block(images)).set_name("out");
    xg::write_dot(out, "conv_block.dot", {.max_values = 0, .title = "a conv block"});
    if (xg::graphviz_available()) xg::render_dot("conv_block.dot", "conv_block.svg");
    // snippet-end: picture
    CHECK(xg::to_dot(out).find("batch_norm") != std::string::npos);
  }
  std::printf("chapter 9: all checks passed\n");
  return 0;
}
