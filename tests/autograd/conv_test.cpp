// conv2d / conv1d and their adjoints: forward values and gradients against direct loops written
// here from the definition, first and second derivatives in double (gradcheck, gradgradcheck),
// float against double, the kernels' two schemes against each other, the same bits for 1 and 2
// threads, and every shape error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "conv_geometry.hpp"
#include "kernels/blas.hpp"
#include "kernels/conv.hpp"
#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using test::uniform;
using D = Tensor<double>;
using F = Tensor<float>;

/// One convolution to test: input and weight shapes, options, bias or not.
template <class Options>
struct ConvCase {
  const char* name;
  Shape x, w;
  Options options;
  bool bias = true;
};
using Case = ConvCase<Conv2dOptions>;
using Case1d = ConvCase<Conv1dOptions>;

std::vector<Case> cases_2d() {
  return {
      {"plain", {2, 3, 5, 6}, {4, 3, 3, 3}, {}},
      {"stride2", {3, 2, 7, 6}, {3, 2, 3, 3}, {.stride = 2}},
      {"padding1", {1, 2, 4, 5}, {3, 2, 3, 3}, {.padding = 1}},
      {"dilation2", {2, 2, 7, 7}, {2, 2, 3, 3}, {.dilation = 2}},
      {"groups2", {3, 4, 5, 5}, {6, 2, 3, 3}, {.groups = 2}},
      {"kernel2x3", {2, 3, 5, 6}, {2, 3, 2, 3}, {.stride = {2, 1}, .padding = {1, 0}}},
      {"mixed",
       {3, 4, 6, 7},
       {4, 2, 2, 3},
       {.stride = {1, 2}, .padding = {2, 1}, .dilation = {2, 1}, .groups = 2}},
      {"depthwise", {2, 3, 5, 6}, {3, 1, 3, 3}, {.padding = 1, .groups = 3}},
      {"depthwise_multiplier",
       {1, 2, 6, 5},
       {4, 1, 2, 3},
       {.stride = 2, .padding = {0, 1}, .groups = 2}},
      {"single_channel", {3, 1, 6, 6}, {3, 1, 3, 2}, {.dilation = {1, 2}}},
      {"pointwise", {2, 4, 3, 5}, {3, 4, 1, 1}, {}},
      {"pointwise_stride2", {1, 4, 5, 5}, {2, 2, 1, 1}, {.stride = 2, .groups = 2}},
      {"no_bias", {2, 3, 4, 4}, {2, 3, 3, 2}, {.padding = {0, 1}}, false},
      {"kernel_covers_padded_input", {1, 2, 2, 3}, {2, 2, 4, 5}, {.padding = 1}},
  };
}

/// y = conv(x, w) + b by the definition, accumulated in double.
template <class T>
xt::xarray<T> naive_forward(const xt::xarray<T>& x, const xt::xarray<T>& w, const xt::xarray<T>* b,
                            const Conv2dOptions& o) {
  const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  const std::size_t O = w.shape()[0], Cg = w.shape()[1], KH = w.shape()[2], KW = w.shape()[3];
  const std::size_t OH = test::conv_out_size(H, o.padding.h, KH, o.dilation.h, o.stride.h);
  const std::size_t OW = test::conv_out_size(W, o.padding.w, KW, o.dilation.w, o.stride.w);
  const std::size_t Og = O / o.groups;
  xt::xarray<T> y = xt::xarray<T>::from_shape({N, O, OH, OW});
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oc = 0; oc < O; ++oc)
      for (std::size_t oh = 0; oh < OH; ++oh)
        for (std::size_t ow = 0; ow < OW; ++ow) {
          double acc = b ? static_cast<double>((*b)(oc)) : 0.0;
          for (std::size_t ci = 0; ci < Cg; ++ci)
            for (std::size_t ki = 0; ki < KH; ++ki)
              for (std::size_t kj = 0; kj < KW; ++kj) {
                const long ih = long(oh * o.stride.h + ki * o.dilation.h) - long(o.padding.h);
                const long iw = long(ow * o.stride.w + kj * o.dilation.w) - long(o.padding.w);
                if (ih < 0 || iw < 0 || ih >= long(H) || iw >= long(W)) continue;
                acc += double(x(n, (oc / Og) * Cg + ci, ih, iw)) * double(w(oc, ci, ki, kj));
              }
          y(n, oc, oh, ow) = static_cast<T>(acc);
        }
  (void)C;
  return y;
}

/// dx and dw of sum(conv(x, w) * g) by the definition.
template <class T>
void naive_backward(const xt::xarray<T>& x, const xt::xarray<T>& w, const xt::xarray<T>& g,
                    const Conv2dOptions& o, xt::xarray<T>& dx, xt::xarray<T>& dw) {
  const std::size_t N = x.shape()[0], H = x.shape()[2], W = x.shape()[3];
  const std::size_t O = w.shape()[0], Cg = w.shape()[1], KH = w.shape()[2], KW = w.shape()[3];
  const std::size_t OH = g.shape()[2], OW = g.shape()[3], Og = O / o.groups;
  xt::xarray<double> ddx = xt::zeros<double>(x.shape()), ddw = xt::zeros<double>(w.shape());
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oc = 0; oc < O; ++oc)
      for (std::size_t oh = 0; oh < OH; ++oh)
        for (std::size_t ow = 0; ow < OW; ++ow)
          for (std::size_t ci = 0; ci < Cg; ++ci)
            for (std::size_t ki = 0; ki < KH; ++ki)
              for (std::size_t kj = 0; kj < KW; ++kj) {
                const long ih = long(oh * o.stride.h + ki * o.dilation.h) - long(o.padding.h);
                const long iw = long(ow * o.stride.w + kj * o.dilation.w) - long(o.padding.w);
                if (ih < 0 || iw < 0 || ih >= long(H) || iw >= long(W)) continue;
                const std::size_t c = (oc / Og) * Cg + ci;
                ddx(n, c, ih, iw) += double(g(n, oc, oh, ow)) * double(w(oc, ci, ki, kj));
                ddw(oc, ci, ki, kj) += double(g(n, oc, oh, ow)) * double(x(n, c, ih, iw));
              }
  dx = xt::cast<T>(ddx);
  dw = xt::cast<T>(ddw);
}

template <class T>
Tensor<T> bias_or_none(const Case& c, unsigned seed) {
  return c.bias ? uniform<T>({c.w[0]}, -1, 1, seed) : Tensor<T>();
}

TEST(Conv2d, ForwardMatchesTheDefinition) {
  for (const Case& c : cases_2d()) {
    SCOPED_TRACE(c.name);
    const D x = uniform<double>(c.x, -1, 1, 1), w = uniform<double>(c.w, -1, 1, 2);
    const D b = bias_or_none<double>(c, 3);
    const D y = conv2d(x, w, b, c.options);
    const xt::xarray<double> want =
        naive_forward(x.value(), w.value(), c.bias ? &b.value() : nullptr, c.options);
    test::expect_close(y.value(), want, 1e-13);
  }
}

TEST(Conv2d, HandComputedValues) {
  // 1x1x3x3 input, 2x2 kernel of ones plus a bias of 10, stride 1: the 2x2 window sums.
  const D x = D::from({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const D w = D::from({1, 1, 2, 2}, {1, 1, 1, 1});
  const D y = conv2d(x, w, D::from({1}, {10}));
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(std::vector<double>(y.value().begin(), y.value().end()),
            (std::vector<double>{22, 26, 34, 38}));
  // Cross-correlation, not convolution: the kernel is not flipped.
  const D k = D::from({1, 1, 1, 2}, {1, 0});
  const D z = conv2d(x, k, {.padding = {0, 1}});
  EXPECT_EQ(std::vector<double>(z.value().begin(), z.value().end()),
            (std::vector<double>{0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9}));
}

TEST(Conv2d, GradientsMatchTheDefinition) {
  for (const Case& c : cases_2d()) {
    SCOPED_TRACE(c.name);
    const D x = uniform<double>(c.x, -1, 1, 1), w = uniform<double>(c.w, -1, 1, 2);
    const D b = bias_or_none<double>(c, 3);
    const D y = conv2d(x, w, b, c.options);
    const D g = uniform<double>(y.shape(), -1, 1, 4, false);
    y.backward(g);
    xt::xarray<double> dx, dw;
    naive_backward(x.value(), w.value(), g.value(), c.options, dx, dw);
    test::expect_close(x.grad().value(), dx, 1e-13);
    test::expect_close(w.grad().value(), dw, 1e-13);
    if (c.bias) {
      xt::xarray<double> db = xt::sum(g.value(), {0, 2, 3});
      test::expect_close(b.grad().value(), db, 1e-13);
    }
  }
}

/// Gradcheck and gradgradcheck of conv(x, w, b) on random inputs of a case's shapes.
template <class Conv>
void expect_conv_gradchecks(const Shape& x, const Shape& w, bool bias, Conv conv) {
  std::vector<D> in = {uniform<double>(x, -1, 1, 11), uniform<double>(w, -1, 1, 12)};
  if (bias) in.push_back(uniform<double>({w[0]}, -1, 1, 13));
  Fn<double> f = [conv](const std::vector<D>& v) {
    return conv(v[0], v[1], v.size() == 3 ? v[2] : D());
  };
  EXPECT_GRADCHECK(double, f, in);
  EXPECT_GRADGRADCHECK(double, f, in);
}

/// The two backward operations directly: input(gy, w) and weight(x, gy), both inputs of each
/// differentiated, to first and second order (the rules of a third-order pass through the conv).
void expect_adjoint_gradchecks(const Shape& x, const Shape& w, const Shape& y,
                               const Fn<double>& input, const Fn<double>& weight) {
  const D g = uniform<double>(y, -1, 1, 21);
  EXPECT_GRADCHECK(double, input, {g, uniform<double>(w, -1, 1, 22)});
  EXPECT_GRADGRADCHECK(double, input, {g, uniform<double>(w, -1, 1, 22)});
  EXPECT_GRADCHECK(double, weight, {uniform<double>(x, -1, 1, 23), g});
  EXPECT_GRADGRADCHECK(double, weight, {uniform<double>(x, -1, 1, 23), g});
}

TEST(Conv2d, GradcheckAndGradgradcheck) {
  for (const Case& c : cases_2d()) {
    SCOPED_TRACE(c.name);
    const Conv2dOptions o = c.options;
    expect_conv_gradchecks(c.x, c.w, c.bias,
                           [o](const D& x, const D& w, const D& b) { return conv2d(x, w, b, o); });
  }
}

TEST(Conv2d, BatchOfOneAndThreeAgree) {
  // Each sample of a batch is convolved on its own.
  const D x = uniform<double>({3, 2, 5, 5}, -1, 1, 5), w = uniform<double>({3, 2, 3, 3});
  const D y = conv2d(x, w, {.stride = 2, .padding = 1});
  for (std::size_t n = 0; n < 3; ++n) {
    const D xn = slice_rows(x, n, n + 1);
    const D yn = conv2d(xn, w, {.stride = 2, .padding = 1});
    test::expect_close(yn.value(), slice_rows(y, n, n + 1).value(), 1e-14);
  }
}

TEST(Conv2dAdjoints, GradcheckAndGradgradcheck) {
  for (const Case& c : cases_2d()) {
    SCOPED_TRACE(c.name);
    const Conv2dOptions o = c.options;
    const Size2 in_size{c.x[2], c.x[3]}, k_size{c.w[2], c.w[3]};
    expect_adjoint_gradchecks(
        c.x, c.w, conv2d(D::zeros(c.x), D::zeros(c.w), o).shape(),
        [o, in_size](const std::vector<D>& v) {
          return conv2d_backward_input(v[0], v[1], in_size, o);
        },
        [o, k_size](const std::vector<D>& v) {
          return conv2d_backward_weight(v[0], v[1], k_size, o);
        });
  }
}

TEST(Conv2dAdjoints, AreTheGradientsOfConv2d) {
  const Conv2dOptions o{.stride = 2, .padding = {1, 0}, .dilation = {1, 2}, .groups = 2};
  const D x = uniform<double>({2, 4, 7, 8}, -1, 1, 1), w = uniform<double>({4, 2, 3, 2});
  const D y = conv2d(x, w, o);
  const D g = uniform<double>(y.shape(), -1, 1, 3, false);
  y.backward(g);
  test::expect_close(conv2d_backward_input(g, w, {7, 8}, o).value(), x.grad().value(), 0);
  test::expect_close(conv2d_backward_weight(x, g, {3, 2}, o).value(), w.grad().value(), 0);
}

TEST(Conv2dAdjoints, DoubleBackwardRecordsTheConvolutionOperations) {
  const D x = uniform<double>({1, 2, 4, 4}), w = uniform<double>({2, 2, 3, 3}, -1, 1, 8);
  const D y = conv2d(x, w, {.padding = 1});
  const auto grads = grad<double>({sum(mul(y, y))}, {x, w}, {}, {.create_graph = true});
  // d/dx and d/dw of sum(y^2) with g = 2y: the adjoints applied to a recorded g.
  EXPECT_STREQ(grads[0].op_name(), "conv2d_backward_input");
  EXPECT_STREQ(grads[1].op_name(), "conv2d_backward_weight");
  EXPECT_TRUE(grads[0].requires_grad());
}

// ---- the kernels ----

TEST(ConvKernels, FloatAgreesWithDouble) {
  for (const Case& c : cases_2d()) {
    SCOPED_TRACE(c.name);
    const D x = uniform<double>(c.x, -1, 1, 1), w = uniform<double>(c.w, -1, 1, 2);
    const D b = bias_or_none<double>(c, 3);
    const F xf(xt::xarray<float>(xt::cast<float>(x.value())), true);
    const F wf(xt::xarray<float>(xt::cast<float>(w.value())), true);
    const F bf = c.bias ? F(xt::xarray<float>(xt::cast<float>(b.value())), true) : F();
    const D y = conv2d(x, w, b, c.options);
    const F yf = conv2d(xf, wf, bf, c.options);
    test::expect_close(xt::xarray<double>(xt::cast<double>(yf.value())), y.value(), 1e-5);
    const D g = uniform<double>(y.shape(), -1, 1, 4, false);
    y.backward(g);
    yf.backward(F(xt::xarray<float>(xt::cast<float>(g.value()))));
    test::expect_close(xt::xarray<double>(xt::cast<double>(xf.grad().value())), x.grad().value(),
                       1e-5);
    test::expect_close(xt::xarray<double>(xt::cast<double>(wf.grad().value())), w.grad().value(),
                       1e-5);
  }
}

TEST(ConvKernels, DirectLoopsAgreeWithIm2colGemm) {
  // The geometries the direct loops serve (one input channel per group), through both schemes.
  for (const Case& c : cases_2d()) {
    const kernels::ConvGeometry g = test::conv_geometry(c.x, c.w, c.options);
    if (!kernels::conv_uses_direct(g)) continue;
    SCOPED_TRACE(c.name);
    const D x = uniform<double>(c.x, -1, 1, 1), w = uniform<double>(c.w, -1, 1, 2);
    const D b = uniform<double>({c.w[0]}, -1, 1, 3);
    const Shape ys{g.batch, g.out_channels, g.out_h, g.out_w};
    const D gy = uniform<double>(ys, -1, 1, 4);
    auto run = [&](bool direct) {
      std::vector<xt::xarray<double>> out = {xt::xarray<double>::from_shape(ys),
                                             xt::xarray<double>::from_shape(c.x),
                                             xt::xarray<double>::from_shape(c.w)};
      const double *xp = x.value().data(), *wp = w.value().data(), *gp = gy.value().data();
      if (direct) {
        kernels::detail_conv::direct_forward(g, xp, wp, b.value().data(), out[0].data());
        kernels::detail_conv::direct_backward_input(g, gp, wp, out[1].data());
        kernels::detail_conv::direct_backward_weight(g, xp, gp, out[2].data());
      } else {
        kernels::detail_conv::gemm_forward(g, xp, wp, b.value().data(), out[0].data());
        kernels::detail_conv::gemm_backward_input(g, gp, wp, out[1].data());
        kernels::detail_conv::gemm_backward_weight(g, xp, gp, out[2].data());
      }
      return out;
    };
    const auto direct = run(true), gemm = run(false);
    for (std::size_t i = 0; i < 3; ++i) test::expect_close(direct[i], gemm[i], 1e-13);
  }
}

TEST(ConvKernels, ChunksOfSeveralSamplesAndAPartialLastChunk) {
  // Column matrices of about 300 KB (float) and 600 KB (double) per sample: the batch of 5 is
  // split into chunks, of several samples in float.
  const Conv2dOptions o{.padding = 1};
  for (bool pointwise : {false, true}) {
    SCOPED_TRACE(pointwise ? "pointwise" : "3x3");
    const Shape xs = pointwise ? Shape{5, 72, 32, 32} : Shape{5, 8, 32, 32};
    const Shape ws = pointwise ? Shape{4, 72, 1, 1} : Shape{4, 8, 3, 3};
    const Conv2dOptions opt = pointwise ? Conv2dOptions{} : o;
    const D x = uniform<double>(xs, -1, 1, 1), w = uniform<double>(ws, -1, 1, 2);
    const D b = uniform<double>({4}, -1, 1, 3);
    const D y = conv2d(x, w, b, opt);
    test::expect_close(y.value(), naive_forward(x.value(), w.value(), &b.value(), opt), 1e-12);
    const D g = uniform<double>(y.shape(), -1, 1, 4, false);
    y.backward(g);
    xt::xarray<double> dx, dw;
    naive_backward(x.value(), w.value(), g.value(), opt, dx, dw);
    test::expect_close(x.grad().value(), dx, 1e-12);
    test::expect_close(w.grad().value(), dw, 1e-12);

    const F xf(xt::xarray<float>(xt::cast<float>(x.value())), true);
    const F wf(xt::xarray<float>(xt::cast<float>(w.value())), true);
    const F yf = conv2d(xf, wf, F(xt::xarray<float>(xt::cast<float>(b.value()))), opt);
    test::expect_close(xt::xarray<double>(xt::cast<double>(yf.value())), y.value(), 1e-5);
    yf.backward(F(xt::xarray<float>(xt::cast<float>(g.value()))));
    test::expect_close(xt::xarray<double>(xt::cast<double>(xf.grad().value())), dx, 1e-5);
    test::expect_close(xt::xarray<double>(xt::cast<double>(wf.grad().value())), dw, 1e-4);
  }
}

/// Forward, dx, dw and db of a convolution big enough for the pool, with `threads` threads in
/// xgrad's pool and `blas_threads` in OpenBLAS.
std::vector<xt::xarray<float>> run_at(int threads, int blas_threads, const Shape& xs,
                                      const Shape& ws, const Conv2dOptions& o) {
  return test::at_threads(threads, [&]() -> std::vector<xt::xarray<float>> {
    blas::set_threads(blas_threads);
    const F x = uniform<float>(xs, -1, 1, 1), w = uniform<float>(ws, -1, 1, 2);
    const F b = uniform<float>({ws[0]}, -1, 1, 3);
    const F y = conv2d(x, w, b, o);
    y.backward(uniform<float>(y.shape(), -1, 1, 4, false));
    return {y.value(), x.grad().value(), w.grad().value(), b.grad().value()};
  });
}

TEST(ConvKernels, SameBitsForOneAndTwoThreads) {
  // The pool's loops (im2col, col2im, gathers, the direct loops, oneDNN's chunks of the batch)
  // give the same bits for any thread count. OpenBLAS's products split their columns differently
  // with more threads, which moves the last bits, so where they run (the builtin im2col kernels,
  // double) the products keep one thread; with two, the results agree to rounding.
  struct Big {
    const char* name;
    Shape x, w;
    Conv2dOptions o;
  };
  const std::vector<Big> bigs = {
      {"gemm", {6, 16, 30, 30}, {24, 16, 3, 3}, {.padding = 1}},
      {"gemm_groups_stride", {4, 16, 40, 40}, {16, 8, 3, 3}, {.stride = 2, .groups = 2}},
      {"pointwise", {4, 32, 40, 40}, {16, 32, 1, 1}, {}},
      {"depthwise", {4, 32, 40, 40}, {32, 1, 3, 3}, {.padding = 1, .groups = 32}},
      {"single_channel", {16, 1, 28, 28}, {32, 1, 3, 3}, {}},
  };
  const kernels::ConvBackend before = kernels::conv_backend();
  for (auto backend : {kernels::ConvBackend::automatic, kernels::ConvBackend::builtin}) {
    kernels::set_conv_backend(backend);
    for (const Big& c : bigs) {
      SCOPED_TRACE(std::string(c.name) +
                   (backend == kernels::ConvBackend::builtin ? " (builtin)" : " (automatic)"));
      const auto one = run_at(1, 1, c.x, c.w, c.o), two = run_at(2, 1, c.x, c.w, c.o);
      const auto all_two = run_at(2, 2, c.x, c.w, c.o);
      for (std::size_t i = 0; i < one.size(); ++i) {
        ASSERT_EQ(one[i].size(), two[i].size());
        EXPECT_EQ(std::memcmp(one[i].data(), two[i].data(), one[i].size() * sizeof(float)), 0)
            << "result " << i << " differs between 1 and 2 threads";
        EXPECT_TRUE(xt::allclose(one[i], all_two[i], 1e-5, 1e-5)) << "result " << i;
      }
    }
  }
  kernels::set_conv_backend(before);
}

// ---- conv1d ----

std::vector<Case1d> cases_1d() {
  return {
      {"plain", {2, 3, 7}, {4, 3, 3}, {}},
      {"stride2_padding1", {3, 2, 8}, {3, 2, 3}, {.stride = 2, .padding = 1}},
      {"dilation2_groups2", {1, 4, 9}, {6, 2, 2}, {.dilation = 2, .groups = 2}},
      {"depthwise", {2, 3, 6}, {3, 1, 3}, {.padding = 2, .groups = 3}},
      {"no_bias", {2, 2, 5}, {2, 2, 1}, {}, false},
  };
}

TEST(Conv1d, IsConv2dWithAHeightOfOne) {
  for (const Case1d& c : cases_1d()) {
    SCOPED_TRACE(c.name);
    const D x = uniform<double>(c.x, -1, 1, 1), w = uniform<double>(c.w, -1, 1, 2);
    const D b = c.bias ? uniform<double>({c.w[0]}, -1, 1, 3) : D();
    const D y = conv1d(x, w, b, c.options);
    const Conv2dOptions o2{.stride = {1, c.options.stride},
                           .padding = {0, c.options.padding},
                           .dilation = {1, c.options.dilation},
                           .groups = c.options.groups};
    xt::xarray<double> x4 = x.value(), w4 = w.value();
    x4.reshape({c.x[0], c.x[1], 1, c.x[2]});
    w4.reshape({c.w[0], c.w[1], 1, c.w[2]});
    xt::xarray<double> want = naive_forward(x4, w4, c.bias ? &b.value() : nullptr, o2);
    want.reshape({want.shape()[0], want.shape()[1], want.shape()[3]});
    test::expect_close(y.value(), want, 1e-13);
    EXPECT_STREQ(y.op_name(), "conv1d");
  }
}

TEST(Conv1d, GradcheckAndGradgradcheck) {
  for (const Case1d& c : cases_1d()) {
    SCOPED_TRACE(c.name);
    const Conv1dOptions o = c.options;
    expect_conv_gradchecks(c.x, c.w, c.bias,
                           [o](const D& x, const D& w, const D& b) { return conv1d(x, w, b, o); });
    const std::size_t len = c.x[2], k = c.w[2];
    expect_adjoint_gradchecks(
        c.x, c.w, conv1d(D::zeros(c.x), D::zeros(c.w), o).shape(),
        [o, len](const std::vector<D>& v) { return conv1d_backward_input(v[0], v[1], len, o); },
        [o, k](const std::vector<D>& v) { return conv1d_backward_weight(v[0], v[1], k, o); });
  }
}

// ---- errors ----

TEST(ConvErrors, Conv2dShapes) {
  const D x = D::zeros({2, 4, 5, 5}), w = D::zeros({6, 2, 3, 3});
  EXPECT_THROW_WITH(conv2d(D::zeros({4, 5, 5}), w), ShapeError, "conv2d", "(4, 5, 5)",
                    "(6, 2, 3, 3)", "input must be 4-D (N, C, H, W)");
  EXPECT_THROW_WITH(conv2d(x, D::zeros({6, 2, 3})), ShapeError, "conv2d", "(6, 2, 3)",
                    "4-D (out_channels");
  EXPECT_THROW_WITH(conv2d(x, w, {.groups = 3}), ShapeError, "conv2d", "(2, 4, 5, 5)",
                    "4 channels are not divisible by groups = 3");
  EXPECT_THROW_WITH(conv2d(x, D::zeros({5, 2, 3, 3}), {.groups = 2}), ShapeError, "conv2d",
                    "5 output channels", "not divisible by groups = 2");
  EXPECT_THROW_WITH(conv2d(x, w), ShapeError, "conv2d", "(2, 4, 5, 5)", "(6, 2, 3, 3)",
                    "second axis is 2", "4 / 1 = 4");
  EXPECT_THROW_WITH(conv2d(x, w, D::zeros({5}), {.groups = 2}), ShapeError, "conv2d", "bias (5)",
                    "must have shape (6)");
  EXPECT_THROW_WITH(conv2d(x, w, D::zeros({6, 1}), {.groups = 2}), ShapeError, "bias (6, 1)");
  EXPECT_THROW_WITH(conv2d(x, D::zeros({6, 2, 0, 3}), {.groups = 2}), ShapeError, "conv2d",
                    "kernel size (0, 3)");
  EXPECT_THROW_WITH(conv2d(x, w, {.stride = {1, 0}, .groups = 2}), ShapeError, "conv2d",
                    "stride (1, 0) must be positive");
  EXPECT_THROW_WITH(conv2d(x, w, {.dilation = 0, .groups = 2}), ShapeError, "conv2d",
                    "dilation (0, 0) must be positive");
  EXPECT_THROW_WITH(conv2d(x, w, {.groups = 0}), ShapeError, "conv2d", "groups must be positive");
  EXPECT_THROW_WITH(conv2d(x, D::zeros({6, 2, 7, 3}), {.groups = 2}), ShapeError, "conv2d",
                    "padded input size (5, 5)", "dilated kernel size (7, 3)", "empty");
  EXPECT_THROW_WITH(conv2d(x, w, {.dilation = {3, 1}, .groups = 2}), ShapeError,
                    "dilated kernel size (7, 3)");
  EXPECT_THROW_WITH(conv2d(x, w, {.padding = 1, .dilation = {4, 1}, .groups = 2}), ShapeError,
                    "padded input size (7, 7)", "dilated kernel size (9, 3)");
  EXPECT_THROW_WITH(conv2d(x, w, {.dilation = ~std::size_t{0}, .groups = 2}), ShapeError, "conv2d",
                    "exceeds");
  EXPECT_THROW_WITH(conv2d(D(), w), GraphError, "conv2d", "undefined");
  EXPECT_NO_THROW(conv2d(x, w, {.groups = 2}));
}

TEST(ConvErrors, Conv1dShapes) {
  const D x = D::zeros({2, 4, 5}), w = D::zeros({6, 2, 3});
  EXPECT_THROW_WITH(conv1d(D::zeros({2, 4, 5, 5}), w), ShapeError, "conv1d", "(2, 4, 5, 5)",
                    "input must be 3-D (N, C, L)");
  EXPECT_THROW_WITH(conv1d(x, D::zeros({6, 2, 3, 3})), ShapeError, "conv1d", "3-D (out_channels");
  EXPECT_THROW_WITH(conv1d(x, w), ShapeError, "conv1d", "second axis is 2");
  EXPECT_THROW_WITH(conv1d(x, w, {.groups = 3}), ShapeError, "conv1d",
                    "not divisible by groups = 3");
  EXPECT_THROW_WITH(conv1d(x, w, D::zeros({2}), {.groups = 2}), ShapeError, "conv1d", "bias (2)");
  EXPECT_THROW_WITH(conv1d(x, w, {.stride = 0, .groups = 2}), ShapeError,
                    "stride 0 must be positive");
  EXPECT_THROW_WITH(conv1d(x, D::zeros({6, 2, 0}), {.groups = 2}), ShapeError, "kernel size 0");
  EXPECT_THROW_WITH(conv1d(x, w, {.dilation = 3, .groups = 2}), ShapeError, "padded input size 5",
                    "dilated kernel size 7");
  EXPECT_NO_THROW(conv1d(x, w, {.groups = 2}));
}

TEST(ConvErrors, Adjoints) {
  const D g = D::zeros({2, 6, 3, 3}), w = D::zeros({6, 2, 3, 3}), x = D::zeros({2, 4, 5, 5});
  EXPECT_NO_THROW(conv2d_backward_input(g, w, {5, 5}, {.groups = 2}));
  EXPECT_NO_THROW(conv2d_backward_weight(x, g, {3, 3}, {.groups = 2}));
  EXPECT_THROW_WITH(conv2d_backward_input(g, w, {6, 5}, {.groups = 2}), ShapeError,
                    "conv2d_backward_input", "grad (2, 6, 3, 3)", "input size (6, 5)",
                    "output's shape (2, 6, 4, 3)");
  EXPECT_THROW_WITH(conv2d_backward_input(D::zeros({6, 3, 3}), w, {5, 5}), ShapeError,
                    "conv2d_backward_input", "4-D (N, O, OH, OW)");
  EXPECT_THROW_WITH(conv2d_backward_input(g, w, {5, 5}, {.groups = 4}), ShapeError,
                    "conv2d_backward_input", "not divisible by groups = 4");
  EXPECT_THROW_WITH(conv2d_backward_weight(x, g, {2, 3}, {.groups = 2}), ShapeError,
                    "conv2d_backward_weight", "kernel size (2, 3)", "output's shape (2, 6, 4, 3)");
  EXPECT_THROW_WITH(conv2d_backward_weight(x, g, {3, 3}, {.groups = 3}), ShapeError,
                    "conv2d_backward_weight", "not divisible by groups = 3");
  EXPECT_THROW_WITH(conv2d_backward_weight(x, g, {3, 3}, {.stride = 0}), ShapeError,
                    "conv2d_backward_weight", "stride (0, 0)");
  EXPECT_THROW_WITH(
      conv1d_backward_input(D::zeros({2, 6, 3}), D::zeros({6, 2, 3}), 6, {.groups = 2}), ShapeError,
      "conv1d_backward_input", "input size 6", "output's shape (2, 6, 4)");
  EXPECT_THROW_WITH(
      conv1d_backward_weight(D::zeros({2, 4, 5}), D::zeros({2, 6, 3}), 2, {.groups = 2}),
      ShapeError, "conv1d_backward_weight", "kernel size 2");
}

TEST(Conv2d, EmptyBatch) {
  const D x = D::zeros({0, 2, 5, 5}, true), w = uniform<double>({3, 2, 3, 3});
  const D y = conv2d(x, w, {.padding = 1});
  EXPECT_EQ(y.shape(), (Shape{0, 3, 5, 5}));
  sum(y).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{0, 2, 5, 5}));
  for (double v : w.grad().value()) EXPECT_EQ(v, 0.0);
}

}  // namespace
}  // namespace xg
