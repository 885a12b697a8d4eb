// The convolution kernels' dispatch between the direct loops and im2col + GEMM (see conv.hpp).
#include "kernels/conv.hpp"

namespace xg::kernels {

namespace {

template <class T>
void forward(const ConvGeometry& g, const T* x, const T* w, const T* b, T* y) {
  if (conv_uses_direct(g)) {
    detail_conv::direct_forward(g, x, w, b, y);
  } else {
    detail_conv::gemm_forward(g, x, w, b, y);
  }
}

template <class T>
void backward_input(const ConvGeometry& g, const T* gy, const T* w, T* dx) {
  if (conv_uses_direct(g)) {
    detail_conv::direct_backward_input(g, gy, w, dx);
  } else {
    detail_conv::gemm_backward_input(g, gy, w, dx);
  }
}

template <class T>
void backward_weight(const ConvGeometry& g, const T* x, const T* gy, T* dw) {
  if (conv_uses_direct(g)) {
    detail_conv::direct_backward_weight(g, x, gy, dw);
  } else {
    detail_conv::gemm_backward_weight(g, x, gy, dw);
  }
}

}  // namespace

void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* b,
                    float* y) {
  forward(g, x, w, b, y);
}
void conv2d_forward(const ConvGeometry& g, const double* x, const double* w, const double* b,
                    double* y) {
  forward(g, x, w, b, y);
}
void conv2d_backward_input(const ConvGeometry& g, const float* gy, const float* w, float* dx) {
  backward_input(g, gy, w, dx);
}
void conv2d_backward_input(const ConvGeometry& g, const double* gy, const double* w, double* dx) {
  backward_input(g, gy, w, dx);
}
void conv2d_backward_weight(const ConvGeometry& g, const float* x, const float* gy, float* dw) {
  backward_weight(g, x, gy, dw);
}
void conv2d_backward_weight(const ConvGeometry& g, const double* x, const double* gy, double* dw) {
  backward_weight(g, x, gy, dw);
}

}  // namespace xg::kernels
