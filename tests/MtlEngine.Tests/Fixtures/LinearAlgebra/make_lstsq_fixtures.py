#!/usr/bin/env python3
"""Minimum-norm least-squares fixtures for PivotedQr.MinimumNormLeastSquares: numpy.linalg.lstsq (SVD, gelsd) on
rank-deficient, underdetermined, zero and full-rank problems, with the rank it reports.
Run: /usr/bin/python3 make_lstsq_fixtures.py > lstsq_fixtures.json"""
import json

import numpy as np

rng = np.random.default_rng(20261122)


def low_rank(m, n, r):
    return rng.uniform(-1, 1, (m, r)) @ rng.uniform(-1, 1, (r, n))


def case(name, a, b, rcond=None):
    x, _, rank, sv = np.linalg.lstsq(a, b, rcond=rcond)
    return name, {"a": a.tolist(), "b": b.tolist(), "x": x.tolist(), "rank": int(rank),
                  "rcond": -1.0 if rcond is None else rcond}


cases = []
cases.append(case("tall_rank3", low_rank(12, 7, 3), rng.uniform(-1, 1, (12, 2))))
cases.append(case("wide_full_row_rank", rng.uniform(-1, 1, (5, 9)), rng.uniform(-1, 1, (5, 1))))
cases.append(case("wide_rank4", low_rank(6, 10, 4), rng.uniform(-1, 1, (6, 3))))
dup = rng.uniform(-1, 1, (15, 5))
dup = np.hstack([dup, dup[:, [1, 3]], 2 * dup[:, [0]]])  # 8 columns, rank 5
cases.append(case("duplicated_columns", dup, rng.uniform(-1, 1, (15, 2))))
cases.append(case("zero", np.zeros((4, 3)), rng.uniform(-1, 1, (4, 1))))
cases.append(case("full_rank_tall", rng.uniform(-1, 1, (20, 6)), rng.uniform(-1, 1, (20, 2))))
noisy = low_rank(30, 12, 5) + 1e-13 * rng.uniform(-1, 1, (30, 12))
cases.append(case("near_rank5", noisy, rng.uniform(-1, 1, (30, 1)), rcond=1e-9))
# (No Hilbert case: its singular values decay without a gap, so a truncated SVD and a truncated pivoted QR keep
# different subspaces and rightly give different "minimum-norm" solutions.)
print(json.dumps(dict(cases), indent=None))
