// Convolution layers (see conv.hpp).
#include "xgrad/nn/conv.hpp"

#include <utility>
#include <vector>

#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::nn {

namespace {

/// A Python tuple as PyTorch prints one: "(3, 3)", "(3,)".
std::string tuple_str(const std::vector<std::size_t>& v) {
  std::string s = "(";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(v[i]);
  }
  return s + (v.size() == 1 ? ",)" : ")");
}

/// PyTorch's _ConvNd.extra_repr.
std::string conv_repr(std::size_t in, std::size_t out, const std::vector<std::size_t>& kernel,
                      const std::vector<std::size_t>& stride, const std::vector<std::size_t>& pad,
                      const std::vector<std::size_t>& dilation, std::size_t groups, bool bias) {
  std::string s = std::to_string(in) + ", " + std::to_string(out) +
                  ", kernel_size=" + tuple_str(kernel) + ", stride=" + tuple_str(stride);
  auto all = [](const std::vector<std::size_t>& v, std::size_t value) {
    for (auto x : v) {
      if (x != value) return false;
    }
    return true;
  };
  if (!all(pad, 0)) s += ", padding=" + tuple_str(pad);
  if (!all(dilation, 1)) s += ", dilation=" + tuple_str(dilation);
  if (groups != 1) s += ", groups=" + std::to_string(groups);
  if (!bias) s += ", bias=False";
  return s;
}

/// The constructor's checks, messages starting with the layer as printed.
void check_layer(const std::string& layer, std::size_t in, std::size_t out,
                 const std::vector<std::size_t>& kernel, const std::vector<std::size_t>& stride,
                 const std::vector<std::size_t>& dilation, std::size_t groups) {
  auto positive = [&](const std::vector<std::size_t>& v, const char* what) {
    for (auto x : v) {
      if (x == 0) throw DomainError(layer + ": " + what + " must be positive");
    }
  };
  positive({in, out}, "in_channels and out_channels");
  positive(kernel, "kernel_size");
  positive(stride, "stride");
  positive(dilation, "dilation");
  positive({groups}, "groups");
  if (in % groups != 0 || out % groups != 0) {
    throw ShapeError(layer + ": in_channels " + std::to_string(in) + " and out_channels " +
                     std::to_string(out) +
                     " must both be divisible by groups = " + std::to_string(groups));
  }
}

/// A layer's weight and bias (undefined without one), initialised as the options ask:
/// fan_in = in / groups kH kW, fan_out = out kH kW (PyTorch's fans of a convolution's weight).
template <class T, class Options>
std::pair<Tensor<T>, Tensor<T>> make_parameters(const Shape& weight_shape, std::size_t out,
                                                bool bias, const Options& options) {
  std::size_t receptive = 1;
  for (std::size_t i = 2; i < weight_shape.size(); ++i) receptive *= weight_shape[i];
  const std::size_t fan_in = weight_shape[1] * receptive, fan_out = out * receptive;
  Generator& gen = options.generator ? *options.generator : default_generator();
  Tensor<T> w = Tensor<T>::zeros(weight_shape);
  initialize(w, options.weight_init, fan_in, fan_out, gen, options.weight_value);
  Tensor<T> b;
  if (bias) {
    b = Tensor<T>::zeros({out});
    initialize(b, options.bias_init, fan_in, fan_out, gen, options.bias_value);
  }
  return {std::move(w), std::move(b)};
}

}  // namespace

template <class T>
Conv2d<T>::Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size,
                  Conv2dOptions options)
    : in_(in_channels),
      out_(out_channels),
      kernel_(kernel_size),
      conv_{options.stride, options.padding, options.dilation, options.groups},
      has_bias_(options.bias) {
  check_layer("Conv2d(" + extra_repr() + ")", in_, out_, {kernel_.h, kernel_.w},
              {conv_.stride.h, conv_.stride.w}, {conv_.dilation.h, conv_.dilation.w}, conv_.groups);
  auto [w, b] = make_parameters<T>({out_, in_ / conv_.groups, kernel_.h, kernel_.w}, out_,
                                   has_bias_, options);
  this->register_parameter("weight", std::move(w));               // own_parameter(0)
  if (has_bias_) this->register_parameter("bias", std::move(b));  // own_parameter(1)
}

template <class T>
Tensor<T> Conv2d<T>::forward(const Tensor<T>& x) {
  const std::string layer = "Conv2d(" + extra_repr() + ")";
  if (!x.defined()) throw GraphError(layer + ": the input is undefined");
  const auto& s = x.value().shape();
  const bool unbatched = s.size() == 3;
  if ((s.size() != 4 && !unbatched) || s[unbatched ? 0 : 1] != in_) {
    throw ShapeError(layer + ": input of shape " + shape_str(s) + "; expected (N, " +
                     std::to_string(in_) + ", H, W) or (" + std::to_string(in_) + ", H, W)");
  }
  if (unbatched) return squeeze(conv2d(unsqueeze(x, 0), weight(), bias(), conv_), 0);
  return conv2d(x, weight(), bias(), conv_);
}

template <class T>
std::string Conv2d<T>::extra_repr() const {
  return conv_repr(in_, out_, {kernel_.h, kernel_.w}, {conv_.stride.h, conv_.stride.w},
                   {conv_.padding.h, conv_.padding.w}, {conv_.dilation.h, conv_.dilation.w},
                   conv_.groups, has_bias_);
}

template <class T>
Conv1d<T>::Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size,
                  Conv1dOptions options)
    : in_(in_channels),
      out_(out_channels),
      kernel_(kernel_size),
      conv_{options.stride, options.padding, options.dilation, options.groups},
      has_bias_(options.bias) {
  check_layer("Conv1d(" + extra_repr() + ")", in_, out_, {kernel_}, {conv_.stride},
              {conv_.dilation}, conv_.groups);
  auto [w, b] = make_parameters<T>({out_, in_ / conv_.groups, kernel_}, out_, has_bias_, options);
  this->register_parameter("weight", std::move(w));
  if (has_bias_) this->register_parameter("bias", std::move(b));
}

template <class T>
Tensor<T> Conv1d<T>::forward(const Tensor<T>& x) {
  const std::string layer = "Conv1d(" + extra_repr() + ")";
  if (!x.defined()) throw GraphError(layer + ": the input is undefined");
  const auto& s = x.value().shape();
  const bool unbatched = s.size() == 2;
  if ((s.size() != 3 && !unbatched) || s[unbatched ? 0 : 1] != in_) {
    throw ShapeError(layer + ": input of shape " + shape_str(s) + "; expected (N, " +
                     std::to_string(in_) + ", L) or (" + std::to_string(in_) + ", L)");
  }
  if (unbatched) return squeeze(conv1d(unsqueeze(x, 0), weight(), bias(), conv_), 0);
  return conv1d(x, weight(), bias(), conv_);
}

template <class T>
std::string Conv1d<T>::extra_repr() const {
  return conv_repr(in_, out_, {kernel_}, {conv_.stride}, {conv_.padding}, {conv_.dilation},
                   conv_.groups, has_bias_);
}

#define XG_INSTANTIATE(T)   \
  template class Conv2d<T>; \
  template class Conv1d<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
