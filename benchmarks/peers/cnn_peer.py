#!/usr/bin/python3
"""PyTorch peer of `mtl bench cnn`: the same convolution workloads, timed the same way.

conv2d_a: batch 64, 3 -> 32 channels, 32x32, 3x3, padding 1, forward + backward (input, weight, bias grads), float32.
conv2d_b: batch 64, 32 -> 64 channels, 16x16, 3x3, padding 1, the same.
cnn_step: LeNet-5-like on 28x28x1 (conv 6@5x5 pad 2 -> ReLU -> max-pool 2 -> conv 16@5x5 -> ReLU -> max-pool 2 ->
          flatten -> 120 -> ReLU -> 84 -> ReLU -> two heads of 10 classes), cross-entropy summed, batch 128,
          Adam lr 1e-3, seeded random data (8 batches cycled), 5 warm-up steps, then --steps timed steps.
The conv lines are the median of --repeats timed forward+backward passes after 3 warm-up passes.
Prints one line per workload:
    name=conv2d_a_torch threads=2 us_fwd_bwd=...
    name=conv2d_b_torch threads=2 us_fwd_bwd=...
    name=cnn_step_torch threads=2 us_per_step=... final_loss=...
Debian's python3-torch (apt-get install -y python3-torch); threads = torch.set_num_threads(--threads).
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_line(name, batch, cin, cout, size, repeats, threads):
    x = torch.randn(batch, cin, size, size, requires_grad=True)
    conv = nn.Conv2d(cin, cout, 3, padding=1)
    g = torch.randn(batch, cout, size, size)

    def once():
        x.grad = None
        conv.zero_grad(set_to_none=True)
        y = conv(x)
        y.backward(g)

    for _ in range(3):
        once()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    print(f"name={name}_torch threads={threads} us_fwd_bwd={statistics.median(times) * 1e6:.1f}")


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU())
        self.head_a = nn.Linear(84, 10)
        self.head_b = nn.Linear(84, 10)

    def forward(self, x):
        h = self.features(x)
        return self.head_a(h), self.head_b(h)


def cnn_step(steps, threads):
    net = LeNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    batches = [(torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,)), torch.randint(0, 10, (128,))) for _ in range(8)]

    def step(s):
        x, ya, yb = batches[s % 8]
        a, b = net(x)
        loss = F.cross_entropy(a, ya) + F.cross_entropy(b, yb)
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        optimizer.step()
        return loss.item()

    for s in range(5):
        step(s)
    start = time.perf_counter()
    last = 0.0
    for s in range(steps):
        last = step(5 + s)
    seconds = time.perf_counter() - start
    print(f"name=cnn_step_torch threads={threads} steps={steps} us_per_step={seconds / steps * 1e6:.1f} final_loss={last:.6f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(2024)
    conv_line("conv2d_a", 64, 3, 32, 32, args.repeats, args.threads)
    conv_line("conv2d_b", 64, 32, 64, 16, args.repeats, args.threads)
    cnn_step(args.steps, args.threads)


if __name__ == "__main__":
    main()
