#!/usr/bin/python3
"""Reference values for tests/MtlEngine.Tests/LinearAlgebra/FixtureTests.cs, from NumPy (LAPACK).
Run with /usr/bin/python3 (Debian's numpy) from this folder: ./make_linalg_fixtures.py > linalg_fixtures.json
Matrices are small and stored in full, so the tests need no Python."""
import json

import numpy as np

rng = np.random.default_rng(20261122)


def mat(a):
    return [[float(v) for v in row] for row in a]


cases = {}

s = rng.uniform(-1, 1, (8, 8))
s = np.tril(s) + np.tril(s, -1).T
w, v = np.linalg.eigh(s)
cases["eigh"] = {"a": mat(s), "values": [float(x) for x in w]}

h = 1.0 / (np.arange(8)[:, None] + np.arange(8)[None, :] + 1)
cases["eigh_hilbert"] = {"a": mat(h), "values": [float(x) for x in np.linalg.eigvalsh(h)]}

x = rng.uniform(-1, 1, (9, 6))
u, sv, vt = np.linalg.svd(x, full_matrices=False)
# svd_flip (u-based): largest |u| entry of each column positive.
signs = np.sign(u[np.argmax(np.abs(u), axis=0), range(u.shape[1])])
cases["svd"] = {"a": mat(x), "values": [float(z) for z in sv], "u": mat(u * signs)}

wide = rng.uniform(-1, 1, (4, 7))
cases["svd_wide"] = {"a": mat(wide), "values": [float(z) for z in np.linalg.svd(wide, compute_uv=False)]}

d = rng.uniform(-1, 1, (7, 7))
cases["det"] = {"a": mat(d), "det": float(np.linalg.det(d))}

b = rng.uniform(-1, 1, (6, 6))
spd = b @ b.T + 6 * np.eye(6)
sign, logdet = np.linalg.slogdet(spd)
cases["logdet"] = {"a": mat(spd), "logdet": float(logdet)}

ls_a = rng.uniform(-1, 1, (10, 4))
ls_b = rng.uniform(-1, 1, 10)
cases["lstsq"] = {"a": mat(ls_a), "b": [float(z) for z in ls_b],
                  "x": [float(z) for z in np.linalg.lstsq(ls_a, ls_b, rcond=None)[0]]}

low = rng.uniform(-1, 1, (8, 3)) @ rng.uniform(-1, 1, (3, 6))
low_b = rng.uniform(-1, 1, 8)
cases["lstsq_rank_deficient"] = {"a": mat(low), "b": [float(z) for z in low_b], "rank": int(np.linalg.matrix_rank(low)),
                                 "x": [float(z) for z in np.linalg.lstsq(low, low_b, rcond=None)[0]]}

h6 = 1.0 / (np.arange(6)[:, None] + np.arange(6)[None, :] + 1)
cases["cond_hilbert6"] = {"a": mat(h6), "cond2": float(np.linalg.cond(h6))}

# float32 (LAPACK's spotrf / sgesv on float32 inputs), for Linalg's float32 path; the inputs are float32 values stored
# exactly as doubles.
g32 = rng.uniform(-1, 1, (12, 12)).astype(np.float32)
spd32 = g32 @ g32.T + np.float32(12) * np.eye(12, dtype=np.float32)
l32 = np.linalg.cholesky(spd32)
assert spd32.dtype == np.float32 and l32.dtype == np.float32
cases["cholesky_f32"] = {"a": mat(spd32), "l": mat(l32)}
a32 = rng.uniform(-1, 1, (9, 9)).astype(np.float32)
b32 = rng.uniform(-1, 1, (9, 3)).astype(np.float32)
x32 = np.linalg.solve(a32, b32)
assert x32.dtype == np.float32
cases["solve_f32"] = {"a": mat(a32), "b": mat(b32), "x": mat(x32)}

print(json.dumps(cases, indent=1))
