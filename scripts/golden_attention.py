#!/usr/bin/env python3
"""Layer-level golden values for xgrad's attention layers, with PyTorch as the oracle.

Writes tests/fixtures/golden_attention.json, which tests/nn/attention_golden_test.cpp reads (CI
needs no PyTorch: the fixture is committed). Each case builds a torch.nn.MultiheadAttention or
torch.nn.TransformerEncoderLayer in float64 (dropout 0, training mode, so PyTorch takes its
plain, differentiable path), runs it on fixed inputs with a key padding mask and a causal mask,
and records:

  - the configuration,
  - every parameter in xgrad's layout under its PyTorch name (Linear-style weights transposed:
    xgrad stores (in, out); in_proj_weight (E, 3E) = torch's (3E, E) transposed),
  - the inputs and the masks (torch's convention: true = may not attend),
  - the output (and, for MultiheadAttention, the attention weights),
  - a cotangent for each output and the gradients of sum(cotangent * output) (plus
    sum(cotangent_w * weights)) with respect to every input and every parameter, in xgrad's
    layout.

Regenerate with Debian's python3 (python3-torch 1.13):

    /usr/bin/python3 scripts/golden_attention.py

The output is the same on every run (fixed seed, float64, floats written with repr).
"""

import os

import torch

from golden_fixture import write_fixture

torch.manual_seed(20240617)
torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "golden_attention.json")

# Parameters stored transposed in xgrad ((in, out) instead of torch's (out, in)).
TRANSPOSED = ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight",
              "out_proj.weight", "linear1.weight", "linear2.weight")


def xgrad_layout(name, t):
    return t.t() if name.endswith(TRANSPOSED) else t


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def array(t):
    return {"shape": list(t.shape), "values": flat(t)}


def bools(m):
    return {"shape": list(m.shape), "values": [bool(b) for b in m.reshape(-1).tolist()]}


def randomise(module):
    # Biases and LayerNorm weights are 0 and 1 at initialisation; random values check that each
    # one lands where it should.
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-0.6, 0.6)


def causal(length):
    return torch.ones(length, length, dtype=torch.bool).triu(1)  # true above the diagonal


def padding(n, s):
    # The last key of odd batch elements is padding (never the first: with the causal mask,
    # query 0 must keep key 0).
    m = torch.zeros(n, s, dtype=torch.bool)
    m[1::2, -1] = True
    return m


def record(module, inputs, outputs, masks):
    """Gradients of sum(v * out) over the outputs, for every input and parameter."""
    cotangents = [torch.rand(o.shape) * 2 - 1 for o in outputs]
    loss = sum((c * o).sum() for c, o in zip(cotangents, outputs))
    names = [n for n, _ in module.named_parameters()]
    params = [p for _, p in module.named_parameters()]
    grads = torch.autograd.grad(loss, list(inputs.values()) + params)
    return {
        "params": {n: array(xgrad_layout(n, p)) for n, p in zip(names, params)},
        "param_names": names,
        "inputs": {k: array(v) for k, v in inputs.items()},
        "masks": masks,
        "outputs": [array(o) for o in outputs],
        "cotangents": [flat(c) for c in cotangents],
        "input_grads": {k: array(g) for k, g in zip(inputs, grads[:len(inputs)])},
        "param_grads": {n: array(xgrad_layout(n, g)) for n, g in zip(names, grads[len(inputs):])},
    }


CASES = []


def mha_case(name, e, h, n, l, s, bias=True, batch_first=False, kdim=None, vdim=None,
             average=True, self_attention=False, use_causal=True):
    m = torch.nn.MultiheadAttention(e, h, bias=bias, batch_first=batch_first, kdim=kdim, vdim=vdim)
    randomise(m)
    m.train()

    def shaped(length, feat):
        return torch.rand(n, length, feat) * 2 - 1 if batch_first else torch.rand(length, n, feat) * 2 - 1

    if self_attention:
        x = shaped(l, e).requires_grad_()
        inputs = {"x": x}
        query = key = value = x
    else:
        query = shaped(l, e).requires_grad_()
        key = shaped(s, kdim or e).requires_grad_()
        value = shaped(s, vdim or e).requires_grad_()
        inputs = {"query": query, "key": key, "value": value}
    kpm = padding(n, s)
    am = causal(l) if use_causal else None
    out, w = m(query, key, value, key_padding_mask=kpm, attn_mask=am, need_weights=True,
               average_attn_weights=average)
    masks = {"key_padding_mask": bools(kpm), "causal": use_causal}
    c = record(m, inputs, [out, w], masks)
    c.update({"name": name, "kind": "multihead_attention",
              "config": {"embed_dim": e, "num_heads": h, "bias": bias, "batch_first": batch_first,
                         "kdim": kdim or e, "vdim": vdim or e, "average_attn_weights": average}})
    CASES.append(c)


def encoder_case(name, d, h, ff, n, l, activation, norm_first, batch_first=False, eps=1e-5):
    layer = torch.nn.TransformerEncoderLayer(d, h, dim_feedforward=ff, dropout=0.0,
                                             activation=activation, layer_norm_eps=eps,
                                             batch_first=batch_first, norm_first=norm_first)
    randomise(layer)
    layer.train()
    x = (torch.rand(n, l, d) if batch_first else torch.rand(l, n, d)) * 2 - 1
    x.requires_grad_()
    kpm = padding(n, l)
    y = layer(x, src_mask=causal(l), src_key_padding_mask=kpm)
    c = record(layer, {"x": x}, [y], {"key_padding_mask": bools(kpm), "causal": True})
    c.update({"name": name, "kind": "transformer_encoder_layer",
              "config": {"d_model": d, "nhead": h, "dim_feedforward": ff, "activation": activation,
                         "layer_norm_eps": eps, "batch_first": batch_first,
                         "norm_first": norm_first}})
    CASES.append(c)


def encoder_stack_case(name, d, h, ff, n, l, num_layers):
    layer = torch.nn.TransformerEncoderLayer(d, h, dim_feedforward=ff, dropout=0.0)
    randomise(layer)
    norm = torch.nn.LayerNorm(d)
    randomise(norm)
    enc = torch.nn.TransformerEncoder(layer, num_layers, norm=norm, enable_nested_tensor=False)
    enc.train()
    x = (torch.rand(l, n, d) * 2 - 1).requires_grad_()
    kpm = padding(n, l)
    y = enc(x, mask=causal(l), src_key_padding_mask=kpm)
    c = record(enc, {"x": x}, [y], {"key_padding_mask": bools(kpm), "causal": True})
    c.update({"name": name, "kind": "transformer_encoder",
              "config": {"d_model": d, "nhead": h, "dim_feedforward": ff, "num_layers": num_layers,
                         "activation": "relu", "layer_norm_eps": 1e-5, "batch_first": False,
                         "norm_first": False}})
    CASES.append(c)


mha_case("mha_self_attention", 6, 2, 3, 4, 4, self_attention=True)
mha_case("mha_cross_batch_first_per_head", 6, 3, 2, 3, 5, batch_first=True, average=False,
         use_causal=False)
mha_case("mha_cross_l_equals_s_causal_no_bias", 4, 2, 3, 4, 4, bias=False)
mha_case("mha_kdim_vdim", 6, 2, 2, 3, 4, kdim=4, vdim=5, use_causal=False)
for act in ("relu", "gelu"):
    for nf in (False, True):
        encoder_case(f"encoder_layer_{act}_norm_first{int(nf)}", 6, 2, 10, 3, 4, act, nf)
encoder_case("encoder_layer_gelu_batch_first", 4, 2, 7, 2, 5, "gelu", True, batch_first=True,
             eps=1e-4)
encoder_stack_case("encoder_two_layers_final_norm", 4, 2, 6, 2, 4, 2)


def main():
    write_fixture(OUT, "scripts/golden_attention.py", CASES)


if __name__ == "__main__":
    main()
