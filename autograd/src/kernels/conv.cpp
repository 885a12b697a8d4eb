// The convolution kernels' dispatch between oneDNN, the direct loops and im2col + GEMM (see
// conv.hpp).
#include "kernels/conv.hpp"

#include <atomic>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xgrad/errors.hpp"

namespace xg::kernels {

namespace {

constexpr int kUnread = -1;
std::atomic<int> backend_state{kUnread};

ConvBackend backend_from_environment() {
  const char* value = std::getenv("XGRAD_CONV_BACKEND");
  const std::string_view v = value == nullptr ? "" : value;
  if (v.empty() || v == "auto") return ConvBackend::automatic;
  if (v == "builtin") return ConvBackend::builtin;
  if (v == "dnnl") return ConvBackend::dnnl;
  throw DomainError("XGRAD_CONV_BACKEND=" + std::string(v) +
                    ": expected auto, builtin or dnnl (or unset, the same as auto)");
}

bool use_dnnl(const ConvGeometry& g, ConvKernel kernel) {
  switch (conv_backend()) {
    case ConvBackend::builtin:
      return false;
    case ConvBackend::dnnl:
      return true;
    case ConvBackend::automatic:
      break;
  }
  return conv_prefers_dnnl(g, kernel);
}

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

ConvBackend conv_backend() {
  int state = backend_state.load(std::memory_order_relaxed);
  if (state == kUnread) {
    int unread = kUnread;
    backend_state.compare_exchange_strong(unread, static_cast<int>(backend_from_environment()),
                                          std::memory_order_relaxed);
    state = backend_state.load(std::memory_order_relaxed);
  }
  return static_cast<ConvBackend>(state);
}

void set_conv_backend(ConvBackend backend) {
  backend_state.store(static_cast<int>(backend), std::memory_order_relaxed);
}

bool conv_prefers_dnnl(const ConvGeometry& g, ConvKernel kernel) {
  // Where im2col + GEMM would run, oneDNN's blocked direct kernels are faster (figures in
  // docs/performance.md, "Convolutions on oneDNN").
  if (!conv_uses_direct(g)) return true;
  // A single input channel: oneDNN's dx is blocked by 16 channels, 15 of them padding, and
  // slower than the direct loops; its y and dw are faster.
  if (g.in_channels == 1) return kernel != ConvKernel::backward_input;
  // Depth-wise: oneDNN's depth-wise kernels beat the direct loops only without a channel
  // multiplier (with one it falls back to GEMMs, slower than the loops).
  return g.out_channels == g.groups;
}

void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* b,
                    float* y) {
  if (use_dnnl(g, ConvKernel::forward) && detail_conv::dnnl_forward(g, x, w, b, y)) return;
  forward(g, x, w, b, y);
}
void conv2d_forward(const ConvGeometry& g, const double* x, const double* w, const double* b,
                    double* y) {
  forward(g, x, w, b, y);
}
void conv2d_backward_input(const ConvGeometry& g, const float* gy, const float* w, float* dx) {
  if (use_dnnl(g, ConvKernel::backward_input) && detail_conv::dnnl_backward_input(g, gy, w, dx))
    return;
  backward_input(g, gy, w, dx);
}
void conv2d_backward_input(const ConvGeometry& g, const double* gy, const double* w, double* dx) {
  backward_input(g, gy, w, dx);
}
void conv2d_backward_weight(const ConvGeometry& g, const float* x, const float* gy, float* dw) {
  if (use_dnnl(g, ConvKernel::backward_weight) && detail_conv::dnnl_backward_weight(g, x, gy, dw))
    return;
  backward_weight(g, x, gy, dw);
}
void conv2d_backward_weight(const ConvGeometry& g, const double* x, const double* gy, double* dw) {
  backward_weight(g, x, gy, dw);
}

}  // namespace xg::kernels
