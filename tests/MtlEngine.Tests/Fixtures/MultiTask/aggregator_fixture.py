#!/usr/bin/python3
"""Reference directions and weights of the exact gradient aggregators, written to
tests/MtlEngine.Tests/Fixtures/MultiTask/aggregators.json for AggregatorFixtureTests.

Every method is implemented here from its paper's formula, independently of the C# code: in 60-digit arithmetic
(mpmath) on the float64 Jacobians, and by brute force where the method is an optimization problem (every face of the
feasible set is tried, its stationarity system solved exactly, and the feasible candidate of least objective kept).
So the references are exact to far more digits than the 1e-8 the tests ask for, also when the task-gradient norms
differ by 1e6 and when the Jacobian is rank-deficient.

Run: /usr/bin/python3 tests/MtlEngine.Tests/Fixtures/MultiTask/aggregator_fixture.py
"""
import itertools
import json
import os

import mpmath as mp
import numpy as np

mp.mp.dps = 60
CAGRAD_C = 0.5


def gramian(j):
    t = len(j)
    return mp.matrix([[mp.fsum(mp.mpf(a) * mp.mpf(b) for a, b in zip(j[r], j[s])) for s in range(t)] for r in range(t)])


def combine(j, w):
    return [float(mp.fsum(mp.mpf(w[t]) * mp.mpf(j[t][p]) for t in range(len(j)))) for p in range(len(j[0]))]


def quad(g, x, y):
    n = g.rows
    return mp.fsum(x[i] * g[i, k] * y[k] for i in range(n) for k in range(n))


def solve_or_none(k, rhs):
    """k⁻¹·rhs by Gaussian elimination with full pivoting, or None when k is singular at 60 digits (a pivot below
    1e-40 of the largest entry: exactly singular systems from float64 data give pivots near 1e-60)."""
    n = k.rows
    a = [[k[i, r] for r in range(n)] + [rhs[i]] for i in range(n)]
    scale = max(abs(a[i][r]) for i in range(n) for r in range(n))
    if scale == 0:
        return None
    cols = list(range(n))
    for step in range(n):
        pi, pc = max(((i, c) for i in range(step, n) for c in range(step, n)), key=lambda ic: abs(a[ic[0]][ic[1]]))
        if abs(a[pi][pc]) <= scale * mp.mpf(10) ** -40:
            return None
        a[step], a[pi] = a[pi], a[step]
        for row in a:
            row[step], row[pc] = row[pc], row[step]
        cols[step], cols[pc] = cols[pc], cols[step]
        for i in range(step + 1, n):
            factor = a[i][step] / a[step][step]
            if factor != 0:
                for c in range(step, n + 1):
                    a[i][c] -= factor * a[step][c]
    y = [mp.mpf(0)] * n
    for i in range(n - 1, -1, -1):
        y[i] = (a[i][n] - mp.fsum(a[i][c] * y[c] for c in range(i + 1, n))) / a[i][i]
    x = mp.matrix(n, 1)
    for i in range(n):
        x[cols[i]] = y[i]
    return x


def faces(n, nonempty=True):
    for size in range(1 if nonempty else 0, n + 1):
        for f in itertools.combinations(range(n), size):
            yield list(f)


def simplex_qp(g, b):
    """argmin over the simplex of bᵀw + ½wᵀGw: every face F, KKT [G_FF 1; 1ᵀ 0][w; −ν] = [−b_F; 1]."""
    n = g.rows
    best, best_q = None, None
    for f in faces(n):
        k = len(f)
        kkt = mp.matrix(k + 1, k + 1)
        rhs = mp.matrix(k + 1, 1)
        for i in range(k):
            for r in range(k):
                kkt[i, r] = g[f[i], f[r]]
            kkt[i, k] = kkt[k, i] = 1
            rhs[i] = -b[f[i]]
        rhs[k] = 1
        sol = solve_or_none(kkt, rhs)
        if sol is None or any(sol[i] < -mp.mpf(10) ** -40 for i in range(k)):
            continue
        w = [mp.mpf(0)] * n
        for i in range(k):
            w[f[i]] = max(sol[i], mp.mpf(0))
        q = mp.fsum(b[i] * w[i] for i in range(n)) + quad(g, w, w) / 2
        if best_q is None or q < best_q - mp.mpf(10) ** -40 * (1 + abs(best_q)):
            best, best_q = w, q
    return best


def mgda(j):
    """Sener & Koltun 2018: w = argmin_{w ∈ Δ} wᵀGw, D = Jᵀw."""
    g = gramian(j)
    w = simplex_qp(g, [mp.mpf(0)] * len(j))
    return combine(j, w), [float(x) for x in w]


def upgrad(j):
    """Quinton & Lavoie 2024: vᵢ = argmin_{v ≥ eᵢ} vᵀGv, W = mean vᵢ, D = JᵀW (no regularization)."""
    g = gramian(j)
    t = len(j)
    total = [mp.mpf(0)] * t
    for i in range(t):
        lower = [mp.mpf(1 if r == i else 0) for r in range(t)]
        best, best_q = None, None
        for f in faces(t, nonempty=False):
            fixed = [r for r in range(t) if r not in f]
            v = list(lower)
            if f:
                k = mp.matrix(len(f), len(f))
                rhs = mp.matrix(len(f), 1)
                for a, ra in enumerate(f):
                    for b, rb in enumerate(f):
                        k[a, b] = g[ra, rb]
                    rhs[a] = -mp.fsum(g[ra, rc] * lower[rc] for rc in fixed)
                sol = solve_or_none(k, rhs)
                if sol is None or any(sol[a] < lower[ra] - mp.mpf(10) ** -40 for a, ra in enumerate(f)):
                    continue
                for a, ra in enumerate(f):
                    v[ra] = sol[a]
            q = quad(g, v, v)
            if best_q is None or q < best_q - mp.mpf(10) ** -40 * (1 + abs(best_q)):
                best, best_q = v, q
        for r in range(t):
            total[r] += best[r] / t
    return combine(j, total), [float(x) for x in total]


def cagrad(j, c=CAGRAD_C):
    """Liu et al. 2021: w = argmin_{w ∈ Δ} bᵀw + ρ‖g_w‖ (b = G·1/T, ρ = c‖g0‖); D = g0 + ρ/‖g_w‖·g_w (no rescale).

    On a face F the stationary point of the dual satisfies b_F + (ρ/s)·G_FF·w_F = ν·1, Σw_F = 1, s = ‖g_w‖, i.e. w is
    the face minimizer of u·bᵀw + ½wᵀGw at u = s/ρ: w = α + u·β, and s² = ρ²u² is a quadratic in u."""
    g = gramian(j)
    t = len(j)
    b = [mp.fsum(g[i, r] for r in range(t)) / t for i in range(t)]
    g0 = [mp.fsum(mp.mpf(j[r][p]) for r in range(t)) / t for p in range(len(j[0]))]
    rho = mp.mpf(c) * mp.sqrt(mp.fsum(x * x for x in g0))
    mean = [mp.mpf(1) / t] * t
    if rho == 0:
        return combine(j, mean), [float(x) for x in mean]
    best, best_f = None, None
    for f in faces(t):
        k = len(f)
        kkt = mp.matrix(k + 1, k + 1)
        for i in range(k):
            for r in range(k):
                kkt[i, r] = g[f[i], f[r]]
            kkt[i, k] = kkt[k, i] = 1
        candidates = []
        if k == 1:
            w = [mp.mpf(0)] * t
            w[f[0]] = mp.mpf(1)
            candidates.append(w)
        else:
            rhs0 = mp.matrix(k + 1, 1)
            rhs0[k] = 1
            rhs1 = mp.matrix(k + 1, 1)
            for i in range(k):
                rhs1[i] = -b[f[i]]
            a0 = solve_or_none(kkt, rhs0)
            a1 = solve_or_none(kkt, rhs1)
            if a0 is None or a1 is None:
                continue
            alpha = [mp.mpf(0)] * t
            beta = [mp.mpf(0)] * t
            for i in range(k):
                alpha[f[i]] = a0[i]
                beta[f[i]] = a1[i]
            aa, ab, bb = quad(g, alpha, alpha), quad(g, alpha, beta), quad(g, beta, beta)
            p = rho * rho - bb
            disc = ab * ab + p * aa
            if p <= 0 or disc < 0:
                continue
            u = (ab + mp.sqrt(disc)) / p
            if u <= 0:
                continue
            w = [alpha[i] + u * beta[i] for i in range(t)]
            if any(x < -mp.mpf(10) ** -40 for x in w):
                continue
            candidates.append([max(x, mp.mpf(0)) for x in w])
        for w in candidates:
            value = mp.fsum(b[i] * w[i] for i in range(t)) + rho * mp.sqrt(max(quad(g, w, w), mp.mpf(0)))
            if best_f is None or value < best_f - mp.mpf(10) ** -40 * (1 + abs(best_f)):
                best, best_f = w, value
    s = mp.sqrt(quad(g, best, best))
    weights = [mean[i] + rho / s * best[i] for i in range(t)]
    return combine(j, weights), [float(x) for x in weights]


def spectrum(g):
    values, vectors = mp.eigsy(g)
    top = max(abs(v) for v in values)
    keep = [k for k in range(g.rows) if values[k] > top * mp.mpf(10) ** -30]
    return values, vectors, keep


def imtl_g(j):
    """Liu et al. 2021 IMTL-G: G·α = κ·n, Σα = 1 (n the row norms); pinv(G) where G is singular (TorchJD's generalization)."""
    g = gramian(j)
    t = len(j)
    norms = [mp.sqrt(g[i, i]) for i in range(t)]
    values, vectors, keep = spectrum(g)
    v = [mp.fsum(vectors[i, k] * mp.fsum(vectors[r, k] * norms[r] for r in range(t)) / values[k] for k in keep) for i in range(t)]
    total = mp.fsum(v)
    weights = [x / total for x in v]
    return combine(j, weights), [float(x) for x in weights]


def aligned_mtl(j):
    """Senushkin et al. 2023, Algorithm 1 with the official/LibMTL task weights 1: W = √λ_R·V·Λ^(−1/2)·Vᵀ·1 on the range of G."""
    g = gramian(j)
    t = len(j)
    values, vectors, keep = spectrum(g)
    smallest = min(values[k] for k in keep)
    weights = [mp.fsum(vectors[i, k] * mp.sqrt(smallest / values[k]) * mp.fsum(vectors[r, k] for r in range(t)) for k in keep)
               for i in range(t)]
    return combine(j, weights), [float(x) for x in weights]


def mean(j):
    t = len(j)
    w = [mp.mpf(1) / t] * t
    return combine(j, w), [float(x) for x in w]


METHODS = {"mean": mean, "mgda": mgda, "upgrad": upgrad, "cagrad": cagrad, "imtl-g": imtl_g, "aligned-mtl": aligned_mtl}


def cases():
    rng = np.random.default_rng(15)
    out = []
    for t, p in [(2, 5), (3, 7), (4, 6), (5, 9), (6, 11), (8, 10)]:
        out.append((f"conflicting T={t}", rng.standard_normal((t, p)), True))
    for t, p in [(2, 6), (3, 5), (5, 8), (7, 9)]:
        base = rng.standard_normal(p)
        out.append((f"agreeing T={t}", base + 0.3 * rng.standard_normal((t, p)), True))
    for t, p in [(3, 6), (5, 7), (8, 9)]:
        j = rng.standard_normal((t, p)) * (10.0 ** np.linspace(-3, 3, t))[:, None]
        out.append((f"norms 1e6 apart T={t}", j, True))
    out.append(("norms 1e6 apart, conflicting pair T=2", np.array([[1.0, 0.2, -0.3, 0.1], [-2e-6, 1e-6, 0.5e-6, 1e-6]]), True))
    dup = rng.standard_normal((4, 6))
    dup[2] = dup[0]
    out.append(("duplicate rows T=4", dup, False))
    out.append(("T > P: T=6, P=3", rng.standard_normal((6, 3)), False))
    out.append(("T > P: T=8, P=4", rng.standard_normal((8, 4)), False))
    out.append(("one task", rng.standard_normal((1, 5)), True))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "aggregators.json")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    records = []
    for name, j, full_rank in cases():
        rows = [[float(x) for x in row] for row in j]
        record = {"name": name, "jacobian": rows, "full_rank": full_rank, "expected": {}}
        for method, fn in METHODS.items():
            d, w = fn(rows)
            record["expected"][method] = {"direction": d, "weights": w}
        records.append(record)
        print(name, "done", flush=True)
    with open(target, "w") as f:
        json.dump({"cagrad_c": CAGRAD_C, "cases": records}, f, indent=1)
    print("wrote", os.path.normpath(target))


if __name__ == "__main__":
    main()
