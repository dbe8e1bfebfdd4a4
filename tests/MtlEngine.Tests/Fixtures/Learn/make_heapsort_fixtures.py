"""Writes heapsort_fixtures.json: NumPy 1.24's argsort kind="heapsort" (aheapsort_, the fallback of its default introsort past the
depth limit) on keys with many ties, for NumpyArgsort.Heapsort. Run with /usr/bin/python3 from this folder."""
import json

import numpy as np

rng = np.random.default_rng(11)
cases = []
for n in [2, 3, 7, 16, 31, 200]:
    keys = -rng.integers(1, 6, size=n).astype(np.float64)
    cases.append({"keys": keys.tolist(), "order": np.argsort(keys, kind="heapsort").tolist()})
keys = np.sin(np.arange(57) * 0.7).round(1)
cases.append({"keys": keys.tolist(), "order": np.argsort(keys, kind="heapsort").tolist()})
with open("heapsort_fixtures.json", "w") as f:
    json.dump({"numpy": np.__version__, "cases": cases}, f)
