// Sequence layers (see recurrent.hpp).
#include "xgrad/nn/recurrent.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "format.hpp"
#include "recurrent_step.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/nn/dropout.hpp"
#include "xgrad/nn/init.hpp"

namespace xg::nn {

namespace {
template <class Kind>
std::size_t gate_count(Kind kind) {
  return kind == Kind::lstm ? 4 : kind == Kind::gru ? 3 : 1;
}

std::ptrdiff_t sdim(std::size_t n) {
  return static_cast<std::ptrdiff_t>(n);
}
}  // namespace

template <class T>
RecurrentBase<T>::RecurrentBase(Kind kind, std::size_t input_size, std::size_t hidden_size,
                                RecurrentOptions options)
    : kind_(kind), in_(input_size), hidden_(hidden_size), options_(options) {
  if (in_ == 0 || hidden_ == 0 || options_.num_layers == 0) {
    throw DomainError(layer_str() + ": input_size, hidden_size and num_layers must be positive");
  }
  if (!(options_.dropout >= 0.0 && options_.dropout < 1.0)) {
    throw DomainError(layer_str() + ": dropout must satisfy 0 <= p < 1, got " +
                      detail::num_str(options_.dropout));
  }
  Generator& gen = options_.generator ? *options_.generator : default_generator();
  const std::size_t gh = gate_count(kind_) * hidden_;
  auto draw = [&](Shape shape) {  // U(-1/sqrt(H), 1/sqrt(H)): torch_uniform with fan_in = H
    Tensor<T> t = Tensor<T>::zeros(shape);
    initialize(t, Init::torch_uniform, hidden_, gh, gen);
    return t;
  };
  for (std::size_t k = 0; k < options_.num_layers; ++k) {
    const std::size_t in_k = k == 0 ? in_ : num_directions() * hidden_;
    for (std::size_t d = 0; d < num_directions(); ++d) {
      const std::string suffix = "_l" + std::to_string(k) + (d == 1 ? "_reverse" : "");
      this->register_parameter("weight_ih" + suffix, draw({in_k, gh}));
      this->register_parameter("weight_hh" + suffix, draw({hidden_, gh}));
      if (options_.bias) {
        this->register_parameter("bias_ih" + suffix, draw({gh}));
        this->register_parameter("bias_hh" + suffix, draw({gh}));
      }
    }
  }
}

template <class T>
Tensor<T>& RecurrentBase<T>::param(std::size_t layer, bool reverse, std::size_t which) {
  if (layer >= options_.num_layers || (reverse && !options_.bidirectional)) {
    throw std::out_of_range(layer_str() + ": no layer " + std::to_string(layer) +
                            (reverse ? " in the reverse direction" : ""));
  }
  if (which >= 2 && !options_.bias) return no_bias_;
  const std::size_t per = options_.bias ? 4 : 2;
  return this->own_parameter((layer * num_directions() + (reverse ? 1 : 0)) * per + which);
}

template <class T>
std::string RecurrentBase<T>::type_name() const {
  return kind_ == Kind::lstm ? "LSTM" : kind_ == Kind::gru ? "GRU" : "RNN";
}

template <class T>
std::string RecurrentBase<T>::layer_str() const {
  return type_name() + "(" + extra_repr() + ")";
}

template <class T>
std::string RecurrentBase<T>::extra_repr() const {
  std::string s = std::to_string(in_) + ", " + std::to_string(hidden_);
  if (options_.num_layers != 1) s += ", num_layers=" + std::to_string(options_.num_layers);
  if (!options_.bias) s += ", bias=False";
  if (options_.batch_first) s += ", batch_first=True";
  if (options_.dropout != 0.0) s += ", dropout=" + detail::num_str(options_.dropout);
  if (options_.bidirectional) s += ", bidirectional=True";
  if (kind_ == Kind::rnn_relu) s += ", nonlinearity=relu";
  return s;
}

template <class T>
Tensor<T> RecurrentBase<T>::forward(const Tensor<T>& x) {
  return forward_with_state(x).output;
}

template <class T>
Tensor<T> RecurrentBase<T>::initial(const Tensor<T>& s, std::size_t index,
                                    std::size_t batch) const {
  if (!s.defined()) return Tensor<T>::zeros({batch, hidden_});
  return reshape(narrow(s, 0, index, 1), {sdim(batch), sdim(hidden_)});
}

template <class T>
RecurrentOutput<T> RecurrentBase<T>::forward_with_state(const Tensor<T>& x,
                                                        const RecurrentState<T>& state) {
  if (!x.defined()) throw GraphError(layer_str() + ": the input is undefined");
  const Shape xs = x.shape();
  const bool bf = options_.batch_first;
  if ((xs.size() != 2 && xs.size() != 3) || xs.back() != in_) {
    const std::string f = std::to_string(in_);
    throw ShapeError(layer_str() + ": input of shape " + shape_str(xs) + " must be " +
                     (bf ? "(batch, seq_len, " : "(seq_len, batch, ") + f +
                     ") or unbatched (seq_len, " + f + ")");
  }
  const bool unbatched = xs.size() == 2;
  // Time-major (L, N, features) inside.
  const Tensor<T> seq = unbatched ? unsqueeze(x, 1) : bf ? permute(x, {1, 0, 2}) : x;
  const std::size_t steps = seq.shape()[0];
  const std::size_t batch = seq.shape()[1];
  if (steps == 0) {
    throw ShapeError(layer_str() + ": input of shape " + shape_str(xs) +
                     " is an empty sequence (seq_len 0)");
  }
  const std::size_t dirs = num_directions();
  const std::size_t layers = options_.num_layers;
  const Shape want =
      unbatched ? Shape{layers * dirs, hidden_} : Shape{layers * dirs, batch, hidden_};
  auto check_state = [&](const Tensor<T>& s, const char* what) {
    if (!s.defined()) return s;
    if (s.shape() != want) {
      throw ShapeError(layer_str() + ": " + what + " of shape " + shape_str(s.shape()) +
                       " does not fit the input of shape " + shape_str(xs) + "; expected " +
                       shape_str(want) + " (num_layers * num_directions, " +
                       (unbatched ? "" : "batch, ") + "hidden_size)");
    }
    return unbatched ? unsqueeze(s, 1) : s;
  };
  const Tensor<T> h0 = check_state(state.h, "h0");
  if (kind_ != Kind::lstm && state.c.defined()) {
    throw ShapeError(layer_str() + ": a cell state c0 of shape " + shape_str(state.c.shape()) +
                     " was given, but only LSTM has one");
  }
  const Tensor<T> c0 = kind_ == Kind::lstm ? check_state(state.c, "c0") : Tensor<T>();

  std::vector<Tensor<T>> h_n, c_n;
  Tensor<T> layer_in = seq;
  for (std::size_t k = 0; k < layers; ++k) {
    const std::size_t in_k = layer_in.shape()[2];
    // The input's share of the gates for every step at once: one (L N, in_k) x (in_k, G H).
    const Tensor<T> flat = reshape(layer_in, {sdim(steps * batch), sdim(in_k)});
    std::vector<Tensor<T>> per_dir;
    for (std::size_t d = 0; d < dirs; ++d) {
      const bool rev = d == 1;
      const Tensor<T> xw = linear(flat, param(k, rev, 0), param(k, rev, 2));
      const Tensor<T>& w_hh = param(k, rev, 1);
      const Tensor<T>& b_hh = param(k, rev, 3);
      Tensor<T> h = initial(h0, k * dirs + d, batch);
      Tensor<T> c = kind_ == Kind::lstm ? initial(c0, k * dirs + d, batch) : Tensor<T>();
      std::vector<Tensor<T>> outs(steps);
      for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t t = rev ? steps - 1 - s : s;
        const Tensor<T> xw_t = slice_rows(xw, t * batch, (t + 1) * batch);
        switch (kind_) {
          case Kind::lstm: {
            auto [hn, cn] = detail::lstm_step(xw_t, h, c, w_hh, b_hh, hidden_);
            h = std::move(hn);
            c = std::move(cn);
            break;
          }
          case Kind::gru:
            h = detail::gru_step(xw_t, h, w_hh, b_hh, hidden_);
            break;
          default:
            h = detail::rnn_step(xw_t, h, w_hh, b_hh, kind_ == Kind::rnn_relu);
        }
        outs[t] = h;
      }
      per_dir.push_back(stack(outs, 0));  // (L, N, H)
      h_n.push_back(h);
      if (kind_ == Kind::lstm) c_n.push_back(c);
    }
    layer_in = dirs == 2 ? concat(per_dir, 2) : per_dir[0];
    if (k + 1 < layers && options_.dropout > 0.0 && this->is_training()) {
      layer_in = Dropout<T>(options_.dropout, options_.generator).forward(layer_in);
    }
  }

  RecurrentOutput<T> out;
  out.state.h = stack(h_n, 0);  // (layers D, N, H)
  if (kind_ == Kind::lstm) out.state.c = stack(c_n, 0);
  if (unbatched) {
    out.output = squeeze(layer_in, 1);
    out.state.h = squeeze(out.state.h, 1);
    if (out.state.c.defined()) out.state.c = squeeze(out.state.c, 1);
  } else {
    out.output = bf ? permute(layer_in, {1, 0, 2}) : layer_in;
  }
  return out;
}

template <class T>
RNN<T>::RNN(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options,
            RNNNonlinearity nonlinearity)
    : RecurrentBase<T>(nonlinearity == RNNNonlinearity::relu ? RecurrentBase<T>::Kind::rnn_relu
                                                             : RecurrentBase<T>::Kind::rnn_tanh,
                       input_size, hidden_size, options) {}

template <class T>
LSTM<T>::LSTM(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options)
    : RecurrentBase<T>(RecurrentBase<T>::Kind::lstm, input_size, hidden_size, options) {}

template <class T>
GRU<T>::GRU(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options)
    : RecurrentBase<T>(RecurrentBase<T>::Kind::gru, input_size, hidden_size, options) {}

#define XG_INSTANTIATE(T)          \
  template class RecurrentBase<T>; \
  template class RNN<T>;           \
  template class LSTM<T>;          \
  template class GRU<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
