#!/usr/bin/python3
"""Writes conv_fixtures.json and small_cnn.safetensors: PyTorch's convolution and pooling, the oracle for
MtlEngine.Nn's ConvolutionFunctional and its modules (tests/MtlEngine.Tests/Nn/ConvolutionTorchTests.cs).

Operations run in float64 on closed-form inputs, so the C# test rebuilds them without this script:
    x[i] = sin(0.37 i + 0.1), weight[i] = cos(0.23 i) / 2, bias[i] = sin(i + 0.5) / 10, upstream[i] = cos(0.11 i + 0.3)
over the flat (row-major) index i. Each case stores the output and the gradients of sum(upstream * output).

The small CNN (conv 1->4 3x3 pad 1 -> ReLU -> max-pool 2 -> conv 4->6 3x3 -> flatten -> linear 54->5), float32, seeded
torch init; its state dict goes to small_cnn.safetensors (written by hand: 8-byte little-endian header length, JSON
header, raw little-endian data — the format of Python's safetensors, which Debian does not package), its logits on
x[i] = sin(0.37 i + 0.1) of shape (3, 1, 10, 10) to the JSON.

Run from this folder (Debian's python3-torch):  /usr/bin/python3 make_conv_fixtures.py
"""
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


def closed(shape, f, dtype=torch.float64):
    n = math.prod(shape)
    return torch.tensor([f(i) for i in range(n)], dtype=dtype).reshape(shape)


def x_of(shape, dtype=torch.float64):
    return closed(shape, lambda i: math.sin(0.37 * i + 0.1), dtype)


def w_of(shape):
    return closed(shape, lambda i: math.cos(0.23 * i) / 2)


def b_of(shape):
    return closed(shape, lambda i: math.sin(i + 0.5) / 10)


def g_of(shape):
    return closed(shape, lambda i: math.cos(0.11 * i + 0.3))


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(op, inputs):
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    y = op(*leaves)
    y.backward(g_of(tuple(y.shape)))
    return y, [flat(t.grad) for t in leaves]


cases = []

conv2d = [
    # name, x shape, weight shape, stride, padding, dilation, groups
    ('conv2d_basic', (2, 3, 6, 5), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ('conv2d_stride2_nonsquare', (1, 5, 9, 8), (7, 5, 3, 2), (2, 2), (1, 0), (1, 1), 1),
    ('conv2d_dilation_groups', (2, 4, 9, 9), (6, 2, 3, 3), (1, 1), (2, 2), (2, 2), 2),
    ('conv2d_mixed', (3, 6, 7, 8), (9, 2, 2, 3), (2, 1), (0, 2), (1, 2), 3),
    ('conv2d_pointwise', (2, 6, 4, 5), (4, 6, 1, 1), (1, 1), (0, 0), (1, 1), 1),
]
for name, xs, ws, stride, padding, dilation, groups in conv2d:
    os_ = (ws[0],)
    y, grads = run(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), [x_of(xs), w_of(ws), b_of(os_)])
    cases.append(dict(name=name, op='conv2d', x=list(xs), weight=list(ws), stride=list(stride), padding=list(padding),
                      dilation=list(dilation), groups=groups, y_shape=list(y.shape), y=flat(y), dx=grads[0], dweight=grads[1], dbias=grads[2]))

y, grads = run(lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2, 2), [x_of((2, 4, 11)), w_of((6, 2, 3)), b_of((6,))])
cases.append(dict(name='conv1d', op='conv1d', x=[2, 4, 11], weight=[6, 2, 3], stride=[2], padding=[1], dilation=[2], groups=2,
                  y_shape=list(y.shape), y=flat(y), dx=grads[0], dweight=grads[1], dbias=grads[2]))

pools = [
    ('maxpool_2', 'max_pool2d', (2, 3, 7, 6), (2, 2), (2, 2), (0, 0), True),
    ('maxpool_3_s2_p1', 'max_pool2d', (1, 2, 9, 8), (3, 3), (2, 2), (1, 1), True),
    ('maxpool_nonsquare', 'max_pool2d', (2, 1, 7, 9), (3, 2), (1, 2), (1, 1), True),
    ('avgpool_3_s2_p1', 'avg_pool2d', (1, 2, 9, 8), (3, 3), (2, 2), (1, 1), True),
    ('avgpool_3_s2_p1_exclude', 'avg_pool2d', (1, 2, 9, 8), (3, 3), (2, 2), (1, 1), False),
    ('avgpool_2', 'avg_pool2d', (2, 3, 7, 6), (2, 2), (2, 2), (0, 0), True),
]
for name, op, xs, k, s, p, include in pools:
    if op == 'max_pool2d':
        f = lambda x: F.max_pool2d(x, k, s, p)
    else:
        f = lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=include)
    y, grads = run(f, [x_of(xs)])
    cases.append(dict(name=name, op=op, x=list(xs), kernel=list(k), stride=list(s), padding=list(p), count_include_pad=include,
                      y_shape=list(y.shape), y=flat(y), dx=grads[0]))

for name, xs, out in [('adaptive_5x7_to_3x4', (2, 2, 5, 7), (3, 4)), ('adaptive_6x6_to_4x4', (1, 3, 6, 6), (4, 4)), ('adaptive_global', (2, 3, 5, 4), (1, 1))]:
    y, grads = run(lambda x: F.adaptive_avg_pool2d(x, out), [x_of(xs)])
    cases.append(dict(name=name, op='adaptive_avg_pool2d', x=list(xs), output_size=list(out), y_shape=list(y.shape), y=flat(y), dx=grads[0]))

# The small CNN, float32.
torch.manual_seed(22)
cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.Flatten(), nn.Linear(54, 5))
cnn_input = x_of((3, 1, 10, 10), torch.float32)
with torch.no_grad():
    logits = cnn(cnn_input)


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for key, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[key] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header['__metadata__'] = {'format': 'pt'}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


write_safetensors('small_cnn.safetensors', cnn.state_dict())
with open('conv_fixtures.json', 'w') as f:
    json.dump(dict(torch=torch.__version__, cases=cases,
                   small_cnn=dict(input=[3, 1, 10, 10], logits_shape=list(logits.shape), logits=flat(logits))), f)
