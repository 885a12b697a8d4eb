// The oneDNN convolution kernels (kernels/conv_dnnl.cpp) against xgrad's own float kernels (im2col
// + GEMM, direct loops) on geometries of every kind, forward and both adjoints; the backend
// switch; the automatic choice; the caller's OpenMP thread count.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "conv_geometry.hpp"
#include "kernels/conv.hpp"
#include "test_support.hpp"

namespace xg {
namespace {

using kernels::ConvBackend;
using kernels::ConvGeometry;
using kernels::ConvKernel;
using F = Tensor<float>;

struct DnnlCase {
  const char* name;
  Shape x, w;
  Conv2dOptions o;
};

std::vector<DnnlCase> dnnl_cases() {
  return {
      {"plain_batch1", {1, 3, 7, 6}, {4, 3, 3, 3}, {}},
      {"plain_batch3", {3, 5, 8, 9}, {6, 5, 3, 3}, {}},
      {"stride2", {3, 4, 9, 8}, {5, 4, 3, 3}, {.stride = 2}},
      {"padding1", {1, 6, 6, 7}, {4, 6, 3, 3}, {.padding = 1}},
      {"dilation2", {3, 3, 11, 10}, {4, 3, 3, 3}, {.dilation = 2}},
      {"groups2", {3, 8, 7, 7}, {6, 4, 3, 3}, {.groups = 2}},
      {"depthwise", {3, 16, 9, 9}, {16, 1, 3, 3}, {.padding = 1, .groups = 16}},
      {"depthwise_stride2", {1, 5, 8, 7}, {5, 1, 3, 3}, {.stride = 2, .padding = 1, .groups = 5}},
      {"depthwise_multiplier", {3, 4, 7, 6}, {8, 1, 3, 2}, {.padding = {0, 1}, .groups = 4}},
      {"one_channel", {3, 1, 12, 11}, {8, 1, 3, 3}, {}},
      {"kernel2x5", {3, 4, 8, 12}, {3, 4, 2, 5}, {.stride = {1, 2}, .padding = {1, 2}}},
      {"kernel5x1", {1, 3, 10, 4}, {4, 3, 5, 1}, {.padding = {2, 0}}},
      {"pointwise", {3, 16, 5, 6}, {24, 16, 1, 1}, {}},
      {"mixed",
       {3, 6, 10, 11},
       {8, 3, 3, 2},
       {.stride = {2, 1}, .padding = {1, 2}, .dilation = {2, 3}, .groups = 2}},
      // About 0.5 MB of activations a sample: chunks of 2 samples and a last one of 1, so the
      // weight gradient adds partials.
      {"chunks", {5, 64, 32, 32}, {64, 64, 3, 3}, {.padding = 1}},
  };
}

ConvGeometry dnnl_case_geometry(const DnnlCase& c) {
  return test::conv_geometry(c.x, c.w, c.o);
}

/// max |got - want| <= tol * max |want|: relative to the tensor's scale, as the rounding of sums
/// of many products of either sign is.
void expect_agree_to_scale(const std::vector<float>& got, const std::vector<float>& want,
                           double tol, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    err = std::max(err, std::abs(double(got[i]) - double(want[i])));
    scale = std::max(scale, std::abs(double(want[i])));
  }
  EXPECT_GT(scale, 0.0) << what;
  EXPECT_LE(err, tol * scale) << what << ": largest difference " << err << ", scale " << scale;
}

std::vector<float> dnnl_values(const Shape& shape, unsigned seed) {
  const F t = test::uniform<float>(shape, -1, 1, seed);
  return {t.value().data(), t.value().data() + t.value().size()};
}

TEST(ConvDnnl, AgreesWithTheBuiltinKernels) {
  namespace d = kernels::detail_conv;
  for (const DnnlCase& c : dnnl_cases()) {
    SCOPED_TRACE(c.name);
    const ConvGeometry g = dnnl_case_geometry(c);
    const std::vector<float> x = dnnl_values(c.x, 1), w = dnnl_values(c.w, 2),
                             b = dnnl_values({c.w[0]}, 3);
    const std::vector<float> gy = dnnl_values({g.batch, g.out_channels, g.out_h, g.out_w}, 4);
    const bool direct = kernels::conv_uses_direct(g);
    std::vector<float> y(gy.size()), dx(x.size()), dw(w.size());
    std::vector<float> y0(gy.size()), dx0(x.size()), dw0(w.size());
    ASSERT_TRUE(d::dnnl_forward(g, x.data(), w.data(), b.data(), y.data()));
    ASSERT_TRUE(d::dnnl_backward_input(g, gy.data(), w.data(), dx.data()));
    ASSERT_TRUE(d::dnnl_backward_weight(g, x.data(), gy.data(), dw.data()));
    if (direct) {
      d::direct_forward(g, x.data(), w.data(), b.data(), y0.data());
      d::direct_backward_input(g, gy.data(), w.data(), dx0.data());
      d::direct_backward_weight(g, x.data(), gy.data(), dw0.data());
    } else {
      d::gemm_forward(g, x.data(), w.data(), b.data(), y0.data());
      d::gemm_backward_input(g, gy.data(), w.data(), dx0.data());
      d::gemm_backward_weight(g, x.data(), gy.data(), dw0.data());
    }
    expect_agree_to_scale(y, y0, 1e-5, "y");
    expect_agree_to_scale(dx, dx0, 1e-5, "dx");
    expect_agree_to_scale(dw, dw0, 1e-5, "dw");
    // Without a bias, and a second time (the kept primitives): y - b, to rounding.
    ASSERT_TRUE(d::dnnl_forward(g, x.data(), w.data(), nullptr, y.data()));
    for (std::size_t i = 0; i < y0.size(); ++i) y0[i] -= b[(i / g.out_plane()) % g.out_channels];
    expect_agree_to_scale(y, y0, 1e-5, "y without bias");
  }
}

TEST(ConvDnnl, SameBitsRunAfterRun) {
  namespace d = kernels::detail_conv;
  const DnnlCase c{"chunks", {5, 64, 32, 32}, {64, 64, 3, 3}, {.padding = 1}};
  const ConvGeometry g = dnnl_case_geometry(c);
  const std::vector<float> x = dnnl_values(c.x, 1), gy = dnnl_values({5, 64, 32, 32}, 4);
  std::vector<float> first(64 * 64 * 9), second(first.size());
  ASSERT_TRUE(d::dnnl_backward_weight(g, x.data(), gy.data(), first.data()));
  ASSERT_TRUE(d::dnnl_backward_weight(g, x.data(), gy.data(), second.data()));
  EXPECT_EQ(first, second);
}

/// y, dx, dw and db of conv2d(x, w, b) in float with the given backend.
std::vector<xt::xarray<float>> run_with_backend(ConvBackend backend, const DnnlCase& c) {
  const ConvBackend before = kernels::conv_backend();
  kernels::set_conv_backend(backend);
  const F x = test::uniform<float>(c.x, -1, 1, 1), w = test::uniform<float>(c.w, -1, 1, 2);
  const F b = test::uniform<float>({c.w[0]}, -1, 1, 3);
  const F y = conv2d(x, w, b, c.o);
  y.backward(test::uniform<float>(y.shape(), -1, 1, 4, false));
  kernels::set_conv_backend(before);
  return {y.value(), x.grad().value(), w.grad().value(), b.grad().value()};
}

TEST(ConvDnnl, BackendSwitchGivesTheSameGradientsToRounding) {
  for (const DnnlCase& c : dnnl_cases()) {
    SCOPED_TRACE(c.name);
    const auto builtin = run_with_backend(ConvBackend::builtin, c);
    for (ConvBackend other : {ConvBackend::dnnl, ConvBackend::automatic}) {
      const auto got = run_with_backend(other, c);
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(xt::allclose(got[i], builtin[i], 1e-4, 1e-4)) << "result " << i;
      }
    }
  }
}

TEST(ConvDnnl, AutomaticChoice) {
  auto g = [](Shape x, Shape w, std::size_t groups) {
    return dnnl_case_geometry({"", x, w, {.padding = 1, .groups = groups}});
  };
  // im2col + GEMM geometries: oneDNN for all three kernels.
  for (ConvKernel k :
       {ConvKernel::forward, ConvKernel::backward_input, ConvKernel::backward_weight}) {
    EXPECT_TRUE(kernels::conv_prefers_dnnl(g({8, 16, 9, 9}, {32, 16, 3, 3}, 1), k));
    EXPECT_TRUE(kernels::conv_prefers_dnnl(g({8, 16, 9, 9}, {16, 1, 3, 3}, 16), k));   // depth-wise
    EXPECT_FALSE(kernels::conv_prefers_dnnl(g({8, 16, 9, 9}, {32, 1, 3, 3}, 16), k));  // x2
  }
  const ConvGeometry one = g({8, 1, 28, 28}, {32, 1, 3, 3}, 1);
  EXPECT_TRUE(kernels::conv_prefers_dnnl(one, ConvKernel::forward));
  EXPECT_FALSE(kernels::conv_prefers_dnnl(one, ConvKernel::backward_input));
  EXPECT_TRUE(kernels::conv_prefers_dnnl(one, ConvKernel::backward_weight));
}

TEST(ConvDnnl, LeavesTheCallersOpenMpThreadCountAlone) {
  // oneDNN runs with one OpenMP thread while xgrad calls it; the program's own setting is back
  // afterwards.
  const int before = omp_get_max_threads();
  omp_set_num_threads(3);
  const DnnlCase c{"plain", {2, 3, 6, 6}, {4, 3, 3, 3}, {.padding = 1}};
  const auto got = run_with_backend(ConvBackend::dnnl, c);
  EXPECT_EQ(omp_get_max_threads(), 3);
  omp_set_num_threads(before);
  EXPECT_EQ(got[0].size(), 2u * 4 * 6 * 6);
}

TEST(ConvDnnl, DoubleStaysOnTheBuiltinKernels) {
  // Forcing oneDNN changes nothing in double: the same bits as the builtin kernels.
  const DnnlCase c{"plain", {2, 3, 6, 6}, {4, 3, 3, 3}, {.padding = 1}};
  auto run = [&](ConvBackend backend) {
    const ConvBackend before = kernels::conv_backend();
    kernels::set_conv_backend(backend);
    const Tensor<double> x = test::uniform<double>(c.x, -1, 1, 1);
    const Tensor<double> w = test::uniform<double>(c.w, -1, 1, 2);
    const Tensor<double> y = conv2d(x, w, c.o);
    y.backward(test::uniform<double>(y.shape(), -1, 1, 4, false));
    kernels::set_conv_backend(before);
    return std::vector<xt::xarray<double>>{y.value(), x.grad().value(), w.grad().value()};
  };
  const auto a = run(ConvBackend::builtin), b = run(ConvBackend::dnnl);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "result " << i;
}

}  // namespace
}  // namespace xg
