"""Largest absolute difference between two float64 safetensors model files with the same tensors.

    safetensors_diff.py A.safetensors B.safetensors    -> prints max |A - B| over every tensor (e.g. 1.7e-14)

Used by out_of_core.sh and cluster_fit.sh to check that two fits give the same model.
"""
import json
import struct
import sys

import numpy as np


def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    head = json.loads(b[8:8 + n])
    out = {}
    for k, v in head.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F64", (path, k, v["dtype"])
        s, e = v["data_offsets"]
        out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype="<f8").reshape(v["shape"])
    return out


a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), (sorted(a), sorted(b))
print("%.3g" % max(float(np.max(np.abs(a[k] - b[k]))) for k in a))
