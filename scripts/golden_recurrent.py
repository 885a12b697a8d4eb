#!/usr/bin/env python3
"""Golden values for xgrad's recurrent layers and cells, with PyTorch as the oracle.

Writes tests/fixtures/golden_recurrent.json, which tests/nn/recurrent_golden_test.cpp reads (CI
needs no PyTorch: the fixture is committed). Each case builds a torch.nn.RNN / LSTM / GRU or
RNNCell / LSTMCell / GRUCell in float64 from a fixed seed, runs it on a fixed input (and initial
state), and differentiates the fixed loss

    sum(v_out * output) + sum(v_h * h_n) + sum(v_c * c_n)       (the c term for LSTMs only)

with respect to the input, the initial states and every parameter. For a cell, output is h'
and there is no h_n term (c_n is c'). It records, flat in row-major order:

  - the module's configuration, the input, h0 / c0 (null when the case starts from zeros),
  - every parameter as PyTorch lays it out (weight_ih_l0 is (G H, in)) with its gradient,
  - the output, h_n, c_n, the cotangents v_out, v_h, v_c,
  - the gradients of the input, h0 and c0.

xgrad stores each weight transposed, (in, G H) (its Linear layout); the C++ test loads
weight.T and compares the weights' gradients transposed back. Biases are the same in both.

Regenerate (Debian's python3-torch 1.13):

    python3 scripts/golden_recurrent.py

The output is the same on every run (fixed seeds, float64, floats written with repr).
"""

import os

import torch

from golden_fixture import write_fixture

torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "golden_recurrent.json")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def array(t):
    return None if t is None else {"shape": list(t.shape), "values": flat(t)}


CASES = []


def rand(*shape):
    return torch.rand(shape) * 2 - 1


def layer_case(name, kind, input_size, hidden_size, seq_len, batch, seed, num_layers=1,
               bias=True, batch_first=False, bidirectional=False, nonlinearity="tanh",
               with_h0=True, with_c0=True):
    """batch None: an unbatched (seq_len, input_size) input."""
    torch.manual_seed(seed)
    kw = dict(num_layers=num_layers, bias=bias, batch_first=batch_first,
              bidirectional=bidirectional)
    if kind == "RNN":
        m = torch.nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, **kw)
    else:
        m = getattr(torch.nn, kind)(input_size, hidden_size, **kw)
    dirs = 2 if bidirectional else 1
    if batch is None:
        x = rand(seq_len, input_size)
        state_shape = (num_layers * dirs, hidden_size)
    else:
        x = rand(batch, seq_len, input_size) if batch_first else rand(seq_len, batch, input_size)
        state_shape = (num_layers * dirs, batch, hidden_size)
    h0 = rand(*state_shape) if with_h0 else None
    c0 = rand(*state_shape) if kind == "LSTM" and with_c0 else None
    x.requires_grad_(True)
    for t in (h0, c0):
        if t is not None:
            t.requires_grad_(True)
    if kind == "LSTM":
        hx = None
        if h0 is not None or c0 is not None:  # torch takes both or neither: zeros stand in
            hx = (h0 if h0 is not None else torch.zeros(state_shape),
                  c0 if c0 is not None else torch.zeros(state_shape))
        out, (h_n, c_n) = m(x, hx)
    else:
        out, h_n = m(x, h0)
        c_n = None
    record(name, kind, m, dict(input_size=input_size, hidden_size=hidden_size,
                               num_layers=num_layers, bias=bias, batch_first=batch_first,
                               bidirectional=bidirectional, nonlinearity=nonlinearity),
           x, h0, c0, out, h_n, c_n)


def cell_case(name, kind, input_size, hidden_size, batch, seed, bias=True, nonlinearity="tanh",
              with_h0=True):
    torch.manual_seed(seed)
    if kind == "RNNCell":
        m = torch.nn.RNNCell(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity)
    else:
        m = getattr(torch.nn, kind)(input_size, hidden_size, bias=bias)
    x = rand(batch, input_size) if batch is not None else rand(input_size)
    state_shape = (batch, hidden_size) if batch is not None else (hidden_size,)
    h0 = rand(*state_shape) if with_h0 else None
    c0 = rand(*state_shape) if kind == "LSTMCell" and with_h0 else None
    x.requires_grad_(True)
    for t in (h0, c0):
        if t is not None:
            t.requires_grad_(True)
    if kind == "LSTMCell":
        h1, c1 = m(x, None if h0 is None else (h0, c0))
    else:
        h1, c1 = m(x, h0), None
    record(name, kind, m, dict(input_size=input_size, hidden_size=hidden_size, num_layers=1,
                               bias=bias, batch_first=False, bidirectional=False,
                               nonlinearity=nonlinearity),
           x, h0, c0, h1, None, c1)


def record(name, kind, m, config, x, h0, c0, out, h_n, c_n):
    v_out = rand(*out.shape)
    v_h = rand(*h_n.shape) if h_n is not None else None
    v_c = rand(*c_n.shape) if c_n is not None else None
    loss = (v_out * out).sum()
    if h_n is not None:
        loss = loss + (v_h * h_n).sum()
    if c_n is not None:
        loss = loss + (v_c * c_n).sum()
    params = list(m.named_parameters())
    wrt = [x] + [t for t in (h0, c0) if t is not None] + [p for _, p in params]
    grads = iter(torch.autograd.grad(loss, wrt))
    g_x = next(grads)
    g_h0 = next(grads) if h0 is not None else None
    g_c0 = next(grads) if c0 is not None else None
    CASES.append({
        "name": name,
        "kind": kind,
        **config,
        "input": array(x),
        "h0": array(h0),
        "c0": array(c0),
        "params": [{"name": n, "shape": list(p.shape), "values": flat(p), "grad": flat(next(grads))}
                   for n, p in params],
        "output": array(out),
        "h_n": array(h_n),
        "c_n": array(c_n),
        "v_out": flat(v_out),
        "v_h": None if v_h is None else flat(v_h),
        "v_c": None if v_c is None else flat(v_c),
        "grad_input": flat(g_x),
        "grad_h0": None if g_h0 is None else flat(g_h0),
        "grad_c0": None if g_c0 is None else flat(g_c0),
    })


# ---- sequence layers (odd sizes; batch 1 and 3; 2 layers; bidirectional; initial states) ----
layer_case("lstm_2layer_bidirectional_batch_first", "LSTM", 3, 4, seq_len=5, batch=3, seed=1,
           num_layers=2, batch_first=True, bidirectional=True)
layer_case("lstm_1layer_batch1_zero_state", "LSTM", 2, 3, seq_len=4, batch=1, seed=2,
           with_h0=False, with_c0=False)
layer_case("lstm_unbatched_no_bias", "LSTM", 3, 2, seq_len=3, batch=None, seed=3, bias=False)
layer_case("gru_2layer", "GRU", 4, 3, seq_len=4, batch=3, seed=4, num_layers=2)
layer_case("gru_bidirectional_batch1", "GRU", 3, 5, seq_len=3, batch=1, seed=5,
           bidirectional=True)
layer_case("rnn_tanh", "RNN", 3, 5, seq_len=6, batch=3, seed=6)
layer_case("rnn_tanh_2layer_bidirectional_no_bias", "RNN", 2, 3, seq_len=4, batch=1, seed=7,
           num_layers=2, bidirectional=True, bias=False)
layer_case("rnn_relu_2layer", "RNN", 3, 4, seq_len=5, batch=3, seed=8, num_layers=2,
           nonlinearity="relu")
layer_case("rnn_relu_batch_first", "RNN", 2, 3, seq_len=4, batch=3, seed=9, batch_first=True,
           nonlinearity="relu")

# ---- cells ----
cell_case("rnn_cell_tanh", "RNNCell", 3, 5, batch=3, seed=11)
cell_case("rnn_cell_relu", "RNNCell", 4, 3, batch=1, seed=12, nonlinearity="relu")
cell_case("rnn_cell_unbatched_zero_state", "RNNCell", 3, 2, batch=None, seed=13, with_h0=False)
cell_case("lstm_cell", "LSTMCell", 3, 5, batch=3, seed=14)
cell_case("lstm_cell_no_bias_batch1", "LSTMCell", 2, 3, batch=1, seed=15, bias=False)
cell_case("gru_cell", "GRUCell", 3, 5, batch=3, seed=16)
cell_case("gru_cell_unbatched", "GRUCell", 4, 3, batch=None, seed=17)


def main():
    write_fixture(OUT, "scripts/golden_recurrent.py", CASES)


if __name__ == "__main__":
    main()
