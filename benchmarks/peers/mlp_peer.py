#!/usr/bin/python3
"""PyTorch peer of `mtl bench mlp`: the same multi-task training step, timed the same way.

input 512 -> Linear 256 -> ReLU -> Linear 256 -> ReLU -> three heads (10-class cross-entropy, 5-class
cross-entropy, 1-output MSE), losses summed, batch 256, Adam lr 1e-3, float32, 20 seeded random batches
cycled, 10 warm-up steps, then --steps timed steps. Prints
    name=mlp_multitask_torch steps=100 batch=256 threads=2 us_per_step=... final_loss=...
Debian's python3-torch (apt-get install -y python3-torch); threads = torch.set_num_threads(--threads).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiTaskNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())
        self.heads = nn.ModuleDict({"a": nn.Linear(256, 10), "b": nn.Linear(256, 5), "c": nn.Linear(256, 1)})

    def forward(self, x):
        h = self.trunk(x)
        return self.heads["a"](h), self.heads["b"](h), self.heads["c"](h)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(2024)
    net = MultiTaskNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    batches = [(torch.randn(256, 512), torch.randint(0, 10, (256,)), torch.randint(0, 5, (256,)), torch.randn(256, 1)) for _ in range(20)]

    def step(s):
        x, ya, yb, yc = batches[s % 20]
        a, b, c = net(x)
        loss = F.cross_entropy(a, ya) + F.cross_entropy(b, yb) + F.mse_loss(c, yc)
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        optimizer.step()
        return loss.item()

    for s in range(10):
        step(s)
    start = time.perf_counter()
    last = 0.0
    for s in range(args.steps):
        last = step(10 + s)
    seconds = time.perf_counter() - start
    print(f"name=mlp_multitask_torch steps={args.steps} batch=256 threads={args.threads} "
          f"us_per_step={seconds / args.steps * 1e6:.1f} final_loss={last:.6f}")


if __name__ == "__main__":
    main()
