// Kernels of the 2-D convolution (NCHW, PyTorch's cross-correlation) and of its two adjoints, on
// contiguous row-major buffers. The shapes are checked by the operations (ops/conv.cpp).
//
// x (N, C, H, W), w (O, C / groups, KH, KW), y (N, O, OH, OW). Group g reads input channels
// [g C/G, (g+1) C/G) and writes output channels [g O/G, (g+1) O/G).
//
// Float convolutions run on oneDNN (conv_dnnl.cpp) where it serves the geometry and was measured
// faster (conv_prefers_dnnl); everything else, double included, on xgrad's own two schemes, chosen
// per call by the shapes:
// - im2col + GEMM (conv_gemm.cpp): the windows of a chunk of samples are unrolled into a column
//   matrix (C KH KW) x (samples OH OW), and each group is one BLAS product with its weight block.
//   A 1x1 kernel with stride 1 and no padding uses x itself as the column matrix.
// - direct loops (conv_direct.cpp) when each group has one input channel (depth-wise, or a
//   single-channel input): the products would have an inner dimension of KH KW only.
// Large loops run on the pool (kernels/parallel.hpp) with each result written by one task in a
// fixed order, and the products on OpenBLAS's threads: the same bits for any thread count.
#pragma once

#include <cstddef>

namespace xg::kernels {

/// The sizes of one convolution.
struct ConvGeometry {
  std::size_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  std::size_t out_channels = 0, kernel_h = 0, kernel_w = 0;
  std::size_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  std::size_t groups = 1;
  std::size_t out_h = 0, out_w = 0;

  std::size_t group_in() const { return in_channels / groups; }
  std::size_t group_out() const { return out_channels / groups; }
  std::size_t in_plane() const { return in_h * in_w; }
  std::size_t out_plane() const { return out_h * out_w; }
  std::size_t kernel_plane() const { return kernel_h * kernel_w; }
  /// Rows of a group's column matrix (the inner dimension of its product).
  std::size_t group_rows() const { return group_in() * kernel_plane(); }
  /// Multiply-adds of the forward pass (each adjoint costs the same).
  double macs() const {
    return static_cast<double>(batch) * static_cast<double>(out_channels) *
           static_cast<double>(out_plane()) * static_cast<double>(group_rows());
  }
};

/// True when the direct loops serve this geometry (one input channel per group).
inline bool conv_uses_direct(const ConvGeometry& g) {
  return g.group_in() == 1;
}

/// Which kernels run the float convolutions.
enum class ConvBackend {
  automatic,  ///< oneDNN where conv_prefers_dnnl says so, xgrad's own kernels elsewhere
  builtin,    ///< xgrad's own kernels only (im2col + GEMM, direct loops)
  dnnl,       ///< oneDNN wherever it has an implementation for the geometry
};

/// The current backend: XGRAD_CONV_BACKEND (auto, builtin or dnnl) read at the first
/// convolution, automatic when unset, or the last set_conv_backend. Throws xg::DomainError for
/// another value of the variable.
ConvBackend conv_backend();
/// Sets the backend of later convolutions (tests and benchmarks compare them).
void set_conv_backend(ConvBackend backend);

/// The three kernels of a convolution.
enum class ConvKernel { forward, backward_input, backward_weight };

/// The automatic choice: true when oneDNN was measured faster than xgrad's own kernels for this
/// kernel on geometries like g (docs/performance.md).
bool conv_prefers_dnnl(const ConvGeometry& g, ConvKernel kernel);

/// y = conv(x, w) + b (b may be null: no bias). y need not be initialised.
void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* b,
                    float* y);
void conv2d_forward(const ConvGeometry& g, const double* x, const double* w, const double* b,
                    double* y);

/// dx = d<conv(x, w), gy>/dx (x-shaped), from gy (y-shaped) and w. dx need not be initialised.
void conv2d_backward_input(const ConvGeometry& g, const float* gy, const float* w, float* dx);
void conv2d_backward_input(const ConvGeometry& g, const double* gy, const double* w, double* dx);

/// dw = d<conv(x, w), gy>/dw (w-shaped), from x and gy. dw need not be initialised.
void conv2d_backward_weight(const ConvGeometry& g, const float* x, const float* gy, float* dw);
void conv2d_backward_weight(const ConvGeometry& g, const double* x, const double* gy, double* dw);

namespace detail_conv {
// The two schemes, for the dispatch above and for tests that compare them.
template <class T>
void gemm_forward(const ConvGeometry& g, const T* x, const T* w, const T* b, T* y);
template <class T>
void gemm_backward_input(const ConvGeometry& g, const T* gy, const T* w, T* dx);
template <class T>
void gemm_backward_weight(const ConvGeometry& g, const T* x, const T* gy, T* dw);
void direct_forward(const ConvGeometry& g, const float* x, const float* w, const float* b,
                    float* y);
void direct_forward(const ConvGeometry& g, const double* x, const double* w, const double* b,
                    double* y);
void direct_backward_input(const ConvGeometry& g, const float* gy, const float* w, float* dx);
void direct_backward_input(const ConvGeometry& g, const double* gy, const double* w, double* dx);
void direct_backward_weight(const ConvGeometry& g, const float* x, const float* gy, float* dw);
void direct_backward_weight(const ConvGeometry& g, const double* x, const double* gy, double* dw);
// oneDNN (conv_dnnl.cpp): each returns false, having written nothing, when oneDNN has no
// implementation for the geometry other than its slow reference one.
bool dnnl_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y);
bool dnnl_backward_input(const ConvGeometry& g, const float* gy, const float* w, float* dx);
bool dnnl_backward_weight(const ConvGeometry& g, const float* x, const float* gy, float* dw);
}  // namespace detail_conv

}  // namespace xg::kernels
