#!/usr/bin/env python3
"""Golden values for xgrad's optimizers and learning-rate schedulers, with PyTorch as the oracle.

Writes tests/fixtures/golden_optim.json, which tests/optim/golden_optim_test.cpp reads (CI needs
no PyTorch: the fixture is committed). In float64 it records

  - "optimizers": Adamax, NAdam and Adadelta on the optim tests' quadratic
    loss(w) = sum(0.5 a w^2 + b w): the options and the parameter after each of 10 steps;
  - "lbfgs": L-BFGS (with and without the strong-Wolfe line search) on small problems written
    with elementwise ops only: the parameters and the returned loss after each step(closure),
    and the closure-call and iteration counts;
  - "schedulers": each scheduler's options and the lr after construction and after each of
    20 step() calls (ReduceLROnPlateau: after each step(metric) of a fixed metric sequence).

Regenerate (PyTorch is not a CI dependency; Debian's python3-torch 1.13 is enough):

    apt-get install -y python3-torch
    /usr/bin/python3 scripts/optim_golden_values.py

The output is the same on every run (no randomness, float64, floats written with repr).
The default dtype is float64 so that NAdam's per-parameter mu_product (a 0-d tensor of the
default dtype) is a double too.
"""

import json
import os

import torch

torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "golden_optim.json")

# The optim tests' kProblem (tests/optim/optim_test_util.hpp).
W0, A, B = [1.0, -2.0, 0.5], [1.0, 2.0, 3.0], [0.5, -1.0, 0.0]


def optimizer_case(name, cls, options, steps=10):
    w = torch.tensor(W0, requires_grad=True)
    a, b = torch.tensor(A), torch.tensor(B)
    opt = cls([w], **options)
    trace = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * a * w * w + b * w).sum().backward()
        opt.step()
        trace.append(w.tolist())
    return {"name": name, "optimizer": cls.__name__, "options": options, "trace": trace}


OPTIMIZERS = [
    optimizer_case("adamax_defaults", torch.optim.Adamax, {}),
    optimizer_case("adamax_wd", torch.optim.Adamax,
                   {"lr": 0.1, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.5}),
    optimizer_case("nadam_defaults", torch.optim.NAdam, {}),
    optimizer_case("nadam_wd", torch.optim.NAdam,
                   {"lr": 0.1, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.5,
                    "momentum_decay": 0.01}),
    optimizer_case("adadelta_defaults", torch.optim.Adadelta, {}),
    optimizer_case("adadelta_wd", torch.optim.Adadelta,
                   {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.5}),
]
for case in OPTIMIZERS:  # betas as beta1, beta2 (xgrad's option names)
    betas = case["options"].pop("betas", None)
    if betas:
        case["options"]["beta1"], case["options"]["beta2"] = betas


def rosenbrock(p):
    (xy,) = p
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2


def chained(p):
    """x of shape (), z of shape (2): a curved valley in three variables, elementwise ops only."""
    x, z = p
    c = torch.tensor([1.0, 0.5])
    return (1 - x) ** 2 + 100 * ((z - x * x) ** 2 * c).sum() + ((1 - z) ** 2).sum()


def tanh_bowl(p):
    """w of shape (3): a bowl with tanh shoulders, where large steps send the line search's
    zoom through every branch (moves away from the bracket's ends included)."""
    (w,) = p
    return 0.1 * (w * w).sum() + (torch.tanh(3 * w) ** 2).sum()


def lbfgs_case(name, problem, start, options, steps):
    params = [torch.tensor(v, requires_grad=True) for v in start]
    opt = torch.optim.LBFGS(params, **options)

    def closure():
        opt.zero_grad()
        f = problem(params)
        f.backward()
        return f

    trace, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        trace.append([p.tolist() for p in params])
    state = opt.state[params[0]]
    return {"name": name, "problem": problem.__name__, "start": start, "options": options,
            "trace": trace, "losses": losses, "func_evals": state["func_evals"],
            "n_iter": state["n_iter"]}


LBFGS = []
for ls in (None, "strong_wolfe"):
    suffix = "_strong_wolfe" if ls else ""
    LBFGS.append(lbfgs_case("rosenbrock" + suffix, rosenbrock, [[-1.5, 2.0]],
                            {"line_search_fn": ls, "max_iter": 5}, 6))
    LBFGS.append(lbfgs_case("chained_short_history" + suffix, chained, [-1.2, [0.5, 2.0]],
                            {"line_search_fn": ls, "max_iter": 4, "history_size": 2,
                             "lr": 0.5 if ls is None else 1.0}, 5))
# Large first steps: the strong-Wolfe zoom phase with all its branches.
LBFGS.append(lbfgs_case("rosenbrock_strong_wolfe_lr10", rosenbrock, [[-1.5, 2.0]],
                        {"line_search_fn": "strong_wolfe", "max_iter": 5, "lr": 10.0}, 6))
LBFGS.append(lbfgs_case("tanh_bowl_strong_wolfe_lr300", tanh_bowl, [[2.0, -1.3, 0.4]],
                        {"line_search_fn": "strong_wolfe", "max_iter": 5, "lr": 300.0}, 5))


def lrs(make, steps=20, metrics=None):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    sched = make(opt)
    out = [opt.param_groups[0]["lr"]]
    for s in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[s])
        out.append(opt.param_groups[0]["lr"])
    return out


S = torch.optim.lr_scheduler
METRICS = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89999, 0.8, 0.85, 0.86, 0.87, 0.88,
           0.79, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
SCHEDULERS = []


def sched(name, kind, options, make, metrics=None):
    SCHEDULERS.append({"name": name, "scheduler": kind, "options": options, "base_lr": 0.1,
                       "lrs": lrs(make, metrics=metrics), "metrics": metrics})


sched("cosine", "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01},
      lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.01))
sched("cosine_default_eta", "CosineAnnealingLR", {"T_max": 20},
      lambda o: S.CosineAnnealingLR(o, T_max=20))
sched("warm_restarts", "CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 1, "eta_min": 0.001},
      lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, eta_min=0.001))
sched("warm_restarts_mult", "CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.0},
      lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2))
sched("one_cycle_cos", "OneCycleLR", {"max_lr": 1.0, "total_steps": 20},
      lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=20))
sched("one_cycle_linear", "OneCycleLR",
      {"max_lr": 0.5, "total_steps": 25, "anneal_strategy": "linear", "pct_start": 0.25,
       "div_factor": 10.0, "final_div_factor": 100.0},
      lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=25, anneal_strategy="linear",
                             pct_start=0.25, div_factor=10.0, final_div_factor=100.0))
sched("one_cycle_three_phase", "OneCycleLR",
      {"max_lr": 1.0, "total_steps": 20, "three_phase": True},
      lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=20, three_phase=True))
sched("linear_defaults", "LinearLR", {},
      lambda o: S.LinearLR(o))
sched("linear_warmup", "LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 8},
      lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=8))
sched("plateau_min_rel", "ReduceLROnPlateau", {"patience": 2, "factor": 0.5},
      lambda o: S.ReduceLROnPlateau(o, patience=2, factor=0.5), METRICS)
sched("plateau_max_abs_cooldown", "ReduceLROnPlateau",
      {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 1, "cooldown": 2,
       "factor": 0.3, "min_lr": 0.005},
      lambda o: S.ReduceLROnPlateau(o, mode="max", threshold_mode="abs", threshold=0.01,
                                    patience=1, cooldown=2, factor=0.3, min_lr=0.005),
      [-m for m in METRICS])

with open(OUT, "w") as f:
    json.dump({"optimizers": OPTIMIZERS, "lbfgs": LBFGS, "schedulers": SCHEDULERS}, f, indent=1)
    f.write("\n")
print("wrote", OUT)
