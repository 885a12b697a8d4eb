// The step equations the cells and the sequence layers share (not installed). Each takes xw,
// the input's share of the gates (x W_ih + b_ih, computed by the caller: a sequence layer does
// it for all time steps in one product), and is built from recorded operations only, so
// gradients of any order and through any number of steps come from the tape.
#pragma once

#include <cstddef>
#include <utility>

#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::nn::detail {

/// Gate k of `gates` (..., G H): its columns [k H, (k + 1) H).
template <class T>
Tensor<T> gate(const Tensor<T>& gates, std::size_t k, std::size_t hidden) {
  return narrow(gates, -1, k * hidden, hidden);
}

/// h' = act(xw + h W_hh + b_hh).
template <class T>
Tensor<T> rnn_step(const Tensor<T>& xw, const Tensor<T>& h, const Tensor<T>& w_hh,
                   const Tensor<T>& b_hh, bool use_relu) {
  const Tensor<T> pre = add(xw, linear(h, w_hh, b_hh));
  return use_relu ? relu(pre) : xg::tanh(pre);
}

/// (h', c') of an LSTM step, gates i, f, g, o.
template <class T>
std::pair<Tensor<T>, Tensor<T>> lstm_step(const Tensor<T>& xw, const Tensor<T>& h,
                                          const Tensor<T>& c, const Tensor<T>& w_hh,
                                          const Tensor<T>& b_hh, std::size_t hidden) {
  const Tensor<T> gates = add(xw, linear(h, w_hh, b_hh));
  const Tensor<T> i = sigmoid(gate(gates, 0, hidden));
  const Tensor<T> f = sigmoid(gate(gates, 1, hidden));
  const Tensor<T> g = xg::tanh(gate(gates, 2, hidden));
  const Tensor<T> o = sigmoid(gate(gates, 3, hidden));
  Tensor<T> c_next = add(mul(f, c), mul(i, g));
  Tensor<T> h_next = mul(o, xg::tanh(c_next));
  return {std::move(h_next), std::move(c_next)};
}

/// h' of a GRU step, gates r, z, n; b_hn stays inside r * (h W_hn + b_hn) as in PyTorch.
template <class T>
Tensor<T> gru_step(const Tensor<T>& xw, const Tensor<T>& h, const Tensor<T>& w_hh,
                   const Tensor<T>& b_hh, std::size_t hidden) {
  const Tensor<T> hw = linear(h, w_hh, b_hh);
  const Tensor<T> r = sigmoid(add(gate(xw, 0, hidden), gate(hw, 0, hidden)));
  const Tensor<T> z = sigmoid(add(gate(xw, 1, hidden), gate(hw, 1, hidden)));
  const Tensor<T> n = xg::tanh(add(gate(xw, 2, hidden), mul(r, gate(hw, 2, hidden))));
  return add(n, mul(z, sub(h, n)));  // (1 - z) n + z h
}

}  // namespace xg::nn::detail
