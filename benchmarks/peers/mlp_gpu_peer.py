#!/usr/bin/python3
"""PyTorch peer of `mtl bench mlp --device cuda`: the same multi-task training step on the GPU, timed the same way.

The workload of mlp_peer.py (input 512 -> Linear 256 -> ReLU -> Linear 256 -> ReLU -> three heads: 10-class
cross-entropy, 5-class cross-entropy, 1-output MSE; losses summed; batch 256; Adam lr 1e-3; float32; 20 seeded
random batches cycled; 10 warm-up steps, then --steps timed steps), with the network and the 20 batches on the GPU
(moved once, before timing, as the engine does). Every step ends with loss.item(), which waits for the step's kernels,
as the engine's step does (its loss is read back with Item()). TF32 is off (true float32 matmuls, like the engine's
kernels). The labels live on the GPU here; the engine uploads its host labels (256 ints) each step. Prints
    name=mlp_multitask_torch steps=100 batch=256 device=cuda us_per_step=... final_loss=...
Needs a machine with an NVIDIA GPU and a CUDA build of PyTorch:
    /usr/bin/python3 mlp_gpu_peer.py --steps 100 [--device cuda]
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("mlp_gpu_peer.py: no CUDA device is available to PyTorch (needs an NVIDIA GPU and a CUDA build of torch)")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device(args.device)
    torch.manual_seed(2024)
    net = MultiTaskNet().to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    batches = [(torch.randn(256, 512), torch.randint(0, 10, (256,)), torch.randint(0, 5, (256,)), torch.randn(256, 1)) for _ in range(20)]
    batches = [tuple(t.to(device) for t in batch) for batch in batches]

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
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    last = 0.0
    for s in range(args.steps):
        last = step(10 + s)
    seconds = time.perf_counter() - start
    print(f"name=mlp_multitask_torch steps={args.steps} batch=256 device={args.device} "
          f"us_per_step={seconds / args.steps * 1e6:.1f} final_loss={last:.6f}")


if __name__ == "__main__":
    main()
