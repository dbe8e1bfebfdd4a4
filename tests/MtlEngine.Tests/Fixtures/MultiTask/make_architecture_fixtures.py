#!/usr/bin/python3
"""Reference outputs from PyTorch 1.13 (Debian python3-torch) for tests/MtlEngine.Tests/MultiTask/ArchitectureTorchTests.cs:
MMoE, DSelect-k (with its regularization), cross-stitch and PLE written out in PyTorch from the papers' formulas, with
the engine's parameter names.

Run: /usr/bin/python3 make_architecture_fixtures.py  (writes architecture_fixtures.json beside this script). Everything
is float64 and closed form, so the C# tests rebuild it: the input x[i] = sin(0.7 i + 0.1) over the flat index of a
(4, 3) tensor, and each parameter p[i] = 0.5 sin(0.37 i + b) with b = 0.1 * (sum of the name's character codes mod 97).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_default_dtype(torch.float64)
TASKS = [("a", 3), ("b", 2)]


def wave(shape, a, b):
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([math.sin(a * i + b) for i in range(n)]).reshape(shape)


def parameter(name, *shape):
    return 0.5 * wave(shape, 0.37, 0.1 * (sum(ord(c) for c in name) % 97))


def linear(prefix, x, inputs, outputs):
    return x @ parameter(prefix + ".weight", outputs, inputs).T + parameter(prefix + ".bias", outputs)


def mlp(prefix, x, inputs, widths):
    for l, w in enumerate(widths):
        x = torch.relu(linear(f"{prefix}.{2 * l}", x, inputs, w))
        inputs = w
    return x


def mix(gate_logits, experts):
    return (F.softmax(gate_logits, dim=-1).unsqueeze(2) * torch.stack(experts, dim=1)).sum(1)


def heads(representations, width, towers):
    out = {}
    for (task, outputs), r in zip(TASKS, representations):
        h = mlp(f"towers.{task}", r, width, towers)
        out[task] = linear(f"heads.{task}", h, towers[-1] if towers else width, outputs)
    return out


x = wave((4, 3), 0.7, 0.1)
fixtures = {"torch": torch.__version__, "x": x.reshape(-1).tolist()}


def record(name, out, **extra):
    fixtures[name] = {task: out[task].reshape(-1).tolist() for task, _ in TASKS}
    fixtures[name].update(extra)


# MMoE (Ma 2018): 3 experts [5], towers [2].
experts = [mlp(f"experts.{e}", x, 3, [5]) for e in range(3)]
record("mmoe", heads([mix(linear(f"gates.{t}", x, 3, 3), experts) for t, _ in TASKS], 5, [2]))

# DSelect-k (Hazimeh 2021), per-example gates: E = 3 experts [4] (m = 2 bits, one unreachable code), k = 2, gamma = 2 (some z saturated),
# entropy weight 0.1; codes most significant bit first; smooth-step as the authors'.
E, K, M, GAMMA, TAU = 3, 2, 2, 2.0, 0.1
experts = [mlp(f"experts.{e}", x, 3, [4]) for e in range(E)]
codes = torch.tensor([[(e >> (M - 1 - j)) & 1 for j in range(M)] for e in range(E)], dtype=torch.bool)


def smooth_step(t):
    cubic = -2 / GAMMA ** 3 * t ** 3 + 3 / (2 * GAMMA) * t + 0.5
    return torch.where(t <= -GAMMA / 2, torch.zeros_like(t), torch.where(t >= GAMMA / 2, torch.ones_like(t), cubic))


representations, regularization = [], 0.0
for task, _ in TASKS:
    s = smooth_step(linear(f"gates.{task}.z_logits", x, 3, K * M).reshape(-1, K, 1, M))
    selectors = torch.where(codes.unsqueeze(0).unsqueeze(0), s, 1 - s).prod(3)           # (n, k, E)
    w = F.softmax(linear(f"gates.{task}.w_logits", x, 3, K), dim=1)                       # (n, k)
    g = (w.unsqueeze(2) * selectors).sum(1)                                              # (n, E)
    representations.append((g.unsqueeze(2) * torch.stack(experts, dim=1)).sum(1))
    regularization += TAU * -(selectors * torch.log(selectors + 1e-6)).sum() + (1 / selectors.sum(-1)).sum()
record("dselect_k", heads(representations, 4, []), regularization=float(regularization))

# Cross-stitch (Misra 2016): columns [4, 3], a 2x2 unit after each layer, towers [2].
columns = [x, x]
for l, (inputs, width) in enumerate([(3, 4), (4, 3)]):
    z = torch.stack([torch.relu(linear(f"columns.{t}.{2 * l}", columns[i], inputs, width)) for i, (t, _) in enumerate(TASKS)])
    alpha = parameter(f"cross_stitch.{l}.alpha", 2, 2)
    mixed = (alpha @ z.reshape(2, -1)).reshape(z.shape)
    columns = [mixed[0], mixed[1]]
record("cross_stitch", heads(columns, 3, [2]))

# PLE (Tang 2020): 2 levels, 1 shared and 2 task experts per level of widths [4]; task gates mix [own, shared],
# the shared gate (level 0) mixes [task a's, task b's, shared].
task_inputs, shared_input, inputs = [x, x], x, 3
for level in range(2):
    p = f"levels.{level}"
    shared = [mlp(f"{p}.shared_experts.{e}", shared_input, inputs, [4]) for e in range(1)]
    own = [[mlp(f"{p}.task_experts.{t}.{e}", task_inputs[i], inputs, [4]) for e in range(2)] for i, (t, _) in enumerate(TASKS)]
    next_inputs = [mix(linear(f"{p}.gates.{t}", task_inputs[i], inputs, 3), own[i] + shared) for i, (t, _) in enumerate(TASKS)]
    if level == 0:
        shared_input = mix(linear(f"{p}.shared_gate", shared_input, inputs, 5), own[0] + own[1] + shared)
    task_inputs, inputs = next_inputs, 4
record("ple", heads(task_inputs, 4, []))

with open(os.path.join(HERE, "architecture_fixtures.json"), "w") as f:
    json.dump(fixtures, f, indent=1)
