#!/usr/bin/python3
"""PyTorch peer of `mtl train` with model.architecture mmoe on Multi-Fashion: the same network, batches and epochs.

    train_mmoe_peer.py --make DIR [--fashion FOLDER] [--samples N]
        writes DIR/pictures.npy (N x 36 x 36 uint8), DIR/left.npy, DIR/right.npy (int64 classes) and DIR/spec.json:
        Multi-Fashion as Lin et al. 2019 build Multi-MNIST, two Fashion-MNIST items overlaid (max) in one 36 x 36
        picture, one at the top left and one at the bottom right; task left the first item's class, task right the
        second's. Without the Fashion-MNIST files the items are seeded noise (the timing is the same).
    train_mmoe_peer.py DIR --threads T --epochs E
        trains the spec's MMoE in PyTorch and prints the median epoch's seconds (as ours in metrics.json):
        name=train_mmoe seconds=<median seconds per epoch> epochs=E accuracy=<left accuracy on the held-out rows>

The network (the spec's): the picture flattened (1296, scaled to [0, 1] as ours does pictures), E experts
Linear(1296, H) -> ReLU, per task a gate softmax(Linear(1296, E)), the mixture sum_e g_e * expert_e, a tower
Linear(H, TOWER) -> ReLU and a head Linear(TOWER, 10); cross-entropy per task summed, Adam, batch 64, float32.
"""
import argparse
import gzip
import json
import statistics
import time

import numpy as np

EXPERTS, HIDDEN, TOWER, BATCH, LR = 4, 128, 32, 64, 1e-3


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def make(directory, fashion, samples):
    rng = np.random.default_rng(0)
    try:
        images = read_idx(f"{fashion}/train-images-idx3-ubyte.gz")
        labels = read_idx(f"{fashion}/train-labels-idx1-ubyte.gz").astype(np.int64)
    except OSError:
        images = rng.integers(0, 256, size=(2 * samples, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=2 * samples).astype(np.int64)
    first = rng.permutation(len(images))[:samples]
    second = rng.permutation(len(images))[:samples]
    pictures = np.zeros((samples, 36, 36), dtype=np.uint8)
    pictures[:, :28, :28] = images[first]
    pictures[:, 8:, 8:] = np.maximum(pictures[:, 8:, 8:], images[second])
    np.save(f"{directory}/pictures.npy", pictures)
    np.save(f"{directory}/left.npy", labels[first])
    np.save(f"{directory}/right.npy", labels[second])
    spec = {
        "inputs": [{"name": "picture", "type": "image", "path": "pictures.npy", "encoder": {"type": "identity"}}],
        "tasks": [{"name": "left", "type": "category", "path": "left.npy"}, {"name": "right", "type": "category", "path": "right.npy"}],
        "split": {"test_fraction": 0.1, "validation_fraction": 0.1, "seed": 0},
        "model": {"architecture": "mmoe", "experts": EXPERTS, "expert_hidden": [HIDDEN], "tower_hidden": [TOWER]},
        "training": {"epochs": 5, "batch_size": BATCH, "learning_rate": LR, "seed": 0},
    }
    with open(f"{directory}/spec.json", "w") as f:
        json.dump(spec, f, indent=2)


def train(directory, threads, epochs):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = np.load(f"{directory}/pictures.npy").reshape(-1, 36 * 36).astype(np.float32) / 255
    ys = [torch.from_numpy(np.load(f"{directory}/{t}.npy")) for t in ("left", "right")]
    n = len(x)
    test = round(n * 0.1)
    train_count = (n - test) - round((n - test) * 0.1)  # ours: test fraction, then validation from the rest
    order = np.random.default_rng(0).permutation(n)
    train_rows, rest = order[:train_count], order[train_count:]
    x = torch.from_numpy(x)

    class MMoE(nn.Module):
        def __init__(self):
            super().__init__()
            self.experts = nn.ModuleList([nn.Sequential(nn.Linear(1296, HIDDEN), nn.ReLU()) for _ in range(EXPERTS)])
            self.gates = nn.ModuleList([nn.Linear(1296, EXPERTS) for _ in ys])
            self.towers = nn.ModuleList([nn.Sequential(nn.Linear(HIDDEN, TOWER), nn.ReLU()) for _ in ys])
            self.heads = nn.ModuleList([nn.Linear(TOWER, 10) for _ in ys])

        def forward(self, inputs):
            experts = torch.stack([e(inputs) for e in self.experts], dim=1)  # (n, E, H)
            outputs = []
            for gate, tower, head in zip(self.gates, self.towers, self.heads):
                mixture = (F.softmax(gate(inputs), dim=-1).unsqueeze(2) * experts).sum(1)
                outputs.append(head(tower(mixture)))
            return outputs

    model = MMoE()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    seconds = []
    for epoch in range(epochs):
        perm = torch.from_numpy(train_rows[np.random.default_rng(epoch + 1).permutation(len(train_rows))])
        start = time.perf_counter()
        for b in range(0, len(perm), BATCH):
            rows = perm[b:b + BATCH]
            outputs = model(x[rows])
            loss = sum(F.cross_entropy(o, y[rows]) for o, y in zip(outputs, ys))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    with torch.no_grad():
        accuracy = (model(x[rest])[0].argmax(1) == ys[0][rest]).float().mean().item()
    print(f"name=train_mmoe seconds={statistics.median(seconds):.6f} epochs={epochs} accuracy={accuracy:.4f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--make", action="store_true")
    parser.add_argument("--fashion", default="")
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    if args.make:
        make(args.dir, args.fashion, args.samples)
    else:
        train(args.dir, args.threads, args.epochs)


if __name__ == "__main__":
    main()
