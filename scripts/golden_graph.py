#!/usr/bin/env python3
"""Golden values for xgrad's graph layers (GCNConv, GATConv), with PyTorch as the oracle.

Writes tests/fixtures/golden_graph.json, which tests/nn/graph_golden_test.cpp reads. No
torch_geometric is needed: the layers are written below with plain tensor ops (index_add,
scatter_reduce), following PyTorch Geometric's GCNConv and GATConv:

  GCNConv: H' = D^-1/2 (A + I) D^-1/2 (H W^T) + b, D the in-degree of A + I.
  GATConv: z = H W^T as (N, heads, C); e_ij = LeakyReLU(<att_src, z_j> + <att_dst, z_i>, 0.2)
           over the edges j -> i plus one self loop per node; alpha = softmax of e over each
           destination's incoming edges; out_i = sum_j alpha_ij z_j, heads concatenated or
           averaged, plus the bias.

An edge (src -> dst) sends src's features to dst. Weights are stored in PyTorch's layout
(lin.weight is (out, in)); xgrad's lin.weight is its transpose. For a 2-layer GCN and a 2-layer
GAT on a small random graph (repeated edge, a node without incoming edges), in float64: the
output, a cotangent v, and the gradients of sum(v * out) w.r.t. x and every parameter.

    python3 scripts/golden_graph.py      # Debian's python3-torch 1.13
"""

import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20240617)
torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "golden_graph.json")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def array(t):
    return {"shape": list(t.shape), "values": flat(t)}


def glorot(*shape):
    a = (6.0 / (shape[-2] + shape[-1])) ** 0.5
    return (torch.rand(shape) * 2 - 1) * a


def gcn_conv(x, src, dst, n, weight, bias):
    loop = torch.arange(n)
    s, d = torch.cat([src, loop]), torch.cat([dst, loop])
    w = torch.ones(s.numel())
    deg = torch.zeros(n).index_add(0, d, w)
    dinv = deg.pow(-0.5)
    dinv[dinv == float("inf")] = 0
    norm = dinv[s] * w * dinv[d]
    h = x @ weight.t()
    return torch.zeros(n, h.shape[1]).index_add(0, d, norm[:, None] * h[s]) + bias


def gat_conv(x, src, dst, n, weight, att_src, att_dst, bias, heads, c, concat):
    keep = src != dst  # remove_self_loops, then add_self_loops
    loop = torch.arange(n)
    s, d = torch.cat([src[keep], loop]), torch.cat([dst[keep], loop])
    z = (x @ weight.t()).view(n, heads, c)
    a_s, a_d = (z * att_src).sum(-1), (z * att_dst).sum(-1)
    e = F.leaky_relu(a_s[s] + a_d[d], 0.2)  # (E, H)
    idx = d[:, None].expand_as(e)
    m = torch.zeros(n, heads).scatter_reduce(0, idx, e.detach(), "amax", include_self=False)
    p = torch.exp(e - m[d])
    alpha = p / torch.zeros(n, heads).index_add(0, d, p)[d]
    out = torch.zeros(n, heads, c).index_add(0, d, alpha[:, :, None] * z[s])
    out = out.reshape(n, heads * c) if concat else out.mean(1)
    return out + bias


def main():
    n, f_in = 7, 5
    # Out of order, 2 -> 0 twice, node 6 without incoming edges, no self loops.
    src = [1, 2, 0, 3, 2, 4, 5, 0, 3, 6, 1, 4, 2, 5, 6]
    dst = [0, 0, 1, 1, 0, 3, 4, 2, 5, 5, 3, 2, 4, 1, 3]
    si, di = torch.tensor(src), torch.tensor(dst)
    x = torch.rand(n, f_in) * 2 - 1

    def run(params, fn):
        ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        xs = x.clone().requires_grad_(True)
        y = fn(xs, ps)
        v = torch.rand(y.shape) * 2 - 1
        grads = torch.autograd.grad((y * v).sum(), [xs] + list(ps.values()))
        return {
            "params": {k: array(t) for k, t in params.items()},
            "output": array(y),
            "v_out": flat(v),
            "x_grad": flat(grads[0]),
            "grads": {k: array(g) for k, g in zip(ps, grads[1:])},
        }

    # GCN: 5 -> 4 (relu) -> 3; biases random (PyG starts them at 0) so their use is tested.
    gcn = {
        "conv1.lin.weight": glorot(4, f_in), "conv1.bias": torch.rand(4) - 0.5,
        "conv2.lin.weight": glorot(3, 4), "conv2.bias": torch.rand(3) - 0.5,
    }
    gcn_fn = lambda xs, p: gcn_conv(
        torch.relu(gcn_conv(xs, si, di, n, p["conv1.lin.weight"], p["conv1.bias"])), si, di, n,
        p["conv2.lin.weight"], p["conv2.bias"])
    # GAT: 5 -> 2 heads x 3 concatenated (elu) -> 2 heads x 2 averaged.
    gat = {
        "conv1.att_src": glorot(1, 2, 3), "conv1.att_dst": glorot(1, 2, 3),
        "conv1.bias": torch.rand(6) - 0.5, "conv1.lin.weight": glorot(6, f_in),
        "conv2.att_src": glorot(1, 2, 2), "conv2.att_dst": glorot(1, 2, 2),
        "conv2.bias": torch.rand(2) - 0.5, "conv2.lin.weight": glorot(4, 6),
    }

    def gat_fn(xs, p):
        h = F.elu(gat_conv(xs, si, di, n, p["conv1.lin.weight"], p["conv1.att_src"],
                           p["conv1.att_dst"], p["conv1.bias"], 2, 3, True))
        return gat_conv(h, si, di, n, p["conv2.lin.weight"], p["conv2.att_src"],
                        p["conv2.att_dst"], p["conv2.bias"], 2, 2, False)

    doc = {
        "generator": "scripts/golden_graph.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "graph": {"num_nodes": n, "src": src, "dst": dst},
        "x": array(x),
        "gcn": run(gcn, gcn_fn),
        "gat": run(gat, gat_fn),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
