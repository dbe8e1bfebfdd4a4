#!/usr/bin/python3
"""Reference values from PyTorch 1.13 (Debian python3-torch) for tests/MtlEngine.Tests/Nn/{IndexingFixtureTests,
AttentionTests,BatchNormTests}.cs: index_select / gather / scatter_add, embedding with padding_idx, SiLU, Softplus,
BatchNorm1d/2d (train twice, then eval), scaled dot-product attention and nn.MultiheadAttention with key-padding and
causal masks; and a state dict (MultiheadAttention + BatchNorm1d) written as safetensors by hand.

Run: /usr/bin/python3 make_indexing_fixtures.py  (writes indexing_fixtures.json and attention_batchnorm.safetensors
beside this script). Inputs are closed form (sin/cos of the flat index, see `wave`), so the C# tests rebuild them; every
gradient is of L = sum(r * output) with r = wave(shape, 0.37, 0.5, cos). Everything is float64 except the state-dict case,
which runs in float32 like a saved model.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_default_dtype(torch.float64)
out = {"torch": torch.__version__}


def wave(shape, a=1.0, b=0.0, f=math.sin):
    """f(a * i + b) over the flat index i, reshaped."""
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([f(a * i + b) for i in range(n)]).reshape(shape)


def weights_of(t):
    return wave(tuple(t.shape), 0.37, 0.5, math.cos)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def leaf(shape, a=1.0, b=0.0):
    return wave(shape, a, b).requires_grad_(True)


def backward(y):
    (y * weights_of(y)).sum().backward()


# ---- indexing ----
x = leaf((3, 4, 5), 0.7, 0.1)
idx = [3, 0, 3, 1, 2]
y = torch.index_select(x, 1, torch.tensor(idx))
backward(y)
out["index_select"] = {"indices": idx, "y": flat(y), "grad": flat(x.grad)}

x = leaf((3, 4, 5), 0.7, 0.1)
index = torch.tensor([[(i * 7 + j * 3 + k) % 4 for k in range(4)] for i in range(2) for j in range(6)]).reshape(2, 6, 4)
y = torch.gather(x, 1, index)
backward(y)
out["gather"] = {"index": flat(index.double()), "index_shape": list(index.shape), "y": flat(y), "grad": flat(x.grad)}

x = leaf((4, 5), 0.3, 0.2)
src = leaf((5, 3), 0.45, 1.0)  # torch 1.13 cannot differentiate a source larger than the index
index = torch.tensor([[(2 * i + 3 * j) % 4 for j in range(3)] for i in range(5)])
z = x.scatter_add(0, index, src)
backward(z)
out["scatter_add"] = {"index": flat(index.double()), "index_shape": list(index.shape), "z": flat(z),
                      "grad_x": flat(x.grad), "grad_src": flat(src.grad)}

# ---- embedding with a padding row ----
weight = leaf((6, 3), 0.9, 0.3)
ids = torch.tensor([[2, 0, 5, 2], [1, 2, 5, 5]])
e = F.embedding(ids, weight, padding_idx=2)
backward(e)
out["embedding"] = {"indices": [int(v) for v in ids.reshape(-1)], "padding": 2, "y": flat(e), "grad": flat(weight.grad)}

# ---- activations ----
x = (wave((3, 7), 0.8, 0.0) * 4).requires_grad_(True)
s = F.silu(x)
backward(s)
out["silu"] = {"y": flat(s), "grad": flat(x.grad)}
x.grad = None
sp = F.softplus(x, beta=2.0, threshold=3.0)
backward(sp)
out["softplus"] = {"y": flat(sp), "grad": flat(x.grad)}

# ---- batch norm: two training steps, then eval ----
def batchnorm_case(module, shape):
    c = shape[1]
    with torch.no_grad():
        module.weight.copy_(1 + 0.5 * wave((c,), 1.3, 0.2))
        module.bias.copy_(0.3 * wave((c,), 0.7, 1.1, math.cos))
    case = {}
    for step in range(2):
        x = (2 * wave(shape, 0.61, step + 0.4) + wave(shape, 0.05, step, math.cos)).requires_grad_(True)
        module.zero_grad()
        y = module(x)
        backward(y)
        case[f"y{step}"] = flat(y)
        case[f"grad_x{step}"] = flat(x.grad)
        case[f"grad_weight{step}"] = flat(module.weight.grad)
        case[f"grad_bias{step}"] = flat(module.bias.grad)
    case["running_mean"] = flat(module.running_mean)
    case["running_var"] = flat(module.running_var)
    case["num_batches_tracked"] = int(module.num_batches_tracked)
    module.eval()
    x = wave(shape, 0.83, 2.0) * 1.5
    case["y_eval"] = flat(module(x))
    return case


out["batchnorm1d"] = batchnorm_case(torch.nn.BatchNorm1d(3), (4, 3, 5))
out["batchnorm1d_2d"] = batchnorm_case(torch.nn.BatchNorm1d(4, momentum=None), (5, 4))
out["batchnorm2d"] = batchnorm_case(torch.nn.BatchNorm2d(2, momentum=0.3, eps=1e-3), (3, 2, 2, 3))

# ---- scaled dot-product attention (torch 1.13 has no F.scaled_dot_product_attention: the formula) ----
q = leaf((2, 4, 3), 0.71, 0.0)
k = leaf((2, 5, 3), 0.53, 1.0)
v = leaf((2, 5, 2), 0.29, 2.0)
keep = torch.tensor([[(i + j) % 3 != 1 for j in range(5)] for i in range(4)])
bias = torch.zeros(4, 5).masked_fill(~keep, float("-inf")) + 0.1 * wave((4, 5), 1.7)
causal = torch.ones(4, 5, dtype=torch.bool).tril()
scores = q @ k.transpose(-1, -2) / math.sqrt(3) + bias
scores = scores.masked_fill(~causal, float("-inf"))
a = torch.softmax(scores, -1) @ v
backward(a)
out["sdpa"] = {"keep": [int(b) for b in keep.reshape(-1)], "y": flat(a), "grad_q": flat(q.grad), "grad_k": flat(k.grad),
               "grad_v": flat(v.grad)}

# ---- nn.MultiheadAttention (E = 6, H = 2, batch_first) with closed-form parameters ----
def mha_case(causal_self):
    mha = torch.nn.MultiheadAttention(6, 2, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(0.4 * wave((18, 6), 0.77, 0.3))
        mha.in_proj_bias.copy_(0.1 * wave((18,), 1.1, 0.0, math.cos))
        mha.out_proj.weight.copy_(0.5 * wave((6, 6), 0.59, 1.2))
        mha.out_proj.bias.copy_(0.2 * wave((6,), 0.9, 0.4))
    query = leaf((2, 4, 6), 0.41, 0.0)
    if causal_self:
        key = value = query
        padding = torch.tensor([[False, False, False, True], [False, False, False, False]])
        mask = torch.ones(4, 4, dtype=torch.bool).triu(1)  # True = not allowed (PyTorch's boolean attn_mask)
    else:
        key = leaf((2, 5, 6), 0.23, 1.0)
        value = leaf((2, 5, 6), 0.31, 2.0)
        padding = torch.tensor([[False, False, True, False, True], [False, False, False, False, False]])
        mask = None
    y, w = mha(query, key, value, key_padding_mask=padding, attn_mask=mask, need_weights=True)
    backward(y)
    case = {"padding": [int(b) for b in padding.reshape(-1)], "y": flat(y), "weights": flat(w),
            "grad_query": flat(query.grad), "grad_in_proj_weight": flat(mha.in_proj_weight.grad),
            "grad_out_proj_bias": flat(mha.out_proj.bias.grad)}
    if not causal_self:
        case["grad_key"] = flat(key.grad)
        case["grad_value"] = flat(value.grad)
    return case


out["mha_padding"] = mha_case(False)
out["mha_causal"] = mha_case(True)

# ---- a state dict saved by PyTorch (float32), loaded by the C# side ----
class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = torch.nn.BatchNorm1d(8)

    def forward(self, x):
        y, _ = self.attn(x, x, x, need_weights=False)
        return self.norm((x + y).transpose(1, 2))  # (B, E, L): the channels on axis 1


torch.manual_seed(0)
block = Block().float()
with torch.no_grad():
    for step in range(2):  # give the running statistics values of their own
        block(wave((3, 5, 8), 0.37, step).float() * 2 + 0.5)
    block.attn.in_proj_bias.copy_(0.1 * wave((24,), 0.7).float())
    block.attn.out_proj.bias.copy_(0.1 * wave((8,), 1.3).float())
block.eval()
x = wave((3, 5, 8), 0.51, 0.25).float()
with torch.no_grad():
    expected = block(x)
state = block.state_dict()
out["state_dict"] = {"names": list(state.keys()), "x": flat(x), "y": flat(expected)}


def save_safetensors(path, tensors):
    """The safetensors layout: 8-byte little-endian header length, the JSON header, then the raw little-endian data."""
    names = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


save_safetensors(os.path.join(HERE, "attention_batchnorm.safetensors"), state)

with open(os.path.join(HERE, "indexing_fixtures.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
