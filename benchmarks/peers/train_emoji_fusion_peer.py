#!/usr/bin/python3
"""PyTorch peer of `mtl train` on `mtl example emoji` with model.fusion concat: the same network, batches and epochs.

    train_emoji_fusion_peer.py --make DIR --epochs E
        DIR holds `mtl example emoji`'s files (pictures.npy, names.txt, category.npy, subcategory.npy, spec.json); writes
        DIR/spec-timing.json: the example's spec with model.fusion concat, E epochs and early stopping off (both sides run E).
    train_emoji_fusion_peer.py DIR --threads T --epochs E
        trains the same network in PyTorch and prints the median epoch's seconds (as ours in metrics.json):
        name=train_emoji_fusion seconds=<median seconds per epoch> epochs=E accuracy=<category accuracy on the test rows>

The network (the example spec's, as src/MtlEngine/MultiModal/Encoders.cs and MultiTask/HardParameterSharing.cs build it):
picture (32x32 RGB, uint8 / 255, NCHW): Conv2d(3, 16, 3, padding 1) -> ReLU -> MaxPool2d(2) -> Conv2d(16, 32, 3, padding 1)
-> ReLU -> MaxPool2d(2) -> AdaptiveAvgPool2d(2, 2) -> flatten (128); name: lower-cased word tokens (scikit-learn's
pattern, as our TextAnalyzer), vocabulary of the training rows' tokens, EmbeddingBag(V, 32, mean) (32); concatenation (160)
-> trunk Linear(160, 128) -> ReLU -> a head per task Linear(128, 9) (category), Linear(128, 98) (subcategory);
cross-entropy per task summed, Adam lr 0.003, batch 64, float32. Split as ours: 20% test, then 10% of the rest validation.
The timed part of an epoch is the training steps with the batch gathering, validation excluded (as ours).
"""
import argparse
import json
import re
import statistics
import time

import numpy as np

BATCH, LR, DIM, HIDDEN = 64, 0.003, 32, 128
TOKEN = re.compile(r"(?u)\b\w\w+\b")


def make(directory, epochs):
    with open(f"{directory}/spec.json") as f:
        spec = json.load(f)
    spec["model"]["fusion"] = "concat"
    spec["training"]["epochs"] = epochs
    spec["training"].pop("early_stopping", None)
    with open(f"{directory}/spec-timing.json", "w") as f:
        json.dump(spec, f, indent=1)


def train(directory, threads, epochs):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    pictures = np.load(f"{directory}/pictures.npy")  # (n, 32, 32, 3) uint8
    x = torch.from_numpy(np.ascontiguousarray(pictures.transpose(0, 3, 1, 2)).astype(np.float32) / 255)
    with open(f"{directory}/names.txt") as f:
        names = f.read().split("\n")[: len(pictures)]
    ys = [torch.from_numpy(np.load(f"{directory}/{t}.npy").astype(np.int64)) for t in ("category", "subcategory")]
    classes = [int(y.max()) + 1 for y in ys]
    n = len(x)
    test = round(n * 0.2)
    train_count = (n - test) - round((n - test) * 0.1)
    order = np.random.default_rng(0).permutation(n)
    train_rows, test_rows = order[:train_count], order[n - test:]

    tokens = [TOKEN.findall(name.lower()) for name in names]
    vocabulary = {}
    for r in train_rows:
        for t in tokens[r]:
            vocabulary.setdefault(t, len(vocabulary))
    ids = [[vocabulary[t] for t in row if t in vocabulary][:64] for row in tokens]

    def bags(rows):
        flat = [i for r in rows for i in ids[r]]
        offsets = np.cumsum([0] + [len(ids[r]) for r in rows[:-1]])
        return torch.tensor(flat, dtype=torch.int64), torch.from_numpy(offsets.astype(np.int64))

    class Fusion(nn.Module):
        def __init__(self):
            super().__init__()
            self.picture = nn.Sequential(
                nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten())
            self.name = nn.EmbeddingBag(len(vocabulary), DIM, mode="mean")
            nn.init.normal_(self.name.weight)
            self.trunk = nn.Sequential(nn.Linear(128 + DIM, HIDDEN), nn.ReLU())
            self.heads = nn.ModuleList([nn.Linear(HIDDEN, k) for k in classes])

        def forward(self, pictures, flat, offsets):
            shared = self.trunk(torch.cat([self.picture(pictures), self.name(flat, offsets)], dim=1))
            return [head(shared) for head in self.heads]

    model = Fusion()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    seconds = []
    for epoch in range(epochs):
        perm = train_rows[np.random.default_rng(epoch + 1).permutation(len(train_rows))]
        start = time.perf_counter()
        for b in range(0, len(perm), BATCH):
            rows = perm[b:b + BATCH]
            index = torch.from_numpy(rows)
            outputs = model(x[index], *bags(rows))
            loss = sum(F.cross_entropy(o, y[index]) for o, y in zip(outputs, ys))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    with torch.no_grad():
        index = torch.from_numpy(test_rows)
        accuracy = (model(x[index], *bags(test_rows))[0].argmax(1) == ys[0][index]).float().mean().item()
    print(f"name=train_emoji_fusion seconds={statistics.median(seconds):.6f} epochs={epochs} accuracy={accuracy:.4f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--make", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    if args.make:
        make(args.dir, args.epochs)
    else:
        train(args.dir, args.threads, args.epochs)


if __name__ == "__main__":
    main()
