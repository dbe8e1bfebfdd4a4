#!/usr/bin/python3
"""PyTorch peer of `mtl train` on the digits example (`mtl example digits`): the same network, batches and epochs.

Reads the example's files from DIR: pixels.npy (1797 x 64), digit.npy, parity.npy, at_least_5.npy. The same split as
ours is not needed for timing: 1294 training rows (the spec's train part), batch 32, shuffled each epoch. The network:
pixels standardized -> Linear 64 -> ReLU (the mlp encoder) -> Linear 64 -> ReLU (the trunk) -> three heads (10, 2, 2),
cross-entropy per task summed, Adam lr 3e-3, float32. Prints the median epoch's seconds (as ours in metrics.json):
    name=train_digits seconds=<median seconds per epoch> epochs=15 accuracy=<digit accuracy on the rest>
"""
import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = np.load(f"{args.dir}/pixels.npy").astype(np.float32)
    tasks = [np.load(f"{args.dir}/{t}.npy").astype(np.int64) for t in ("digit", "parity", "at_least_5")]
    x = (x - x.mean(0)) / np.where(x.std(0) > 1e-12, x.std(0), 1)
    order = np.random.default_rng(0).permutation(len(x))
    train, rest = order[:1294], order[1294:]
    x = torch.from_numpy(x)
    ys = [torch.from_numpy(t) for t in tasks]
    encoder = nn.Sequential(nn.Linear(64, 64), nn.ReLU())
    trunk = nn.Sequential(nn.Linear(64, 64), nn.ReLU())
    heads = nn.ModuleList([nn.Linear(64, 10), nn.Linear(64, 2), nn.Linear(64, 2)])
    parameters = list(encoder.parameters()) + list(trunk.parameters()) + list(heads.parameters())
    optimizer = torch.optim.Adam(parameters, lr=3e-3)
    seconds = []
    for epoch in range(args.epochs):
        perm = torch.from_numpy(train[np.random.default_rng(epoch + 1).permutation(len(train))])
        start = time.perf_counter()
        for b in range(0, len(perm), 32):
            rows = perm[b:b + 32]
            h = trunk(encoder(x[rows]))
            loss = sum(F.cross_entropy(head(h), y[rows]) for head, y in zip(heads, ys))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    with torch.no_grad():
        accuracy = (heads[0](trunk(encoder(x[rest]))).argmax(1) == ys[0][rest]).float().mean().item()
    print(f"name=train_digits seconds={statistics.median(seconds):.6f} epochs={args.epochs} accuracy={accuracy:.4f}")


if __name__ == "__main__":
    main()
