// Pooling layers (see pooling.hpp).
#include "xgrad/nn/pooling.hpp"

#include <string>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"

namespace xg::nn {

namespace {

/// "2" for a square size, "(3, 2)" otherwise: how PyTorch prints an int or a pair.
std::string size_str(PoolSize2 s) {
  if (s.h == s.w) return std::to_string(s.h);
  std::string out("(");  // appended piece by piece: GCC 12 warns (-Wrestrict) on "(" + string
  out += std::to_string(s.h);
  out += ", ";
  out += std::to_string(s.w);
  out += ')';
  return out;
}

}  // namespace

template <class T>
Tensor<T> MaxPool2d<T>::forward(const Tensor<T>& x) {
  return max_pool2d(x, kernel_, stride_, padding_, dilation_, ceil_mode_);
}
template <class T>
std::string MaxPool2d<T>::extra_repr() const {
  return "kernel_size=" + size_str(kernel_) + ", stride=" + size_str(stride_) +
         ", padding=" + size_str(padding_) + ", dilation=" + size_str(dilation_) +
         ", ceil_mode=" + detail::bool_str(ceil_mode_);
}

template <class T>
Tensor<T> AvgPool2d<T>::forward(const Tensor<T>& x) {
  return avg_pool2d(x, kernel_, stride_, padding_, ceil_mode_, count_include_pad_,
                    divisor_override_);
}
template <class T>
std::string AvgPool2d<T>::extra_repr() const {
  return "kernel_size=" + size_str(kernel_) + ", stride=" + size_str(stride_) +
         ", padding=" + size_str(padding_);
}

template <class T>
Tensor<T> AdaptiveAvgPool2d<T>::forward(const Tensor<T>& x) {
  return adaptive_avg_pool2d(x, output_size_);
}
template <class T>
std::string AdaptiveAvgPool2d<T>::extra_repr() const {
  return "output_size=" + size_str(output_size_);
}

template <class T>
Tensor<T> MaxPool1d<T>::forward(const Tensor<T>& x) {
  return max_pool1d(x, kernel_, stride_, padding_, dilation_, ceil_mode_);
}
template <class T>
std::string MaxPool1d<T>::extra_repr() const {
  return "kernel_size=" + std::to_string(kernel_) + ", stride=" + std::to_string(stride_) +
         ", padding=" + std::to_string(padding_) + ", dilation=" + std::to_string(dilation_) +
         ", ceil_mode=" + detail::bool_str(ceil_mode_);
}

template <class T>
Tensor<T> AvgPool1d<T>::forward(const Tensor<T>& x) {
  return avg_pool1d(x, kernel_, stride_, padding_, ceil_mode_, count_include_pad_);
}
template <class T>
std::string AvgPool1d<T>::extra_repr() const {
  return "kernel_size=(" + std::to_string(kernel_) + ",), stride=(" + std::to_string(stride_) +
         ",), padding=(" + std::to_string(padding_) + ",)";
}

#define XG_INSTANTIATE(T)              \
  template class MaxPool2d<T>;         \
  template class AvgPool2d<T>;         \
  template class AdaptiveAvgPool2d<T>; \
  template class MaxPool1d<T>;         \
  template class AvgPool1d<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
