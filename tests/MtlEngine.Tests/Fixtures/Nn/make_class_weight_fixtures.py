#!/usr/bin/python3
"""Reference values for tests/MtlEngine.Tests/Nn/ClassBalancingTests.cs: scikit-learn 1.2's
compute_class_weight("balanced") on labels with a missing class and PyTorch 1.13's weighted cross-entropy
(F.cross_entropy(z, y, weight=w), ignore_index=-100 for missing labels: Σ w_y·nll / Σ w_y over the labelled rows) with
those weights, its value and its gradient of the logits, in float64. Inputs are closed form (sin of the flat index).

Run: /usr/bin/python3 make_class_weight_fixtures.py  (writes class_weight_fixtures.json beside this script).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils.class_weight import compute_class_weight

HERE = os.path.dirname(os.path.abspath(__file__))
labels = [0, 2, 2, 4, 2, -1, 0, 2, 4, 2, -1, 2]  # class 1 and 3 never occur; -1 = missing
classes = 5
labelled = np.array([l for l in labels if l >= 0])
present = np.unique(labelled)
balanced = compute_class_weight("balanced", classes=present, y=labelled)
weights = [1.0] * classes  # a class without samples keeps weight 1
for c, w in zip(present, balanced):
    weights[int(c)] = float(w)

n = len(labels)
z = torch.tensor([math.sin(0.7 * i + 0.1) * 2 for i in range(n * classes)], dtype=torch.float64).reshape(n, classes).requires_grad_(True)
y = torch.tensor([l if l >= 0 else -100 for l in labels])
loss = F.cross_entropy(z, y, weight=torch.tensor(weights, dtype=torch.float64))
loss.backward()
with open(os.path.join(HERE, "class_weight_fixtures.json"), "w") as f:
    json.dump({"torch": torch.__version__, "labels": labels, "classes": classes, "balanced_weights": weights,
               "loss": float(loss), "grad": [float(v) for v in z.grad.reshape(-1).tolist()]}, f)
print("wrote class_weight_fixtures.json")
