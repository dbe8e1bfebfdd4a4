#!/usr/bin/python3
"""Writes aggregators_hard.json (next to this script): reference solutions of every `mtl aggregate` method on hard
Jacobians (T = 2..8, P = 3..1000, task-gradient norms 10^6 apart, rank-deficient, conflicting and not), computed by
routes DIFFERENT from the C# solvers and to far more than double precision (mpmath, 50 digits, on the exact values
of the stored float64 J):

- mgda:        the min-norm point of the convex hull by enumerating the faces of the simplex (NumPy, unit basis),
               then the KKT system [G_FF 1; 1^T 0][w; -nu] = [0; 1] solved on the chosen face in mpmath, and the KKT
               conditions (w >= 0, g_j.D >= |D|^2 for all j, = on the support) checked in mpmath.
- upgrad:      each projection min v^T G v over v >= e_i by SciPy's NNLS (Lawson-Hanson) on the unit columns to find
               the face, then G_FF z_F = -G_{F,i} solved on it in mpmath; KKT: z >= 0, G v >= 0, (G v)_F = 0.
- cagrad:      the primal max_d min_t g_t.d over |d - g0| <= c|g0|, by enumerating faces F in NumPy with the closed form
               on each (G_FF x = m 1 - b_F, x^T G_FF x = rho^2, the larger root m), then that closed form in mpmath;
               KKT: x >= 0, g_j.D >= m for all j, = m on F, |D - g0| = rho.
- nash-mtl, fairgrad: damped Newton in mpmath on the convex f(v) = 1/2 v^T C v - sum r_i phi(v_i) (cosine matrix C,
               v_i = |g_i| w_i), to a residual of 1e-40; undefined (no solution) where MGDA's min-norm point is 0.
- imtl-g:      alpha = G^-1 n / 1^T G^-1 n in mpmath (n the norms); for a singular G the pseudo-inverse (TorchJD's IMTLG
               convention) from mpmath's symmetric eigensolver; the eigenvectors of the dropped eigenvalues (the null
               space) are stored, for the test of the pseudo-inverse's conditions (alpha in range(G), G alpha || P n).
- aligned-mtl: W = sqrt(lambda_R) V_R Lambda_R^-1/2 V_R^T 1 from mpmath's symmetric eigensolver.
  The rank of both: the singular values of J above T eps sigma_1 (eigenvalues of G above (T eps)^2 lambda_1, eps = 2^-52):
  rows dependent only up to the rounding of float64 are dependent, independent rows with norms 10^6 apart are not. The
  rank by TorchJD's rule (torch.linalg.pinv(G): eigenvalues above T eps lambda_1) is stored beside it ('rank_torchjd').
- mean, pcgrad, graddrop: the definitions in mpmath; PCGrad's orders and GradDrop's uniforms drawn here and stored
               (the C# tests feed them to the internal overloads and check separately how a seed maps to draws).

Rank-deficient cases are exactly rank-deficient in float64 (dyadic entries, exact sums and power-of-two scalings), except
the 'near-dependent' ones (drawn from their own generator, so that the earlier cases keep their draws): a row is a
combination of others computed in float64 (g5 = fl(g1 + g2), ...) with row norms 10^6 apart, so J has a singular value
at the rounding level (about 1e-16 sigma_1), which the rank rule drops. Two more such cases with norms 10^9 and 10^12
apart carry only the references of mean, imtl-g and aligned-mtl.
Run from this folder with Debian's Python (numpy 1.24, scipy 1.10, mpmath 1.2):
    /usr/bin/python3 aggregator_hard_fixture.py
"""
import itertools
import json
import os

import mpmath as mp
import numpy as np
from scipy.optimize import nnls

mp.mp.dps = 50
rng = np.random.default_rng(20261206)
TINY = mp.mpf(10) ** -35


def mpm(a):
    return mp.matrix([[mp.mpf(float(x)) for x in row] for row in np.atleast_2d(a)])


def mp_gram(J):
    Jm = [[mp.mpf(float(x)) for x in row] for row in J]
    T = len(Jm)
    G = mp.matrix(T, T)
    for i in range(T):
        for j in range(i, T):
            G[i, j] = G[j, i] = mp.fsum(a * b for a, b in zip(Jm[i], Jm[j]))
    return Jm, G


def combine(Jm, w):
    P = len(Jm[0])
    return [mp.fsum(w[i] * Jm[i][p] for i in range(len(Jm))) for p in range(P)]


def norm(v):
    return mp.sqrt(mp.fsum(x * x for x in v))


def gv(G, v):
    T = G.rows
    return [mp.fsum(G[i, j] * v[j] for j in range(T)) for i in range(T)]


def fl(v):
    return [float(x) for x in v]


# ---- MGDA -----------------------------------------------------------------------------------------------------------

def mgda(Jm, G, Gf):
    T = G.rows
    s = np.sqrt(np.maximum(np.diag(Gf), 1e-300))
    U = Gf / np.outer(s, s)
    best = None
    for size in range(1, T + 1):
        for F in itertools.combinations(range(T), size):
            F = list(F)
            # min y^T U y over sum y_i / s_i = 1 on the face (y = S w), by least squares on the KKT system
            K = np.zeros((size + 1, size + 1))
            K[:size, :size] = U[np.ix_(F, F)]
            K[:size, size] = K[size, :size] = 1 / s[F]
            rhs = np.zeros(size + 1)
            rhs[size] = 1
            sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
            y = np.zeros(T)
            y[F] = sol[:size]
            if y.min() < -1e-9 * np.abs(y).max():
                continue
            val = y @ U @ y
            if best is None or val < best[0] * (1 - 1e-9) - 1e-300:
                best = (val, F)
    F = best[1]
    k = len(F)
    K = mp.matrix(k + 1, k + 1)
    for a in range(k):
        for b in range(k):
            K[a, b] = G[F[a], F[b]]
        K[a, k] = K[k, a] = 1
    rhs = mp.matrix(k + 1, 1)
    rhs[k] = 1
    sol = mp.lu_solve(K, rhs)
    w = [mp.mpf(0)] * T
    for a in range(k):
        w[F[a]] = sol[a]
    d = combine(Jm, w)
    dd = mp.fsum(x * x for x in d)
    gd = gv(G, w)
    big = max(mp.sqrt(G[i, i]) for i in range(T))
    scale = big * max(norm(d), mp.mpf(10) ** -20 * big)
    res = max([max(-x, 0) for x in w] + [max(dd - gd[i], 0) / scale for i in range(T)]
              + [abs(gd[i] - dd) / scale for i in F])
    assert res < 1e-30, ('mgda KKT', float(res))
    return d, w, res


# ---- UPGrad ---------------------------------------------------------------------------------------------------------

def upgrad(Jm, G, J):
    T = G.rows
    s = np.linalg.norm(J, axis=1)
    A = (J / s[:, None]).T
    W = [mp.mpf(0)] * T
    worst = mp.mpf(0)
    for i in range(T):
        zt, _ = nnls(A, -A[:, i])   # z~ = S z: min |A z~ + u_i|, z~ >= 0
        F = [j for j in range(T) if zt[j] > 1e-12]
        for attempt in range(2):
            v = mp_upgrad_face(G, i, F)
            if v is not None:
                break
            F = mp_upgrad_enumerate(G, i)
        gvv = gv(G, v)
        big = max(mp.sqrt(G[j, j]) for j in range(T))
        scale = big * max(norm(combine(Jm, v)), mp.mpf(10) ** -20 * big)
        res = max([max(-(v[j] - (1 if j == i else 0)), 0) for j in range(T)]
                  + [max(-x, 0) / scale for x in gvv] + [abs(gvv[j]) / scale for j in F])
        worst = max(worst, res)
        for j in range(T):
            W[j] += v[j] / T
    assert worst < 1e-30, ('upgrad KKT', float(worst))
    return combine(Jm, W), W, worst


def mp_upgrad_face(G, i, F):
    T = G.rows
    v = [mp.mpf(1 if j == i else 0) for j in range(T)]
    if F:
        K = mp.matrix(len(F), len(F))
        rhs = mp.matrix(len(F), 1)
        for a in range(len(F)):
            for b in range(len(F)):
                K[a, b] = G[F[a], F[b]]
            rhs[a] = -G[F[a], i]
        try:
            z = mp.lu_solve(K, rhs)
        except ZeroDivisionError:
            return None
        for a in range(len(F)):
            v[F[a]] += z[a]
    gvv = gv(G, v)
    scale = max(abs(x) for x in gvv) + max(mp.sqrt(G[j, j]) for j in range(T))
    if any(v[j] - (1 if j == i else 0) < -TINY for j in range(T)) or any(x < -TINY * scale for x in gvv):
        return None
    return v


def mp_upgrad_enumerate(G, i):
    T = G.rows
    for size in range(0, T + 1):
        for F in itertools.combinations(range(T), size):
            if mp_upgrad_face(G, i, list(F)) is not None:
                return list(F)
    raise RuntimeError('no UPGrad face')


# ---- CAGrad ---------------------------------------------------------------------------------------------------------

def cagrad(Jm, G, Gf, c):
    T = G.rows
    g0 = combine(Jm, [mp.mpf(1) / T] * T)
    rho = c * norm(g0)
    b = gv(G, [mp.mpf(1) / T] * T)
    bf = np.array(fl(b))
    rhof = float(rho)
    s = np.sqrt(np.diag(Gf))
    U = Gf / np.outer(s, s)
    cands = []
    for size in range(1, T + 1):
        for F in itertools.combinations(range(T), size):
            F = list(F)
            # in the unit basis x = S^-1 xt: U_FF xt = m S^-1 1 - S^-1 b_F
            UF = U[np.ix_(F, F)]
            if np.linalg.matrix_rank(UF, tol=1e-10) < size:
                continue
            p = np.linalg.solve(UF, 1 / s[F])
            q = np.linalg.solve(UF, bf[F] / s[F])
            a2, a1, a0 = (1 / s[F]) @ p, (1 / s[F]) @ q, (bf[F] / s[F]) @ q - rhof ** 2
            disc = a1 * a1 - a2 * a0
            if disc < 0:
                continue
            m = (a1 + np.sqrt(disc)) / a2
            xt = m * p - q
            if xt.min() < -1e-9 * np.abs(xt).max() or xt.sum() <= 0:
                continue
            x = np.zeros(T)
            x[F] = xt / s[F]
            gd = Gf @ x + bf
            if (gd < m - 1e-8 * np.abs(gd).max()).any():
                continue
            cands.append((m, F))
    cands.sort(key=lambda e: -e[0])
    for _, F in cands:
        k = len(F)
        GF = mp.matrix(k, k)
        for a in range(k):
            for bb in range(k):
                GF[a, bb] = G[F[a], F[bb]]
        p = mp.lu_solve(GF, mp.matrix([1] * k))
        q = mp.lu_solve(GF, mp.matrix([b[j] for j in F]))
        a2, a1 = mp.fsum(p), mp.fsum(q)
        a0 = mp.fsum(b[F[a]] * q[a] for a in range(k)) - rho ** 2
        m = (a1 + mp.sqrt(a1 * a1 - a2 * a0)) / a2
        x = [mp.mpf(0)] * T
        for a in range(k):
            x[F[a]] = m * p[a] - q[a]
        gd = [y + bb for y, bb in zip(gv(G, x), b)]
        d = [g + e for g, e in zip(g0, combine(Jm, x))]
        scale = max(mp.sqrt(G[j, j]) for j in range(T)) * norm(d)
        res = max([max(-y, 0) / (mp.fsum(abs(z) for z in x) + TINY) for y in x]
                  + [max(m - y, 0) / scale for y in gd] + [abs(gd[j] - m) / scale for j in F]
                  + [abs(norm([a - g for a, g in zip(d, g0)]) - rho) / rho])
        if res < 1e-30:
            W = [mp.mpf(1) / T + y for y in x]
            return d, W, res
    raise RuntimeError('no CAGrad face')


# ---- Nash-MTL and FairGrad ------------------------------------------------------------------------------------------

def inverse_weights(G, p):
    """w > 0 with G w = w^(-p), by damped Newton on f(v) = 1/2 v^T C v - sum r_i phi(v_i) in the unit basis."""
    T = G.rows
    s = [mp.sqrt(G[i, i]) for i in range(T)]
    C = mp.matrix(T, T)
    for i in range(T):
        for j in range(T):
            C[i, j] = G[i, j] / (s[i] * s[j])
    r = [s[i] ** (p - 1) for i in range(T)]
    phi = (lambda x: mp.log(x)) if p == 1 else (lambda x: x ** (1 - p) / (1 - p))

    def f(v):
        return mp.fsum(v[i] * C[i, j] * v[j] for i in range(T) for j in range(T)) / 2 - mp.fsum(r[i] * phi(v[i]) for i in range(T))

    v = [r[i] ** (1 / (1 + p)) for i in range(T)]
    for _ in range(400):
        cv = gv(C, v)
        grad = [cv[i] - r[i] * v[i] ** (-p) for i in range(T)]
        res = max(abs(grad[i]) / (cv[i] + r[i] * v[i] ** (-p)) for i in range(T))
        if res < mp.mpf(10) ** -45:
            break
        H = mp.matrix(T, T)
        for i in range(T):
            for j in range(T):
                H[i, j] = C[i, j] + (p * r[i] * v[i] ** (-p - 1) if i == j else 0)
        step = mp.lu_solve(H, mp.matrix([-x for x in grad]))
        t = mp.mpf(1)
        f0 = f(v)
        slope = mp.fsum(grad[i] * step[i] for i in range(T))
        while True:
            trial = [v[i] + t * step[i] for i in range(T)]
            if min(trial) > 0 and f(trial) <= f0 + t * slope / 4:
                break
            t /= 2
        v = trial
    w = [v[i] / s[i] for i in range(T)]
    gw = gv(G, w)
    res = max(abs(gw[i] * w[i] ** p - 1) for i in range(T))
    assert res < 1e-35, ('inverse weights', float(res))
    return w, res


# ---- IMTL-G and Aligned-MTL -----------------------------------------------------------------------------------------

EPS = mp.mpf(2) ** -52


def spectrum(G):
    """G's eigenpairs, and the kept ones: sigma_k(J) > T eps sigma_1(J), i.e. lambda_k > (T eps)^2 lambda_1."""
    E, Q = mp.eigsy(G)
    lmax = max(abs(e) for e in E)
    keep = [k for k in range(G.rows) if E[k] > (G.rows * EPS) ** 2 * lmax]
    return E, Q, keep


def rank_torchjd(G):
    E, _ = mp.eigsy(G)
    lmax = max(abs(e) for e in E)
    return sum(1 for e in E if e > G.rows * EPS * lmax)


def imtlg(Jm, G):
    T = G.rows
    n = [mp.sqrt(G[i, i]) for i in range(T)]
    E, Q, keep = spectrum(G)
    if len(keep) == T:
        v = mp.lu_solve(G, mp.matrix(n))
        v = [v[i] for i in range(T)]
    else:
        v = [mp.fsum(Q[i, k] * mp.fsum(Q[j, k] * n[j] for j in range(T)) / E[k] for k in keep) for i in range(T)]
    total = mp.fsum(v)
    w = [x / total for x in v]
    d = combine(Jm, w)
    proj = [mp.fsum(a * b for a, b in zip(d, Jm[i])) / n[i] for i in range(T)]
    res = (max(proj) - min(proj)) / max(norm(d), TINY)
    null = [[float(Q[i, k]) for k in range(T) if k not in keep] for i in range(T)]
    return d, w, res, len(keep), null


def aligned(Jm, G):
    T = G.rows
    E, Q, keep = spectrum(G)
    lr = min(E[k] for k in keep)
    w = [mp.fsum(Q[i, k] * mp.fsum(Q[j, k] for j in range(T)) * mp.sqrt(lr / E[k]) for k in keep) for i in range(T)]
    return combine(Jm, w), w, len(keep)


# ---- the randomized methods -----------------------------------------------------------------------------------------

def pcgrad(Jm, orders):
    T = len(Jm)
    total = [mp.mpf(0)] * len(Jm[0])
    for i in range(T):
        g = list(Jm[i])
        for j in orders[i]:
            dot = mp.fsum(a * b for a, b in zip(g, Jm[j]))
            if dot < 0:
                f = dot / mp.fsum(b * b for b in Jm[j])
                g = [a - f * b for a, b in zip(g, Jm[j])]
        total = [a + b for a, b in zip(total, g)]
    return total


def graddrop(Jm, uniforms):
    T, P = len(Jm), len(Jm[0])
    d = []
    for p in range(P):
        col = [Jm[i][p] for i in range(T)]
        a = mp.fsum(abs(x) for x in col)
        if a == 0:
            d.append(mp.mpf(0))
            continue
        purity = (1 + mp.fsum(col) / a) / 2
        u = mp.mpf(uniforms[p])
        d.append(mp.fsum(x for x in col if (x > 0 and purity > u) or (x < 0 and purity < u)))
    return d


# ---- the hard cases -------------------------------------------------------------------------------------------------

def dyadic(T, P):
    return rng.integers(-1024, 1025, size=(T, P)).astype(float) / 1024


def gaussian(T, P, norms):
    J = rng.standard_normal((T, P))
    return J / np.linalg.norm(J, axis=1)[:, None] * np.asarray(norms)[:, None]


def cases():
    out = []
    out.append(('t2-conflict-1e6', gaussian(2, 3, [1.0, 1e6]) * [[1, 1, 1], [-1, 1, 1]]))
    out.append(('t2-agree-1e6', np.abs(gaussian(2, 5, [1e-3, 1e3]))))
    out.append(('t3-p10-1e6', gaussian(3, 10, [1e-3, 1.0, 1e3])))
    out.append(('t4-p50-1e6', gaussian(4, 50, np.logspace(-3, 3, 4))))
    out.append(('t5-p3-tgtp', gaussian(5, 3, [1.0, 10.0, 0.1, 3.0, 1e3]) + [[3, 0, 0]] * np.array([[1], [1e1], [0.1], [3], [1e3]])))
    out.append(('t6-p1000-1e6', gaussian(6, 1000, np.logspace(-3, 3, 6))))
    out.append(('t8-p20', gaussian(8, 20, np.ones(8))))
    out.append(('t8-p100-1e6', gaussian(8, 100, np.logspace(-3, 3, 8))))
    out.append(('t3-agree-1e6', np.abs(gaussian(3, 6, [1e-3, 1.0, 1e3]))))
    J = dyadic(3, 4)   # the origin in the convex hull (exactly): Pareto-stationary, Nash-MTL and FairGrad undefined
    J[0] *= 2.0 ** -10
    J[2] *= 2.0 ** 20
    out.append(('t4-stationary-2e30', np.vstack([J, -(J[0] * 2.0 + J[1] / 2 + J[2] * 2.0 ** -20)])))
    # rank-deficient, exactly so in float64
    J = dyadic(4, 8)
    J[2] = J[0]
    J[3] = J[1] * 2.0 ** 20
    out.append(('t4-duplicates-2e20', J))
    J = dyadic(5, 7)
    J[4] = J[0] + J[1] + J[2] / 8
    J[1] *= 2.0 ** 10
    J[4] *= 2.0 ** -10
    out.append(('t5-rank4', J))
    J = dyadic(6, 12)
    J[4] = J[0] - J[1] / 2
    J[5] = J[2] + J[3] * 4
    J[0] *= 2.0 ** 20
    out.append(('t6-rank4', J))
    J = dyadic(2, 30)
    J = np.vstack([J, J[0] + J[1], 2 * J[0] + J[1], J[0] + 4 * J[1], J[0] / 4 + J[1], J[1] * 2.0 ** 19])
    out.append(('t7-rank2', J))
    J = dyadic(3, 500)
    J = np.vstack([J, J[0] + J[1] + J[2], J[0] * 2.0 ** 20])
    out.append(('t5-p500-rank3', J))
    J = dyadic(8, 9)
    J[7] = J[6]
    out.append(('t8-p9-duplicate', J))
    return out + near_dependent_cases()


def near_dependent_cases():
    """Rows dependent on others only up to the rounding of float64, with row norms 10^6 apart."""
    near = np.random.default_rng(20261207)

    def rows(P, norms):
        J = near.standard_normal((len(norms), P))
        return J / np.linalg.norm(J, axis=1)[:, None] * np.asarray(norms)[:, None]

    out = []
    J = rows(12, [1.0, 1e6, 3.0, 0.3])
    out.append(('t5-near-dependent-1e6', np.vstack([J, J[0] + J[1]])))
    J = rows(40, [1e-3, 1e3, 1.0])
    out.append(('t4-near-combination-1e6', np.vstack([J, 0.3 * J[0] + 1.7 * J[1]])))
    J = rows(9, [1.0, 1e6])
    out.append(('t3-near-multiple-1e6', np.vstack([J, J[1] * 0.1])))
    J = rows(25, [1e-3, 1.0, 1e3, 10.0])
    out.append(('t6-two-near-dependent-1e6', np.vstack([J, J[0] + J[2], J[1] - J[3] / 3])))
    # the sum of the two large rows: its rounding (eps of 10^6) is all that separates g5 from span(g1, g2), while the small
    # rows carry the information (the case where deciding the rank in the unit basis was 4e-4 off)
    J = rows(5, [1e6, 5e5, 1.0, 2.0])
    out.append(('t5-near-dependent-large-1e6', np.vstack([J, J[0] + J[1]])))
    return out


def spectral_cases():
    """Near-dependent rows with norms 10^9 and 10^12 apart, for the spectral methods only (IMTL-G, Aligned-MTL, and mean):
    the face enumerations of the other references are float64 NumPy and lose the face there."""
    near = np.random.default_rng(20261208)
    out = []
    for scale in (1e9, 1e12):
        J = near.standard_normal((4, 12))
        J = J / np.linalg.norm(J, axis=1)[:, None] * np.array([1.0, scale, 3.0, 0.3])[:, None]
        out.append(('t5-near-dependent-1e%d' % round(np.log10(scale)), np.vstack([J, J[0] + J[1]])))
    J = near.standard_normal((4, 12))
    J = J / np.linalg.norm(J, axis=1)[:, None] * np.array([1e12, 5e11, 1.0, 2.0])[:, None]
    out.append(('t5-near-dependent-large-1e12', np.vstack([J, J[0] + J[1]])))
    return out


def stationary(G, Jm, Gf):
    d, w, _ = mgda(Jm, G, Gf)
    return norm(d) <= mp.mpf(10) ** -30 * max(mp.sqrt(G[i, i]) for i in range(G.rows))


def main():
    records = []
    summary = {}
    for name, J in cases() + spectral_cases():
        spectral_only = name in dict(spectral_cases())
        J = np.ascontiguousarray(J, dtype=float)
        T, P = J.shape
        Jm, G = mp_gram(J)
        Gf = np.array([[float(G[i, j]) for j in range(T)] for i in range(T)])
        rec = {'name': name, 'tasks': T, 'parameters': P, 'jacobian': J.ravel().tolist(), 'methods': {}}

        def put(method, d, w, res, extra=None):
            e = {'direction': fl(d), 'weights': None if w is None else fl(w), 'residual': float(res)}
            e.update(extra or {})
            rec['methods'][method] = e
            summary[method] = max(summary.get(method, 0.0), float(res))

        put('mean', combine(Jm, [mp.mpf(1) / T] * T), [1.0 / T] * T, 0.0)
        if spectral_only:
            d, w, res, rank, null = imtlg(Jm, G)
            put('imtl-g', d, w, res, {'rank': rank, 'null_space': null})
            d, w, rank = aligned(Jm, G)
            put('aligned-mtl', d, w, 0.0, {'rank': rank, 'rank_torchjd': rank_torchjd(G)})
            records.append(rec)
            print(name, T, P, 'imtl-g and aligned-mtl only', flush=True)
            continue
        put('mgda', *mgda(Jm, G, Gf))
        put('upgrad', *upgrad(Jm, G, J))
        put('cagrad', *cagrad(Jm, G, Gf, mp.mpf('0.5')), {'c': 0.5})
        d, w, res, rank, null = imtlg(Jm, G)
        put('imtl-g', d, w, res, {'rank': rank, 'null_space': null})
        d, w, rank = aligned(Jm, G)
        put('aligned-mtl', d, w, 0.0, {'rank': rank, 'rank_torchjd': rank_torchjd(G)})
        undefined = stationary(G, Jm, Gf)
        for method, alpha in (('nash-mtl', 1), ('fairgrad', 1), ('fairgrad-a2', 2), ('fairgrad-a0.5', 0.5)):
            if undefined:
                rec['methods'][method] = {'undefined': True, 'alpha': alpha}
                continue
            w, res = inverse_weights(G, mp.mpf(1) / alpha)
            put(method, combine(Jm, w), w, res, {'alpha': alpha})
        orders = [[int(j) for j in rng.permutation([k for k in range(T) if k != i])] for i in range(T)]
        put('pcgrad', pcgrad(Jm, orders), None, 0.0, {'orders': orders})
        uniforms = rng.random(P)
        put('graddrop', graddrop(Jm, uniforms), None, 0.0, {'uniforms': uniforms.tolist()})
        records.append(rec)
        print(name, T, P, 'undefined nash' if undefined else '', flush=True)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'aggregators_hard.json')
    with open(path, 'w') as f:
        json.dump({'generator': 'aggregator_hard_fixture.py', 'numpy': np.__version__, 'mpmath': mp.__version__,
                   'reference_residuals': summary, 'cases': records}, f, separators=(',', ':'))
    print('reference residuals (max over cases):', summary)


if __name__ == '__main__':
    main()
