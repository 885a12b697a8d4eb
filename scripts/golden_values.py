#!/usr/bin/env python3
"""Golden values for xgrad's operations, with PyTorch as the oracle.

Writes tests/fixtures/golden_ops.json, which tests/autograd/golden_test.cpp reads (CI needs no
PyTorch: the fixture is committed). For every case it records, in float64:

  - the op name (a key the C++ test maps to an xgrad call) and its parameters,
  - each input's shape, flat row-major values and whether it is differentiated,
  - the forward output,
  - a cotangent v_out of the output's shape and the VJP of every differentiated input
    (the gradient of sum(v_out * f(x)) with respect to it),
  - a direction u for every differentiated input and the HVP: the gradient of
    sum_i sum(vjp_i * u_i) with respect to each input, the VJPs taken with create_graph=True.

Inputs are drawn from a fixed seed and kept away from kinks and ties (relu, abs, clamp, max,
maximum, ...) and inside each op's domain (log, sqrt, div, pow, bce, ...), so the values are
deterministic and the derivatives well defined.

Regenerate (PyTorch is not a CI dependency; Debian's python3-torch 1.13 is enough):

    apt-get install -y python3-torch
    python3 scripts/golden_values.py      # Debian's python3 (/usr/bin/python3) sees the package

The output is the same on every run (fixed seed, float64, floats written with repr).

Where xgrad's convention differs from PyTorch's, the equivalent torch call is used and a comment
says so.
"""

import os

import torch

from golden_fixture import write_fixture
import torch.nn.functional as F

torch.manual_seed(20240601)
torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "golden_ops.json")


def rand(*shape, lo=-1.0, hi=1.0):
    return torch.rand(tuple(shape)) * (hi - lo) + lo


def away(*shape, lo=-2.0, hi=2.0, gap=0.1, points=(0.0,)):
    """Uniform in [lo, hi), at least `gap` away from each of `points` (kinks)."""
    x = rand(*shape, lo=lo, hi=hi)
    for p in points:
        near = (x - p).abs() < gap
        x = torch.where(near, torch.where(x >= p, x + 2 * gap, x - 2 * gap), x)
    return x


def apart(a, b, gap=0.1):
    """b moved so that it is at least `gap` away from a everywhere (no ties for max/min)."""
    near = (a - b).abs() < gap
    return torch.where(near, b + 3 * gap, b)


def flat(t):
    t = t.detach()
    if t._is_zerotensor():  # torch's "efficient zero" gradients (abs, ...) hold no storage
        t = torch.zeros(t.shape)
    return [float(v) for v in t.reshape(-1).tolist()]


def array(t):
    return {"shape": list(t.shape), "values": flat(t)}


CASES = []


def case(name, op, fn, inputs, params=None, diff=None):
    """fn(*tensors) -> output; inputs: list of tensors; diff: which inputs are differentiated."""
    params = params or {}
    if diff is None:
        diff = [True] * len(inputs)
    xs = [x.clone().detach().requires_grad_(d) for x, d in zip(inputs, diff)]
    y = fn(*xs)
    v_out = rand(*y.shape)  # shape () for a scalar output
    wrt = [x for x, d in zip(xs, diff) if d]
    vjps = torch.autograd.grad(y, wrt, grad_outputs=v_out, create_graph=True, allow_unused=True)
    vjps = [torch.zeros_like(x) if g is None else g for g, x in zip(vjps, wrt)]
    us = [rand(*x.shape) for x in wrt]
    s = sum((g * u).sum() for g, u in zip(vjps, us))
    if s.requires_grad:
        hvps = torch.autograd.grad(s, wrt, allow_unused=True)
        hvps = [torch.zeros_like(x) if h is None else h for h, x in zip(hvps, wrt)]
    else:  # the VJPs do not depend on the inputs: f is linear in each of them
        hvps = [torch.zeros_like(x) for x in wrt]
    it_vjp, it_u, it_h = iter(vjps), iter(us), iter(hvps)
    entries = []
    for x, d in zip(xs, diff):
        e = {"shape": list(x.shape), "values": flat(x), "requires_grad": d}
        if d:
            e["vjp"] = flat(next(it_vjp))
            e["u"] = flat(next(it_u))
            e["hvp"] = flat(next(it_h))
        entries.append(e)
    CASES.append({
        "name": name,
        "op": op,
        "params": params,
        "inputs": entries,
        "output": array(y),
        "v_out": flat(v_out),
    })


# ---- elementwise, tensor-tensor ----
case("add", "add", torch.add, [rand(3, 4), rand(3, 4)])
case("add_broadcast_row", "add", torch.add, [rand(3, 4), rand(4)])
case("add_broadcast_col_3d", "add", torch.add, [rand(2, 3, 4), rand(3, 1)])
case("sub", "sub", torch.sub, [rand(3, 4), rand(3, 4)])
case("sub_broadcast_col", "sub", torch.sub, [rand(3, 4), rand(3, 1)])
case("mul", "mul", torch.mul, [rand(3, 4), rand(3, 4)])
case("mul_broadcast_both", "mul", torch.mul, [rand(3, 1), rand(1, 4)])
case("div", "div", torch.div, [rand(3, 4), rand(3, 4, lo=0.5, hi=2.0)])
case("div_broadcast_row", "div", torch.div, [rand(2, 3, 4), rand(4, lo=0.5, hi=2.0)])
case("neg", "neg", torch.neg, [rand(3, 4)])

# ---- elementwise, tensor-scalar (xgrad: add(a, s), mul(a, s), rsub(s, a) = s - a,
#      div(a, s), rdiv(s, a) = s / a) ----
case("add_scalar", "add_scalar", lambda a: a + 1.75, [rand(3, 4)], {"s": 1.75})
case("mul_scalar", "mul_scalar", lambda a: a * -2.5, [rand(3, 4)], {"s": -2.5})
case("rsub_scalar", "rsub_scalar", lambda a: 0.5 - a, [rand(3, 4)], {"s": 0.5})
case("div_scalar", "div_scalar", lambda a: a / 3.0, [rand(3, 4)], {"s": 3.0})
case("rdiv_scalar", "rdiv_scalar", lambda a: 2.0 / a, [rand(3, 4, lo=0.5, hi=2.0)], {"s": 2.0})

# ---- powers and transcendental functions ----
case("pow_scalar", "pow_scalar", lambda a: torch.pow(a, 2.5), [rand(3, 4, lo=0.3, hi=2.0)],
     {"p": 2.5})
case("pow_scalar_int_negative_base", "pow_scalar", lambda a: torch.pow(a, 3.0), [rand(3, 4)],
     {"p": 3.0})
case("pow_tensor", "pow", torch.pow, [rand(3, 4, lo=0.3, hi=2.0), rand(3, 4)])
case("pow_tensor_broadcast", "pow", torch.pow, [rand(3, 4, lo=0.3, hi=2.0), rand(4)])
case("exp", "exp", torch.exp, [rand(3, 4)])
case("log", "log", torch.log, [rand(3, 4, lo=0.2, hi=3.0)])
case("sqrt", "sqrt", torch.sqrt, [rand(3, 4, lo=0.2, hi=3.0)])
case("abs", "abs", torch.abs, [away(3, 4)])

# ---- piecewise ops away from their kinks ----
case("clamp", "clamp", lambda a: torch.clamp(a, -0.5, 0.75),
     [away(3, 4, points=(-0.5, 0.75), gap=0.05)], {"lo": -0.5, "hi": 0.75})
_a = rand(3, 4)
case("maximum", "maximum", torch.maximum, [_a, apart(_a, rand(3, 4))])
_a = rand(3, 4)
case("minimum", "minimum", torch.minimum, [_a, apart(_a, rand(3, 4))])
_cond = rand(3, 4) > 0
case("where_broadcast", "where", lambda a, b: torch.where(_cond, a, b), [rand(3, 4), rand(4)],
     {"cond": {"shape": [3, 4], "values": [bool(c) for c in _cond.reshape(-1).tolist()]}})

# ---- reductions (max away from ties: continuous random values have none) ----
case("sum_all", "sum", torch.sum, [rand(3, 4)])
for ax, keep in ((0, False), (1, True), (-1, False)):
    case(f"sum_axis{ax}_keep{int(keep)}", "sum_axis",
         lambda a, ax=ax, keep=keep: torch.sum(a, ax, keepdim=keep), [rand(2, 3, 4)],
         {"axis": ax, "keepdims": keep})
case("mean_all", "mean", torch.mean, [rand(3, 4)])
for ax, keep in ((1, False), (0, True)):
    case(f"mean_axis{ax}_keep{int(keep)}", "mean_axis",
         lambda a, ax=ax, keep=keep: torch.mean(a, ax, keepdim=keep), [rand(2, 3, 4)],
         {"axis": ax, "keepdims": keep})
case("max_all", "max", torch.amax, [rand(3, 4)])  # xgrad's max: amax (ties split evenly)
for ax, keep in ((1, False), (0, True)):
    case(f"max_axis{ax}_keep{int(keep)}", "max_axis",
         lambda a, ax=ax, keep=keep: torch.amax(a, ax, keepdim=keep), [rand(3, 4)],
         {"axis": ax, "keepdims": keep})
case("logsumexp_all", "logsumexp", lambda a: torch.logsumexp(a.reshape(-1), 0), [rand(3, 4)])
for ax, keep in ((1, False), (1, True), (0, False)):
    case(f"logsumexp_axis{ax}_keep{int(keep)}", "logsumexp_axis",
         lambda a, ax=ax, keep=keep: torch.logsumexp(a, ax, keepdim=keep), [rand(3, 4) * 3],
         {"axis": ax, "keepdims": keep})

# ---- activations ----
case("sigmoid", "sigmoid", torch.sigmoid, [rand(3, 4, lo=-3, hi=3)])
case("tanh", "tanh", torch.tanh, [rand(3, 4, lo=-2, hi=2)])
case("relu", "relu", torch.relu, [away(3, 4)])
case("leaky_relu", "leaky_relu", lambda a: F.leaky_relu(a, 0.1), [away(3, 4)], {"slope": 0.1})
case("elu", "elu", lambda a: F.elu(a, 0.7), [away(3, 4)], {"alpha": 0.7})
case("softplus", "softplus", lambda a: F.softplus(a, beta=1.5, threshold=20.0),
     [rand(3, 4, lo=-3, hi=3)], {"beta": 1.5, "threshold": 20.0})
case("hardtanh", "hardtanh", lambda a: F.hardtanh(a, -0.8, 0.6),
     [away(3, 4, points=(-0.8, 0.6), gap=0.05)], {"lo": -0.8, "hi": 0.6})
for ax in (-1, 0):
    case(f"softmax_axis{ax}", "softmax", lambda a, ax=ax: torch.softmax(a, ax),
         [rand(3, 4, lo=-2, hi=2)], {"axis": ax})
    case(f"log_softmax_axis{ax}", "log_softmax", lambda a, ax=ax: torch.log_softmax(a, ax),
         [rand(3, 4, lo=-2, hi=2)], {"axis": ax})
case("softmax_3d_axis1", "softmax", lambda a: torch.softmax(a, 1), [rand(2, 3, 4)], {"axis": 1})

# ---- linear algebra ----
case("matmul_2d", "matmul", torch.matmul, [rand(3, 4), rand(4, 5)])
case("matmul_batched", "matmul", torch.matmul, [rand(2, 3, 4), rand(2, 4, 5)])
case("matmul_broadcast_2d_rhs", "matmul", torch.matmul, [rand(2, 3, 4), rand(4, 5)])
case("matmul_matrix_vector", "matmul", torch.matmul, [rand(3, 4), rand(4)])
# xgrad's MatmulOptions transpose the last two axes of an operand (a BLAS flag).
case("matmul_transpose_a", "matmul_t", lambda a, b: torch.matmul(a.transpose(-2, -1), b),
     [rand(4, 3), rand(4, 5)], {"transpose_a": True, "transpose_b": False})
case("matmul_transpose_b_batched", "matmul_t", lambda a, b: torch.matmul(a, b.transpose(-2, -1)),
     [rand(2, 3, 4), rand(2, 5, 4)], {"transpose_a": False, "transpose_b": True})
case("matmul_transpose_both", "matmul_t",
     lambda a, b: torch.matmul(a.transpose(-2, -1), b.transpose(-2, -1)),
     [rand(4, 3), rand(5, 4)], {"transpose_a": True, "transpose_b": True})
# xgrad's linear takes W as (in, out): x W + b, i.e. torch.addmm(b, x, W), not F.linear's
# (out, in) weight.
case("linear", "linear", lambda x, w, b: torch.addmm(b, x, w), [rand(3, 4), rand(4, 5), rand(5)])
case("linear_no_bias", "linear_no_bias", torch.matmul, [rand(3, 4), rand(4, 5)])
case("linear_vector_input", "linear", lambda x, w, b: x @ w + b, [rand(4), rand(4, 5), rand(5)])

# ---- shape ----
# xgrad's transpose swaps the last two axes.
case("transpose_2d", "transpose", lambda a: a.transpose(-2, -1), [rand(3, 4)])
case("transpose_3d", "transpose", lambda a: a.transpose(-2, -1), [rand(2, 3, 4)])
case("permute", "permute", lambda a: a.permute(2, 0, 1), [rand(2, 3, 4)], {"axes": [2, 0, 1]})
case("reshape", "reshape", lambda a: a.reshape(4, -1), [rand(2, 3, 4)], {"shape": [4, -1]})
# Shape ops composed with a nonlinear op, so the HVP is not zero.
case("reshape_then_mul", "reshape_mul", lambda a, b: a.reshape(3, 8) * b,
     [rand(2, 3, 4), rand(3, 8)], {"shape": [3, 8]})

# ---- losses (targets are differentiated too where xgrad and torch both define it) ----
RED = ("mean", "sum", "none")


def reduce(losses, reduction):
    return {"mean": torch.mean, "sum": torch.sum, "none": lambda x: x}[reduction](losses)


def bce_exact(p, t, reduction):
    return reduce(-(t * torch.log(p) + (1 - t) * torch.log1p(-p)), reduction)


def check_same_first_order(f, g, inputs, tol=1e-13):
    """f and g agree in value and VJP on `inputs` (f stands in for g in the fixture)."""
    xs = [x.clone().requires_grad_() for x in inputs]
    yf, yg = f(*xs), g(*xs)
    assert torch.allclose(yf, yg, rtol=tol, atol=tol)
    v = rand(*yf.shape)
    for a, b in zip(torch.autograd.grad(yf, xs, v), torch.autograd.grad(yg, xs, v)):
        assert torch.allclose(a, b, rtol=tol, atol=tol)


for r in RED:
    case(f"mse_loss_{r}", "mse_loss", lambda p, t, r=r: F.mse_loss(p, t, reduction=r),
         [rand(3, 4), rand(3, 4)], {"reduction": r})
    # bce_loss: F.binary_cross_entropy's double backward (torch 1.13, FunctionsManual.cpp
    # binary_cross_entropy_double_backward) divides by (p + 1e-12)^2 (1 - p + 1e-12)^2, which
    # moves its HVP by ~3e-11 relative for p in [0.1, 0.9], beyond the HVP tolerance. The values
    # come from the exact formula instead (the same function there: the logs are far above
    # the -100 clamp), checked against F.binary_cross_entropy to 1e-13 in forward and VJP.
    _p, _t = rand(3, 4, lo=0.1, hi=0.9), rand(3, 4, lo=0.0, hi=1.0)
    check_same_first_order(lambda p, t, r=r: bce_exact(p, t, r),
                           lambda p, t, r=r: F.binary_cross_entropy(p, t, reduction=r), [_p, _t])
    case(f"bce_loss_{r}", "bce_loss", lambda p, t, r=r: bce_exact(p, t, r), [_p, _t],
         {"reduction": r})
    case(f"bce_with_logits_{r}", "bce_with_logits",
         lambda x, t, r=r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
         [rand(3, 4, lo=-3, hi=3), rand(3, 4, lo=0.0, hi=1.0)], {"reduction": r})
    labels = [2, 0, 3, 1, 3]
    case(f"cross_entropy_{r}", "cross_entropy",
         lambda x, r=r, labels=labels: F.cross_entropy(x, torch.tensor(labels), reduction=r),
         [rand(5, 4, lo=-2, hi=2)], {"reduction": r, "labels": labels})
    case(f"nll_loss_{r}", "nll_loss",
         lambda x, r=r, labels=labels: F.nll_loss(x, torch.tensor(labels), reduction=r),
         [torch.log_softmax(rand(5, 4, lo=-2, hi=2), 1)], {"reduction": r, "labels": labels})


# ---- added with issue 15 (after every earlier case, so the earlier cases' random draws stay the
#      same) ----
case("min_all", "min", torch.amin, [rand(3, 4)])  # xgrad's min: amin (ties split evenly)
for ax, keep in ((1, False), (0, True)):
    case(f"min_axis{ax}_keep{int(keep)}", "min_axis",
         lambda a, ax=ax, keep=keep: torch.amin(a, ax, keepdim=keep), [rand(3, 4)],
         {"axis": ax, "keepdims": keep})
for unbiased in (True, False):
    case(f"var_all_unbiased{int(unbiased)}", "var", lambda a, u=unbiased: torch.var(a, unbiased=u),
         [rand(3, 4)], {"unbiased": unbiased})
    case(f"stddev_all_unbiased{int(unbiased)}", "stddev",
         lambda a, u=unbiased: torch.std(a, unbiased=u), [rand(3, 4)], {"unbiased": unbiased})
for ax, unbiased, keep in ((1, True, False), (0, False, True), (-1, True, True)):
    name = f"axis{ax}_unbiased{int(unbiased)}_keep{int(keep)}"
    params = {"axis": ax, "unbiased": unbiased, "keepdims": keep}
    case(f"var_{name}", "var_axis",
         lambda a, ax=ax, u=unbiased, k=keep: torch.var(a, ax, unbiased=u, keepdim=k),
         [rand(2, 3, 4)], params)
    case(f"stddev_{name}", "stddev_axis",
         lambda a, ax=ax, u=unbiased, k=keep: torch.std(a, ax, unbiased=u, keepdim=k),
         [rand(2, 3, 4)], params)
for ax in (0, 1, -1):
    # Multiplied by itself: cumsum is linear, so only then is its HVP not zero.
    case(f"cumsum_axis{ax}_squared", "cumsum_squared",
         lambda a, ax=ax: torch.cumsum(a, ax) * torch.cumsum(a, ax), [rand(2, 3, 4)], {"axis": ax})
case("gelu", "gelu", F.gelu, [rand(3, 4, lo=-3, hi=3)], {"approximate": "none"})
case("gelu_tanh", "gelu", lambda a: F.gelu(a, approximate="tanh"), [rand(3, 4, lo=-3, hi=3)],
     {"approximate": "tanh"})
case("silu", "silu", F.silu, [rand(3, 4, lo=-4, hi=4)])


def index_param(t):
    return {"shape": list(t.shape), "values": [int(v) for v in t.reshape(-1).tolist()]}


# Gather and scatter along each axis; their index tensors are drawn from a generator of their own
# so that they do not move the inputs' draws. Squared (times an input) for a non-zero HVP.
_ig = torch.Generator().manual_seed(15)
for ax, src_shape, idx_shape in ((0, (3, 4), (2, 4)), (1, (3, 4), (3, 5)), (-1, (2, 3, 4), (2, 2, 3))):
    _idx = torch.randint(0, src_shape[ax], idx_shape, generator=_ig)
    case(f"gather_axis{ax}_squared", "gather_axis_squared",
         lambda a, ax=ax, i=_idx: torch.gather(a, ax, i) ** 2, [rand(*src_shape)],
         {"axis": ax, "index": index_param(_idx)})
# src of index's shape: torch 1.13's scatter_add backward returns a gradient of index's shape for
# src, which it then rejects when src is bigger (xgrad pads it with zeros).
for ax, self_shape, idx_shape in ((0, (3, 4), (4, 4)), (1, (2, 3), (2, 4)), (-1, (2, 2, 3), (2, 1, 4))):
    _idx = torch.randint(0, self_shape[ax], idx_shape, generator=_ig)
    case(f"scatter_add_axis{ax}_times_self", "scatter_add_times_self",
         lambda s, src, ax=ax, i=_idx: torch.scatter_add(s, ax, i, src) * s,
         [rand(*self_shape), rand(*idx_shape)], {"axis": ax, "index": index_param(_idx)})
for ax, shape, indices in ((0, (3, 4), [2, 0, 2]), (1, (2, 3, 2), [1, 1, 0, 2])):
    case(f"index_select_axis{ax}_squared", "index_select_axis_squared",
         lambda a, ax=ax, i=indices: torch.index_select(a, ax, torch.tensor(i)) ** 2, [rand(*shape)],
         {"axis": ax, "indices": indices})
    src_shape = list(shape)
    src_shape[ax] = len(indices)
    case(f"index_add_axis{ax}_times_self", "index_add_times_self",
         lambda s, src, ax=ax, i=indices: torch.index_add(s, ax, torch.tensor(i), src) * s,
         [rand(*shape), rand(*src_shape)], {"axis": ax, "indices": indices})
_cond = rand(3, 1) > 0
case("where_broadcast_cond", "where", lambda a, b: torch.where(_cond, a, b), [rand(1, 4), rand()],
     {"cond": {"shape": [3, 1], "values": [bool(c) for c in _cond.reshape(-1).tolist()]}})


# ---- added with issue 16: pooling, pad and flatten (after every earlier case, so the earlier
#      cases' random draws stay the same). The pools are piecewise linear, so each op also has a
#      case squared (params "squared"), whose HVP is not zero. Max-pool inputs are continuous
#      random values: no ties. ----
def pooling_cases():
    def sq(f, squared):
        return (lambda *a: f(*a) ** 2) if squared else f

    max2d = (  # shape, kernel, stride, padding, dilation, ceil_mode
        ((3, 2, 7, 6), (3, 2), (2, 1), (1, 0), (1, 1), False),
        ((1, 3, 9, 8), (3, 3), (2, 2), (1, 1), (2, 2), True),
        ((2, 1, 5, 7), (2, 2), (2, 2), (0, 0), (1, 1), True),
        ((1, 2, 8, 9), (2, 3), (3, 2), (1, 1), (2, 1), False),
    )
    for i, (shape, k, st, p, d, c) in enumerate(max2d):
        for squared in (False, True) if i == 0 else (False,):
            case(f"max_pool2d_{i}{'_squared' if squared else ''}", "max_pool2d",
                 sq(lambda a, k=k, st=st, p=p, d=d, c=c: F.max_pool2d(a, k, st, p, d, c), squared),
                 [rand(*shape)],
                 {"kernel": list(k), "stride": list(st), "padding": list(p), "dilation": list(d),
                  "ceil_mode": c, "squared": squared})
    avg2d = (  # shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
        ((2, 2, 7, 6), (3, 3), (2, 2), (1, 1), False, True, None),
        ((1, 3, 8, 7), (3, 3), (2, 2), (1, 1), True, False, None),
        ((3, 1, 5, 6), (2, 3), (2, 2), (1, 1), True, True, None),
        ((1, 2, 6, 5), (3, 2), (1, 1), (1, 1), False, False, 5),
        ((2, 1, 7, 7), (2, 2), (3, 2), (1, 0), True, False, None),
    )
    for i, (shape, k, st, p, c, inc, div) in enumerate(avg2d):
        for squared in (False, True) if i == 1 else (False,):
            case(f"avg_pool2d_{i}{'_squared' if squared else ''}", "avg_pool2d",
                 sq(lambda a, k=k, st=st, p=p, c=c, inc=inc, div=div:
                    F.avg_pool2d(a, k, st, p, c, inc, div), squared),
                 [rand(*shape)],
                 {"kernel": list(k), "stride": list(st), "padding": list(p), "ceil_mode": c,
                  "count_include_pad": inc, "divisor_override": div, "squared": squared})
    adaptive = (((2, 2, 7, 9), (3, 4)), ((1, 3, 5, 5), (3, 2)), ((2, 1, 5, 7), (7, 3)),
                ((1, 2, 6, 4), (1, 1)))
    for i, (shape, out) in enumerate(adaptive):
        for squared in (False, True) if i == 0 else (False,):
            case(f"adaptive_avg_pool2d_{i}{'_squared' if squared else ''}", "adaptive_avg_pool2d",
                 sq(lambda a, out=out: F.adaptive_avg_pool2d(a, out), squared), [rand(*shape)],
                 {"output_size": list(out), "squared": squared})
    max1d = (((2, 3, 11), 3, 2, 1, 2, True), ((1, 2, 9), 4, None, 2, 1, False))
    for i, (shape, k, st, p, d, c) in enumerate(max1d):
        for squared in (False, True) if i == 0 else (False,):
            case(f"max_pool1d_{i}{'_squared' if squared else ''}", "max_pool1d",
                 sq(lambda a, k=k, st=st, p=p, d=d, c=c: F.max_pool1d(a, k, st, p, d, c), squared),
                 [rand(*shape)],
                 {"kernel": k, "stride": st, "padding": p, "dilation": d, "ceil_mode": c,
                  "squared": squared})
    avg1d = (((2, 3, 11), 3, 2, 1, True, False), ((1, 2, 10), 4, 3, 2, False, True))
    for i, (shape, k, st, p, c, inc) in enumerate(avg1d):
        for squared in (False, True) if i == 0 else (False,):
            case(f"avg_pool1d_{i}{'_squared' if squared else ''}", "avg_pool1d",
                 sq(lambda a, k=k, st=st, p=p, c=c, inc=inc: F.avg_pool1d(a, k, st, p, c, inc),
                    squared),
                 [rand(*shape)],
                 {"kernel": k, "stride": st, "padding": p, "ceil_mode": c,
                  "count_include_pad": inc, "squared": squared})
    pads = (((2, 3, 4), (1, 2), 0.5), ((2, 3, 4), (2, -1, 0, 3), -1.0),
            ((2, 3, 4, 5), (1, 1, 2, 0, 0, 1), 0.0), ((2, 3, 4, 5), (-1, -1, -1, 0), 0.0))
    for i, (shape, pd, v) in enumerate(pads):
        for squared in (False, True) if i == 1 else (False,):
            case(f"pad_{i}{'_squared' if squared else ''}", "pad",
                 sq(lambda a, pd=pd, v=v: F.pad(a, pd, "constant", v), squared), [rand(*shape)],
                 {"pads": list(pd), "value": v, "squared": squared})
    case("flatten_1_2_squared", "flatten", lambda a: torch.flatten(a, 1, 2) ** 2,
         [rand(2, 3, 4, 5)], {"start": 1, "end": 2, "squared": True})


pooling_cases()
# ---- added with issue 16: normalisation (batch_norm in training and eval, layer_norm) ----
# Training cases pass no running statistics (F.batch_norm would write them into the inputs);
# their updates are checked as values in RUNNING_STATS below.
for shape, affine in (((4, 3), True), ((3, 2, 5), False), ((2, 3, 2, 3), True), ((1, 2, 4), True)):
    c = shape[1]
    name = "x".join(str(d) for d in shape) + ("_affine" if affine else "")
    ins = [rand(*shape, lo=-1, hi=2)] + ([rand(c, lo=0.5, hi=1.5), rand(c)] if affine else [])
    case(f"batch_norm_train_{name}", "batch_norm_train",
         lambda x, *wb: F.batch_norm(x, None, None, *wb, training=True, eps=1e-3), ins,
         {"eps": 1e-3})
for shape in ((4, 3), (2, 3, 2, 2)):
    c = shape[1]
    name = "x".join(str(d) for d in shape)
    case(f"batch_norm_eval_{name}", "batch_norm_eval",
         lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3),
         [rand(*shape), rand(c, lo=-0.5, hi=0.5), rand(c, lo=0.5, hi=2.0), rand(c, lo=0.5, hi=1.5),
          rand(c)], {"eps": 1e-3}, diff=[True, False, False, True, True])
for shape, ns, affine in (((3, 4), (4,), True), ((2, 3, 4), (3, 4), True), ((2, 3, 4), (4,), False),
                          ((5,), (5,), True)):
    name = "x".join(str(d) for d in shape) + "_over_" + "x".join(str(d) for d in ns)
    ins = [rand(*shape, lo=-1, hi=2)] + ([rand(*ns, lo=0.5, hi=1.5), rand(*ns)] if affine else [])
    case(f"layer_norm_{name}", "layer_norm",
         lambda x, *wb, ns=ns: F.layer_norm(x, ns, *wb, eps=1e-4), ins,
         {"normalized_shape": list(ns), "eps": 1e-4})

RUNNING_STATS = []
for shape, momentum in (((4, 3), 0.1), ((2, 3, 2, 2), 0.25)):
    c = shape[1]
    rm, rv = torch.zeros(c), torch.ones(c)
    steps = []
    for _ in range(3):
        x = rand(*shape, lo=-1, hi=3)
        F.batch_norm(x, rm, rv, training=True, momentum=momentum, eps=1e-5)
        steps.append({"x": flat(x), "running_mean": flat(rm), "running_var": flat(rv)})
    RUNNING_STATS.append({"shape": list(shape), "momentum": momentum, "steps": steps})

# ---- convolutions, added with issue 16 (after every earlier case, so the earlier cases' random
#      draws stay the same). conv2d is bilinear in (x, w): its HVP is the cross terms. ----
def conv2d_params(stride=1, padding=0, dilation=1, groups=1):
    pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
    return {"stride": pair(stride), "padding": pair(padding), "dilation": pair(dilation),
            "groups": groups}


for name, xs, ws, kw in (
        ("conv2d", (2, 3, 5, 6), (4, 3, 3, 3), {}),
        ("conv2d_stride2_padding1", (3, 2, 7, 6), (3, 2, 3, 3), {"stride": 2, "padding": 1}),
        ("conv2d_dilation2_groups2_kernel2x3", (2, 4, 7, 8), (6, 2, 2, 3),
         {"padding": (1, 0), "dilation": 2, "groups": 2}),
        ("conv2d_mixed", (1, 4, 6, 7), (4, 2, 3, 2),
         {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2}),
        ("conv2d_depthwise", (2, 3, 5, 5), (3, 1, 3, 3), {"padding": 1, "groups": 3}),
        ("conv2d_pointwise", (2, 4, 3, 4), (5, 4, 1, 1), {})):
    params = conv2d_params(**kw)
    case(name, "conv2d", lambda x, w, b, kw=kw: F.conv2d(x, w, b, **kw),
         [rand(*xs), rand(*ws), rand(ws[0])], params)
    case(name + "_no_bias", "conv2d_no_bias", lambda x, w, kw=kw: F.conv2d(x, w, None, **kw),
         [rand(*xs), rand(*ws)], params)
for name, xs, ws, kw in (
        ("conv1d", (2, 3, 9), (4, 3, 3), {"stride": 2, "padding": 1}),
        ("conv1d_dilation2_groups2", (3, 4, 8), (2, 2, 2), {"dilation": 2, "groups": 2}),
        ("conv1d_depthwise", (1, 3, 6), (6, 1, 3), {"padding": 2, "groups": 3})):
    params = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **kw}
    case(name, "conv1d", lambda x, w, b, kw=kw: F.conv1d(x, w, b, **kw),
         [rand(*xs), rand(*ws), rand(ws[0])], params)
    case(name + "_no_bias", "conv1d_no_bias", lambda x, w, kw=kw: F.conv1d(x, w, None, **kw),
         [rand(*xs), rand(*ws)], params)
# The two adjoints as operations of their own: torch.nn.grad's conv2d_input / conv2d_weight.
for name, xs, ws, kw in (
        ("stride2_padding1", (2, 2, 7, 6), (3, 2, 3, 3), {"stride": 2, "padding": 1}),
        ("dilation2_groups2", (1, 4, 7, 8), (6, 2, 2, 3),
         {"padding": (1, 0), "dilation": 2, "groups": 2})):
    params = conv2d_params(**kw)
    ys = F.conv2d(torch.zeros(xs), torch.zeros(ws), None, **kw).shape
    case("conv2d_backward_input_" + name, "conv2d_backward_input",
         lambda g, w, xs=xs, kw=kw: torch.nn.grad.conv2d_input(xs, w, g, **kw),
         [rand(*ys), rand(*ws)], {**params, "input_size": list(xs[2:])})
    case("conv2d_backward_weight_" + name, "conv2d_backward_weight",
         lambda x, g, ws=ws, kw=kw: torch.nn.grad.conv2d_weight(x, ws, g, **kw),
         [rand(*xs), rand(*ys)], {**params, "kernel_size": list(ws[2:])})


# ---- graphs, added with issue 17 (after every earlier case, so their random draws stay the
#      same): spmm over a SparseCsr, sddmm, segment reductions and softmax. The reference is
#      written with index_add / scatter_reduce (no torch_geometric); spmm's forward is also
#      checked against torch.sparse.mm. An edge (src -> dst) is the entry A[dst, src]. ----
def graph_cases():
    # Out of order, with a repeated edge (2 -> 0) and node 3 without incoming edges.
    src = [1, 2, 0, 2, 3, 0, 4, 1]
    dst = [2, 0, 1, 0, 1, 2, 2, 4]
    n, e = 5, len(src)
    si, di = torch.tensor(src), torch.tensor(dst)

    def spmm_ref(x, w, rows=n, si=si, di=di):
        return torch.zeros(rows, x.shape[1]).index_add(0, di, w[:, None] * x[si])

    def sddmm_ref(a, b):
        return (a[di] * b[si]).sum(1)

    def sq(f, squared):
        return (lambda *a: f(*a) ** 2) if squared else f

    graph = {"rows": n, "cols": n, "src": src, "dst": dst}
    w_const = rand(e, lo=-1.5, hi=1.5)
    x = rand(n, 3)
    dense = torch.sparse_coo_tensor(torch.stack([di, si]), w_const, (n, n))
    assert torch.allclose(torch.sparse.mm(dense, x), spmm_ref(x, w_const), atol=1e-14)
    for squared in (False, True):
        suffix = "_squared" if squared else ""
        case("spmm" + suffix, "spmm", sq(lambda x: spmm_ref(x, torch.ones(e)), squared), [x],
             {**graph, "weights": [], "squared": squared})
        case("spmm_const_weights" + suffix, "spmm",
             sq(lambda x: spmm_ref(x, w_const), squared), [rand(n, 2)],
             {**graph, "weights": flat(w_const), "squared": squared})
        case("spmm_weighted" + suffix, "spmm_weighted", sq(spmm_ref, squared),
             [rand(n, 3), rand(e)], {**graph, "squared": squared})
    # A rectangular (3 destinations x 4 sources) product.
    rs, rd = [3, 0, 3, 1, 2], [2, 0, 2, 1, 0]
    case("spmm_weighted_rectangular", "spmm_weighted",
         lambda x, w: spmm_ref(x, w, 3, torch.tensor(rs), torch.tensor(rd)),
         [rand(4, 2), rand(5)], {"rows": 3, "cols": 4, "src": rs, "dst": rd, "squared": False})
    case("sddmm", "sddmm", sddmm_ref, [rand(n, 4), rand(n, 4)], {**graph, "squared": False})
    case("sddmm_squared", "sddmm", sq(sddmm_ref, True), [rand(n, 2), rand(n, 2)],
         {**graph, "squared": True})

    ids = [1, 3, 1, 0, 3, 3, 0]  # segment 2 (of 4) empty
    it = torch.tensor(ids)

    def expand(index, src):
        return index.view(-1, *([1] * (src.dim() - 1))).expand_as(src)

    def seg_sum(s):
        return torch.zeros(4, *s.shape[1:]).index_add(0, it, s)

    def seg_reduce(how):
        return lambda s: torch.zeros(4, *s.shape[1:]).scatter_reduce(
            0, expand(it, s), s, how, include_self=False)

    def seg_softmax(s):
        m = seg_reduce("amax")(s.detach())
        z = torch.exp(s - m[it])
        return z / seg_sum(z)[it]

    seg = {"ids": ids, "num_segments": 4}
    for shape in ((7,), (7, 3), (7, 2, 2)):
        name = "x".join(str(d) for d in shape)
        for op, f in (("segment_sum", seg_sum), ("segment_mean", seg_reduce("mean")),
                      ("segment_max", seg_reduce("amax"))):
            for squared in (False, True) if shape == (7, 3) else (True,):
                # rand draws are far enough apart that the maxima have no ties
                case(f"{op}_{name}{'_squared' if squared else ''}", op, sq(f, squared),
                     [rand(*shape)], {**seg, "squared": squared})
        case(f"segment_softmax_{name}", "segment_softmax", seg_softmax, [rand(*shape, lo=-3, hi=3)],
             seg)
    # Ties: torch 1.13's amax gradient splits g evenly among the rows equal to the maximum.
    case("segment_max_ties", "segment_max", seg_reduce("amax"),
         [torch.tensor([[0.5, -1.0], [0.25, 2.0], [0.5, 2.0], [0.5, 0.0], [-1.0, 3.0],
                        [0.75, 3.0], [0.5, 2.0]])], {**seg, "squared": False})
    # Scores of a GAT-like size that overflow exp() unshifted.
    case("segment_softmax_large", "segment_softmax", seg_softmax,
         [rand(7, 2, lo=-3, hi=3) + 500.0], seg)


graph_cases()


# ---- attention, added with issue 17 (after every earlier case, so the earlier cases' random
#      draws stay the same). xgrad's scaled_dot_product_attention takes a bool mask with
#      true = attend (PyTorch's bool attn_mask); torch 1.13 has no F.scaled_dot_product_attention,
#      so the reference is written out: softmax(q / sqrt(E) k^T + bias, masked with -inf) v. ----
def attention_cases():
    import math

    def sdpa(q, k, v, bias=None, mask=None, causal=False, scale=None):
        sc = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
        s = (q * sc) @ k.transpose(-2, -1)
        if bias is not None:
            s = s + bias
        keep = torch.ones(s.shape, dtype=torch.bool)
        if mask is not None:
            keep = keep & mask
        if causal:
            keep = keep & torch.ones(s.shape[-2], s.shape[-1], dtype=torch.bool).tril()
        return torch.softmax(s.masked_fill(~keep, float("-inf")), -1) @ v

    def bools(m):
        return {"shape": list(m.shape), "values": [bool(b) for b in m.reshape(-1).tolist()]}

    pad = torch.tensor([True, True, True, True, False, True, False, True, True, True,
                        True, True, True, True, True]).reshape(3, 1, 1, 5)
    band = torch.tensor([[True, False, True, True, True], [True, True, False, True, True]])
    for name, shapes, mask, causal, scale, with_bias in (
            ("sdpa_3d", ((2, 3, 4), (2, 5, 4), (2, 5, 3)), None, False, None, False),
            ("sdpa_batch1_causal_l_below_s", ((1, 4, 3), (1, 6, 3), (1, 6, 2)), None, True, None,
             False),
            ("sdpa_causal_l_above_s", ((3, 5, 2), (3, 3, 2), (3, 3, 4)), None, True, None, False),
            ("sdpa_4d_key_padding_and_band_mask", ((3, 2, 2, 4), (3, 2, 5, 4), (3, 2, 5, 3)),
             pad & band, False, None, False),
            ("sdpa_4d_key_padding_causal_bias", ((3, 2, 4, 3), (3, 2, 5, 3), (3, 2, 5, 2)), pad,
             True, None, True),
            ("sdpa_2d_scale", ((3, 4), (5, 4), (5, 2)), None, False, 0.6, False)):
        ins = [rand(*sh, lo=-1.5, hi=1.5) for sh in shapes]
        if with_bias:
            ins.append(rand(shapes[0][-2], shapes[1][-2]))
        params = {"mask": None if mask is None else bools(mask), "causal": causal, "scale": scale}
        case(name, "scaled_dot_product_attention",
             lambda q, k, v, *b, mask=mask, causal=causal, scale=scale:
             sdpa(q, k, v, b[0] if b else None, mask, causal, scale), ins, params)


attention_cases()


# ---- embedding, added with issue 17. Its own generator state (fork_rng), so that the cases
#      before and after it draw what they drew without it. Squared, since the lookup is linear
#      in the weight (a zero HVP otherwise); padding_idx rows get no gradient. ----
def embedding_cases():
    with torch.random.fork_rng():
        torch.manual_seed(17)
        for name, v, d, ids, pad in (
                ("embedding_repeated_ids", 5, 3, [[4, 0, 4, 2], [1, 4, 0, 0]], None),
                ("embedding_padding_idx_repeated", 6, 4, [[1, 3], [1, 1], [5, 0]], 1),
                ("embedding_padding_idx_negative", 4, 2, [3, 0, 3, 2, 1], -1),
                ("embedding_3d_ids_padding_0", 3, 5, [[[0, 2], [1, 0]], [[2, 2], [0, 1]]], 0)):
            idx = torch.tensor(ids)
            case(name, "embedding_squared",
                 lambda w, i=idx, p=pad: F.embedding(i, w, padding_idx=p) ** 2, [rand(v, d)],
                 {"ids": index_param(idx), "padding_idx": pad})


embedding_cases()


def main():
    write_fixture(OUT, "scripts/golden_values.py", CASES, batch_norm_running_stats=RUNNING_STATS)


if __name__ == "__main__":
    main()
