"""Writes contrastive_fixtures.json: CLIP's symmetric InfoNCE loss and its gradients (PyTorch), and retrieval metrics
(NumPy, the way open_clip's get_clip_metrics computes them), for tests/MtlEngine.Tests/MultiModal/ContrastiveTests.cs.

Run with Debian's python3-torch 1.13:  /usr/bin/python3 make_contrastive_fixtures.py
Inputs are closed form: wave(shape, a, b) = sin(a*i + b) over the flat index i, in float64.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def wave(shape, a, b):
    n = int(np.prod(shape))
    return torch.tensor([math.sin(a * i + b) for i in range(n)]).reshape(shape)


def clip_loss(x, y, logit_scale):
    # As open_clip's ClipLoss with the scale clamped so that exp(s) <= 100.
    xn = F.normalize(x, dim=-1)
    yn = F.normalize(y, dim=-1)
    scale = torch.clamp(logit_scale, max=math.log(100)).exp()
    logits = scale * xn @ yn.T
    labels = torch.arange(x.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2, logits


def loss_case(n, d, s, a, b):
    x = wave((n, d), a, b).requires_grad_()
    y = wave((n, d), b + 0.11, a * 0.7).requires_grad_()
    scale = torch.tensor(s).requires_grad_()
    loss, logits = clip_loss(x, y, scale)
    loss.backward()
    return {
        "n": n, "d": d, "logit_scale": s, "a": a, "b": b,
        "loss": loss.item(),
        "logits": logits.detach().flatten().tolist(),
        "grad_x": x.grad.flatten().tolist(),
        "grad_y": y.grad.flatten().tolist(),
        "grad_scale": scale.grad.item(),
    }


def ranks(scores, targets):
    # open_clip: ranking = argsort(logits, descending=True); preds = where(ranking == ground_truth). A stable sort on -s
    # ties by candidate index.
    order = np.argsort(-scores, axis=1, kind="stable")
    return np.array([int(np.where(order[i] == targets[i])[0][0]) for i in range(len(targets))])


def retrieval_case(q, c, seed, targets=None):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.normal(size=(q, c)), 3)  # rounding makes some ties
    if targets is None:
        targets = rng.integers(0, c, size=q)
    p = ranks(scores, targets)
    return {
        "queries": q, "candidates": c,
        "scores": scores.flatten().tolist(), "targets": [int(t) for t in targets],
        "ranks": (p + 1).tolist(),
        "recall_at_1": float(np.mean(p < 1)), "recall_at_5": float(np.mean(p < 5)), "recall_at_10": float(np.mean(p < 10)),
        "median_rank": float(np.floor(np.median(p)) + 1), "mean_rank": float(p.mean() + 1),
    }


fixtures = {
    "loss": [
        loss_case(5, 3, math.log(1 / 0.07), 0.3, 0.1),
        loss_case(7, 4, 0.5, 0.71, -0.4),
        loss_case(6, 2, 5.0, 1.3, 0.2),          # above ln 100: clamped, no gradient for s
        loss_case(1, 3, 1.0, 0.2, 0.3),          # one pair: loss 0
        loss_case(13, 9, 2.0, 0.05, 1.0),
    ],
    "retrieval": [
        retrieval_case(7, 7, 1, targets=np.arange(7)),
        retrieval_case(23, 17, 2),
        retrieval_case(40, 40, 3, targets=np.arange(40)),
        retrieval_case(12, 3, 4),
    ],
}

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "contrastive_fixtures.json"), "w") as f:
    json.dump(fixtures, f, indent=1)
    f.write("\n")
print("torch", torch.__version__, "numpy", np.__version__)
