// One time step of a recurrent network: RNNCell (tanh or relu), LSTMCell and GRUCell with
// PyTorch's equations and gate order. A sequence is a loop of cell steps; backpropagation
// through time is the tape walking that loop back.
//
// Weights follow xgrad's Linear layout, (in, gates * hidden): weight_ih is (input_size, G H)
// and weight_hh (hidden_size, G H), G = 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n), the
// gates side by side along the columns in PyTorch's order. PyTorch's weight_ih is the
// transpose, (G H, input_size): load it with xt::transpose (docs/nn.md). The biases are the
// same (G H) vectors in both.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "xgrad/nn/module.hpp"
#include "xgrad/nn/random.hpp"

namespace xg::nn {

enum class RNNNonlinearity { tanh, relu };

/// A recurrent state: h, and for an LSTM the cell state c (undefined for RNN and GRU). Given
/// to a forward, an undefined part stands for zeros.
template <class T>
struct RecurrentState {
  RecurrentState() = default;
  /// `{h0}` or `{h0, c0}`.
  RecurrentState(Tensor<T> h_, Tensor<T> c_ = Tensor<T>()) : h(std::move(h_)), c(std::move(c_)) {}
  /// Both parts detached (Tensor::detach): the state to carry into the next chunk of a
  /// sequence for truncated backpropagation through time.
  RecurrentState detach() const {
    return {h.defined() ? h.detach() : h, c.defined() ? c.detach() : c};
  }

  Tensor<T> h;
  Tensor<T> c;
};

struct RecurrentCellOptions {
  /// bias_ih and bias_hh (PyTorch's bias=True); without them the gates are pure products.
  bool bias = true;
  /// Generator for the initial values; nullptr = default_generator().
  Generator* generator = nullptr;
};

/// What the three cells share. All parameters start U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's
/// reset_parameters), registered as weight_ih, weight_hh, bias_ih, bias_hh.
template <class T = float>
class RecurrentCellBase : public Module<T> {
 public:
  /// One step from a zero state; returns h'.
  Tensor<T> forward(const Tensor<T>& x) override;
  /// One step: x (N, input_size) or unbatched (input_size); state.h (and for LSTMCell state.c)
  /// (N, hidden_size) or (hidden_size), undefined = zeros. Returns h' (and c'). ShapeError
  /// naming the cell and the shapes for anything else; a c given to RNNCell or GRUCell too.
  RecurrentState<T> forward_with_state(const Tensor<T>& x, const RecurrentState<T>& state = {});
  /// "3, 5", then ", bias=False" and ", nonlinearity=relu" when not the defaults (PyTorch's).
  std::string extra_repr() const override;
  /// "RNNCell", "LSTMCell" or "GRUCell" (known from the base, which registers the parameters).
  std::string type_name() const override;

  /// The registered parameters themselves (assigning through them replaces the parameter).
  /// bias_ih() / bias_hh() are undefined without bias.
  Tensor<T>& weight_ih() { return this->own_parameter(0); }
  const Tensor<T>& weight_ih() const { return this->own_parameter(0); }
  Tensor<T>& weight_hh() { return this->own_parameter(1); }
  const Tensor<T>& weight_hh() const { return this->own_parameter(1); }
  Tensor<T>& bias_ih() { return has_bias_ ? this->own_parameter(2) : no_bias_; }
  const Tensor<T>& bias_ih() const { return has_bias_ ? this->own_parameter(2) : no_bias_; }
  Tensor<T>& bias_hh() { return has_bias_ ? this->own_parameter(3) : no_bias_; }
  const Tensor<T>& bias_hh() const { return has_bias_ ? this->own_parameter(3) : no_bias_; }
  std::size_t input_size() const { return in_; }
  std::size_t hidden_size() const { return hidden_; }
  bool has_bias() const { return has_bias_; }

 protected:
  enum class Kind { rnn_tanh, rnn_relu, lstm, gru };
  /// DomainError for a zero size.
  RecurrentCellBase(Kind kind, std::size_t input_size, std::size_t hidden_size,
                    RecurrentCellOptions options);
  Kind kind() const { return kind_; }

 private:
  std::string layer_str() const;
  Kind kind_;
  std::size_t in_, hidden_;
  bool has_bias_;
  Tensor<T> no_bias_;
};

/// h' = tanh(x W_ih + b_ih + h W_hh + b_hh), or relu(...) (PyTorch's nn.RNNCell).
template <class T = float>
class RNNCell : public RecurrentCellBase<T> {
 public:
  RNNCell(std::size_t input_size, std::size_t hidden_size, RecurrentCellOptions options = {},
          RNNNonlinearity nonlinearity = RNNNonlinearity::tanh);
  RNNNonlinearity nonlinearity() const {
    return this->kind() == RecurrentCellBase<T>::Kind::rnn_relu ? RNNNonlinearity::relu
                                                                : RNNNonlinearity::tanh;
  }
};

/// PyTorch's nn.LSTMCell: with the gates (i, f, g, o) = x W_ih + b_ih + h W_hh + b_hh split in
/// four along the columns, i, f, o through sigmoid and g through tanh,
/// c' = f * c + i * g and h' = o * tanh(c').
template <class T = float>
class LSTMCell : public RecurrentCellBase<T> {
 public:
  LSTMCell(std::size_t input_size, std::size_t hidden_size, RecurrentCellOptions options = {});
};

/// PyTorch's nn.GRUCell: r = sigmoid(x W_ir + b_ir + h W_hr + b_hr), z likewise,
/// n = tanh(x W_in + b_in + r * (h W_hn + b_hn)), h' = (1 - z) * n + z * h.
template <class T = float>
class GRUCell : public RecurrentCellBase<T> {
 public:
  GRUCell(std::size_t input_size, std::size_t hidden_size, RecurrentCellOptions options = {});
};

}  // namespace xg::nn
