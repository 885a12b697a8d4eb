// Sequence layers: RNN, LSTM and GRU over a whole sequence, stacked and optionally
// bidirectional, as PyTorch's nn.RNN / nn.LSTM / nn.GRU. Each step is the cell's equation
// (recurrent_cell.hpp); backpropagation through time is the tape walking the loop back.
//
// Shapes (H = hidden_size, D = 2 if bidirectional else 1):
//   input   (L, N, input_size), (N, L, input_size) with batch_first, or unbatched (L, input_size)
//   output  (L, N, D H), (N, L, D H) with batch_first, or (L, D H): the last layer's h at every
//           step, the forward and reverse directions side by side
//   h0, h_n (num_layers D, N, H) (never batch first) or unbatched (num_layers D, H): entry
//           layer D + direction; c0 and c_n of an LSTM likewise
//
// Parameters, per layer k and direction (suffix "_reverse" for the reverse one), registered in
// PyTorch's order: weight_ih_l{k} (in_k, G H), weight_hh_l{k} (H, G H), bias_ih_l{k} (G H),
// bias_hh_l{k} (G H), with in_0 = input_size, in_k = D H above, G = 1 / 4 / 3 (RNN / LSTM /
// GRU, gates in PyTorch's order). The weights are the transposes of PyTorch's (xgrad's Linear
// layout, (in, out)); the biases are the same. All start U(-1/sqrt(H), 1/sqrt(H)).
#pragma once

#include <cstddef>
#include <string>

#include "xgrad/nn/module.hpp"
#include "xgrad/nn/random.hpp"
#include "xgrad/nn/recurrent_cell.hpp"

namespace xg::nn {

struct RecurrentOptions {
  std::size_t num_layers = 1;
  /// The four biases of every layer (PyTorch's bias=True).
  bool bias = true;
  /// Input and output (N, L, features) instead of (L, N, features); states are unchanged.
  bool batch_first = false;
  /// Dropout probability on the outputs of every layer but the last, in training only. [0, 1).
  double dropout = 0.0;
  bool bidirectional = false;
  /// Generator for the initial values and the dropout masks; nullptr = default_generator().
  Generator* generator = nullptr;
};

/// A sequence layer's result: the output sequence and the final states h_n (and c_n).
template <class T>
struct RecurrentOutput {
  Tensor<T> output;
  RecurrentState<T> state;
};

/// What RNN, LSTM and GRU share.
template <class T = float>
class RecurrentBase : public Module<T> {
 public:
  /// The output sequence, from zero initial states.
  Tensor<T> forward(const Tensor<T>& x) override;
  /// The output sequence and the final states, from `state` (h0, and c0 for an LSTM; an
  /// undefined part is zeros). Carrying state.detach()-ed final states into the next call is
  /// truncated backpropagation through time. ShapeError naming the layer and the shapes for an
  /// input that is not 2-D or 3-D, a feature size that is not input_size, a state of another
  /// shape than (num_layers D, N, H), or a c given to RNN / GRU; an empty sequence too.
  RecurrentOutput<T> forward_with_state(const Tensor<T>& x, const RecurrentState<T>& state = {});
  /// As PyTorch prints it: "3, 5", then num_layers, bias, batch_first, dropout and
  /// bidirectional where not the defaults (and nonlinearity=relu for a relu RNN).
  std::string extra_repr() const override;
  /// "RNN", "LSTM" or "GRU" (known from the base, which registers the parameters).
  std::string type_name() const override;

  /// The registered parameters of `layer` (reverse: its reverse direction) themselves;
  /// bias_ih / bias_hh are undefined without bias. std::out_of_range for a layer or direction
  /// that does not exist.
  Tensor<T>& weight_ih(std::size_t layer, bool reverse = false) { return param(layer, reverse, 0); }
  Tensor<T>& weight_hh(std::size_t layer, bool reverse = false) { return param(layer, reverse, 1); }
  Tensor<T>& bias_ih(std::size_t layer, bool reverse = false) { return param(layer, reverse, 2); }
  Tensor<T>& bias_hh(std::size_t layer, bool reverse = false) { return param(layer, reverse, 3); }
  std::size_t input_size() const { return in_; }
  std::size_t hidden_size() const { return hidden_; }
  std::size_t num_layers() const { return options_.num_layers; }
  std::size_t num_directions() const { return options_.bidirectional ? 2 : 1; }
  bool has_bias() const { return options_.bias; }
  bool batch_first() const { return options_.batch_first; }
  double dropout() const { return options_.dropout; }

 protected:
  enum class Kind { rnn_tanh, rnn_relu, lstm, gru };
  /// DomainError for a zero size or layer count, or dropout outside [0, 1).
  RecurrentBase(Kind kind, std::size_t input_size, std::size_t hidden_size,
                RecurrentOptions options);
  Kind kind() const { return kind_; }

 private:
  Tensor<T>& param(std::size_t layer, bool reverse, std::size_t which);
  std::string layer_str() const;
  /// Entry `index` (layer D + direction) of an initial state, as (N, H); zeros if undefined.
  Tensor<T> initial(const Tensor<T>& s, std::size_t index, std::size_t batch) const;
  Kind kind_;
  std::size_t in_, hidden_;
  RecurrentOptions options_;
  Tensor<T> no_bias_;
};

/// PyTorch's nn.RNN: h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh), or relu.
template <class T = float>
class RNN : public RecurrentBase<T> {
 public:
  RNN(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options = {},
      RNNNonlinearity nonlinearity = RNNNonlinearity::tanh);
  RNNNonlinearity nonlinearity() const {
    return this->kind() == RecurrentBase<T>::Kind::rnn_relu ? RNNNonlinearity::relu
                                                            : RNNNonlinearity::tanh;
  }
};

/// PyTorch's nn.LSTM (without proj_size): each step is LSTMCell's; the state has h and c.
template <class T = float>
class LSTM : public RecurrentBase<T> {
 public:
  LSTM(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options = {});
};

/// PyTorch's nn.GRU: each step is GRUCell's.
template <class T = float>
class GRU : public RecurrentBase<T> {
 public:
  GRU(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options = {});
};

}  // namespace xg::nn
