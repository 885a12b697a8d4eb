// Recurrent cells (see recurrent_cell.hpp).
#include "xgrad/nn/recurrent_cell.hpp"

#include <string>

#include "format.hpp"
#include "recurrent_step.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/nn/init.hpp"

namespace xg::nn {

namespace {
template <class Kind>
std::size_t gate_count(Kind kind) {
  return kind == Kind::lstm ? 4 : kind == Kind::gru ? 3 : 1;
}
}  // namespace

template <class T>
RecurrentCellBase<T>::RecurrentCellBase(Kind kind, std::size_t input_size, std::size_t hidden_size,
                                        RecurrentCellOptions options)
    : kind_(kind), in_(input_size), hidden_(hidden_size), has_bias_(options.bias) {
  if (in_ == 0 || hidden_ == 0) {
    throw DomainError(layer_str() + ": input_size and hidden_size must be positive");
  }
  Generator& gen = options.generator ? *options.generator : default_generator();
  const std::size_t gh = gate_count(kind_) * hidden_;
  // Every parameter U(-1/sqrt(H), 1/sqrt(H)): torch_uniform with fan_in = H.
  auto draw = [&](Shape shape) {
    Tensor<T> t = Tensor<T>::zeros(shape);
    initialize(t, Init::torch_uniform, hidden_, gh, gen);
    return t;
  };
  this->register_parameter("weight_ih", draw({in_, gh}));      // own_parameter(0)
  this->register_parameter("weight_hh", draw({hidden_, gh}));  // own_parameter(1)
  if (has_bias_) {
    this->register_parameter("bias_ih", draw({gh}));  // own_parameter(2)
    this->register_parameter("bias_hh", draw({gh}));  // own_parameter(3)
  }
}

template <class T>
std::string RecurrentCellBase<T>::type_name() const {
  return kind_ == Kind::lstm ? "LSTMCell" : kind_ == Kind::gru ? "GRUCell" : "RNNCell";
}

template <class T>
std::string RecurrentCellBase<T>::layer_str() const {
  return type_name() + "(" + extra_repr() + ")";
}

template <class T>
std::string RecurrentCellBase<T>::extra_repr() const {
  std::string s = std::to_string(in_) + ", " + std::to_string(hidden_);
  if (!has_bias_) s += ", bias=False";
  if (kind_ == Kind::rnn_relu) s += ", nonlinearity=relu";
  return s;
}

template <class T>
Tensor<T> RecurrentCellBase<T>::forward(const Tensor<T>& x) {
  return forward_with_state(x).h;
}

template <class T>
RecurrentState<T> RecurrentCellBase<T>::forward_with_state(const Tensor<T>& x,
                                                           const RecurrentState<T>& state) {
  if (!x.defined()) throw GraphError(layer_str() + ": the input is undefined");
  const Shape xs = x.shape();
  if ((xs.size() != 1 && xs.size() != 2) || xs.back() != in_) {
    throw ShapeError(layer_str() + ": input of shape " + shape_str(xs) + " must be (batch, " +
                     std::to_string(in_) + ") or unbatched (" + std::to_string(in_) + ")");
  }
  Shape hs = xs;
  hs.back() = hidden_;
  auto state_part = [&](const Tensor<T>& t, const char* what) {
    if (!t.defined()) return Tensor<T>::zeros(hs);
    if (t.shape() != hs) {
      throw ShapeError(layer_str() + ": " + what + " of shape " + shape_str(t.shape()) +
                       " does not fit the input of shape " + shape_str(xs) + "; expected " +
                       shape_str(hs));
    }
    return t;
  };
  const Tensor<T> h = state_part(state.h, "h");
  if (kind_ != Kind::lstm && state.c.defined()) {
    throw ShapeError(layer_str() + ": a cell state c of shape " + shape_str(state.c.shape()) +
                     " was given, but only LSTMCell has one");
  }
  const auto& p = this->own_parameters();
  const Tensor<T>& b_ih = has_bias_ ? p[2].second : no_bias_;
  const Tensor<T>& b_hh = has_bias_ ? p[3].second : no_bias_;
  const Tensor<T> xw = linear(x, p[0].second, b_ih);
  switch (kind_) {
    case Kind::lstm: {
      auto [h_next, c_next] =
          detail::lstm_step(xw, h, state_part(state.c, "c"), p[1].second, b_hh, hidden_);
      return {std::move(h_next), std::move(c_next)};
    }
    case Kind::gru:
      return {detail::gru_step(xw, h, p[1].second, b_hh, hidden_), Tensor<T>()};
    default:
      return {detail::rnn_step(xw, h, p[1].second, b_hh, kind_ == Kind::rnn_relu), Tensor<T>()};
  }
}

template <class T>
RNNCell<T>::RNNCell(std::size_t input_size, std::size_t hidden_size, RecurrentCellOptions options,
                    RNNNonlinearity nonlinearity)
    : RecurrentCellBase<T>(nonlinearity == RNNNonlinearity::relu
                               ? RecurrentCellBase<T>::Kind::rnn_relu
                               : RecurrentCellBase<T>::Kind::rnn_tanh,
                           input_size, hidden_size, options) {}

template <class T>
LSTMCell<T>::LSTMCell(std::size_t input_size, std::size_t hidden_size, RecurrentCellOptions options)
    : RecurrentCellBase<T>(RecurrentCellBase<T>::Kind::lstm, input_size, hidden_size, options) {}

template <class T>
GRUCell<T>::GRUCell(std::size_t input_size, std::size_t hidden_size, RecurrentCellOptions options)
    : RecurrentCellBase<T>(RecurrentCellBase<T>::Kind::gru, input_size, hidden_size, options) {}

#define XG_INSTANTIATE(T)              \
  template class RecurrentCellBase<T>; \
  template class RNNCell<T>;           \
  template class LSTMCell<T>;          \
  template class GRUCell<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
