#!/usr/bin/python3
"""Reference values from PyTorch 1.13 (Debian python3-torch) for tests/MtlEngine.Tests/MultiModal/TextEncoderTests.cs:
nn.TransformerEncoderLayer(d_model=6, nhead=2, dim_feedforward=10, dropout=0, batch_first=True), post-LN and pre-LN
(norm_first=True), with a src_key_padding_mask, in float64. The state dict (PyTorch's names) is stored as values; the
input is closed form (see `wave`); the gradients are of L = sum(r * output) with r = wave(shape, 0.37, 0.5, cos).
The input requires grad, so PyTorch takes its plain (not the fused "fast") path and computes the padded positions too.

Run: /usr/bin/python3 make_transformer_fixtures.py  (writes transformer_fixtures.json beside this script).
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_default_dtype(torch.float64)
out = {"torch": torch.__version__}


def wave(shape, a=1.0, b=0.0, f=math.sin):
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([f(a * i + b) for i in range(n)]).reshape(shape)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


B, L, D = 3, 5, 6
lengths = [5, 3, 1]  # real tokens per row; the rest is padding
padding = torch.tensor([[j >= lengths[i] for j in range(L)] for i in range(B)])
for norm_first in (False, True):
    torch.manual_seed(7 + int(norm_first))
    layer = torch.nn.TransformerEncoderLayer(d_model=D, nhead=2, dim_feedforward=10, dropout=0.0, batch_first=True, norm_first=norm_first)
    with torch.no_grad():  # spread the layer norms' parameters away from 1 and 0
        for name, p in layer.named_parameters():
            if name.startswith("norm"):
                p.copy_(wave(tuple(p.shape), 0.9, 1.0 if name.endswith("bias") else 0.3) * 0.5 + (0 if name.endswith("bias") else 1))
    layer.train()  # dropout 0: training mode is deterministic and keeps PyTorch off its fast path
    x = wave((B, L, D), 0.7, 0.1).requires_grad_(True)
    y = layer(x, src_key_padding_mask=padding)
    (y * wave(tuple(y.shape), 0.37, 0.5, math.cos)).sum().backward()
    key = "pre_ln" if norm_first else "post_ln"
    out[key] = {
        "state": {name: {"shape": list(t.shape), "values": flat(t)} for name, t in layer.state_dict().items()},
        "lengths": lengths,
        "y": flat(y),
        "grad_x": flat(x.grad),
        "grad_in_proj_weight": flat(layer.self_attn.in_proj_weight.grad),
        "grad_linear1_weight": flat(layer.linear1.weight.grad),
        "grad_norm1_weight": flat(layer.norm1.weight.grad),
    }

with open(os.path.join(HERE, "transformer_fixtures.json"), "w") as f:
    json.dump(out, f)
print("wrote transformer_fixtures.json")
