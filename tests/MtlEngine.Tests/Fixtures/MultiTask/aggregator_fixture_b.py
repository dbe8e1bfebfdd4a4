#!/usr/bin/python3
"""Writes aggregators_b.json (next to this script): reference values for PCGrad, GradDrop, GradVac, Nash-MTL and
FairGrad (MtlEngine.MultiTask.Aggregation), each computed here from its paper's formula with NumPy/SciPy, independently
of the C# code.

The random choices (PCGrad's and GradVac's task orders, GradDrop's uniforms) are drawn here and stored; the C# tests
feed them to the internal overloads that take the draws. Nash-MTL and FairGrad are solved by SciPy's root finder on
the log-parametrized system wᵢ^(1/α)·(G·w)ᵢ = 1 (w = eʸ > 0), G = J·Jᵀ; a case where a non-negative combination of the
gradients is zero (the system has no solution) is found by linear programming and stored as undefined.
Run from this folder with Debian's Python (numpy 1.24, scipy 1.10):
    /usr/bin/python3 aggregator_fixture_b.py
"""
import json
import os

import numpy as np
from scipy.optimize import linprog, minimize, root

rng = np.random.default_rng(20240615)


# ---- the papers' formulas ---------------------------------------------------------------------------------------

def pcgrad(J, orders):
    """Yu et al. 2020, Algorithm 1: g_i^PC projected off each conflicting original g_j in the given order; D = sum."""
    T = J.shape[0]
    C = np.eye(T)                      # g_i^PC = C[i] @ J
    pc = J.copy()
    for i in range(T):
        for j in orders[i]:
            dot = pc[i] @ J[j]
            if dot < 0:
                f = dot / (J[j] @ J[j])
                pc[i] = pc[i] - f * J[j]
                C[i, j] -= f
    return pc.sum(0), C.sum(0)


def graddrop(J, leak, U):
    """Chen et al. 2020: sign purity P = (1 + sum g / sum |g|)/2, keep the positive parts where P > U, else the negative."""
    s, a = J.sum(0), np.abs(J).sum(0)
    P = 0.5 * (1 + np.divide(s, a, out=np.zeros_like(s), where=a > 0))
    M = (P > U)[None, :] * (J > 0) + (P < U)[None, :] * (J < 0)
    D = ((leak + (1 - leak) * M) * J).sum(0)
    D[a == 0] = 0
    return D


def gradvac(J, orders, targets, beta):
    """Wang et al. 2021, Algorithm 1 (the EMA updated for every visited pair, after the test)."""
    T = J.shape[0]
    C = np.eye(T)
    pc = J.copy()
    norms = np.linalg.norm(J, axis=1)
    for i in range(T):
        for j in orders[i]:
            n = np.linalg.norm(pc[i])
            phi = np.clip(pc[i] @ J[j] / (n * norms[j]), -1, 1)
            tgt = targets[i, j]
            if phi < tgt:
                w = n * (tgt * np.sqrt(1 - phi ** 2) - phi * np.sqrt(1 - tgt ** 2)) / (norms[j] * np.sqrt(1 - tgt ** 2))
                pc[i] = pc[i] + w * J[j]
                C[i, j] += w
            targets[i, j] = (1 - beta) * tgt + beta * phi
    return pc.sum(0), C.sum(0)


def stationary(J):
    """True when some lambda >= 0, sum lambda = 1 has lambda^T U = 0 (U the unit rows): then G w = w^(-p) has no solution."""
    norms = np.linalg.norm(J, axis=1)
    if np.any(norms == 0):
        return True
    U = J / norms[:, None]
    T = J.shape[0]
    res = linprog(np.zeros(T), A_eq=np.vstack([U.T, np.ones((1, T))]), b_eq=np.concatenate([np.zeros(J.shape[1]), [1.0]]),
                  bounds=[(0, None)] * T, method='highs')
    return res.status == 0


def fair_weights(J, alpha):
    """w > 0 with (J J^T) w = w^(-1/alpha), p = 1/alpha, in the basis of unit gradients (G = S C S, v = S w,
    r = s^(p-1): C v = r v^(-p)). Started by scipy's L-BFGS-B on the convex 1/2 v^T C v - sum r phi(v) (phi' = v^(-p)),
    then scipy's root finder (hybr) on F(y) = e^(p y) (C e^y) / r - 1 (v = e^y); the residual is checked."""
    G = J @ J.T
    s = np.sqrt(np.diag(G))
    C = G / np.outer(s, s)
    p = 1 / alpha
    r = s ** (p - 1)
    phi = (lambda v: np.log(v)) if p == 1 else (lambda v: v ** (1 - p) / (1 - p))
    f = lambda v: (0.5 * v @ C @ v - r @ phi(v), C @ v - r * v ** -p)
    start = minimize(f, r ** (1 / (1 + p)), jac=True, method='L-BFGS-B', bounds=[(1e-8, None)] * len(s),
                     options={'ftol': 1e-15, 'gtol': 1e-12, 'maxiter': 10000})
    F = lambda y: np.exp(p * y) * (C @ np.exp(y)) / r - 1
    sol = root(F, np.log(start.x), method='hybr', options={'xtol': 1e-15})
    v = np.exp(sol.x)
    w = v / s
    residual = np.max(np.abs(G @ w - w ** -p) / (np.abs(G) @ w + w ** -p))
    assert residual < 1e-12, (residual, sol.message)
    return w


# ---- the Jacobians ----------------------------------------------------------------------------------------------

def agreeing(T, P):
    base = rng.normal(size=P) * 2
    while True:
        J = base + 0.4 * rng.normal(size=(T, P))
        if np.all(J @ J.T > 0):
            return J


def cases():
    for T, P in [(1, 4), (2, 3), (3, 6), (4, 11), (5, 17), (6, 9), (7, 12), (8, 17), (2, 1), (8, 8)]:
        yield f'conflicting-{T}x{P}', rng.normal(size=(T, P))
    for T, P in [(2, 5), (4, 7), (8, 13)]:
        yield f'agreeing-{T}x{P}', agreeing(T, P)
    for T, P in [(2, 6), (3, 5), (5, 11), (8, 16)]:
        yield f'norms-1e6-{T}x{P}', rng.normal(size=(T, P)) * np.logspace(-3, 3, T)[:, None]
    for T, P, r in [(3, 8, 2), (5, 9, 3), (8, 12, 4), (8, 6, 1)]:
        yield f'rank{r}-positive-{T}x{P}', rng.uniform(0.1, 1, size=(T, r)) @ rng.normal(size=(r, P))
    for T, P, r in [(6, 10, 3), (8, 12, 2)]:
        yield f'rank{r}-mixed-{T}x{P}', rng.normal(size=(T, r)) @ rng.normal(size=(r, P))
    g = rng.normal(size=(2, 7))
    yield 'sum-row-3x7', np.vstack([g, g[0] + g[1]])
    yield 'opposite-2x5', np.vstack([g[0, :5], -g[0, :5]])
    yield 'zero-row-3x4', np.vstack([rng.normal(size=(2, 4)), np.zeros((1, 4))])
    angles = rng.uniform(0.1, 1.4, size=5)
    yield 'half-plane-5x2', np.stack([np.cos(angles), np.sin(angles)], 1) * rng.uniform(0.5, 2, size=(5, 1))
    yield 'wide-6x3', rng.normal(size=(6, 3))
    J = rng.normal(size=(4, 9))
    J[:, [2, 5]] = 0                       # parameters no task touches (GradDrop's 0/0)
    yield 'zero-columns-4x9', J


def orders_for(T):
    return [[int(j) for j in rng.permutation([k for k in range(T) if k != i])] for i in range(T)]


flat = lambda a: [float(x) for x in np.asarray(a).ravel()]
out = []
for name, J in cases():
    T, P = J.shape
    case = {'name': name, 'tasks': T, 'parameters': P, 'jacobian': flat(J)}
    orders = orders_for(T)
    d, w = pcgrad(J, orders)
    case['pcgrad'] = {'orders': orders, 'direction': flat(d), 'weights': flat(w)}
    case['graddrop'] = []
    for leak in (0.0, 0.3):
        U = rng.uniform(size=P)
        case['graddrop'].append({'leak': leak, 'uniforms': flat(U), 'direction': flat(graddrop(J, leak, U))})
    if np.all(np.linalg.norm(J, axis=1) > 0):
        beta = 0.5 if T % 2 == 0 else 0.1
        targets = np.zeros((T, T))
        steps = []
        for step in range(3):
            Jk = J if step == 0 else J + 0.5 * np.abs(J).mean() * rng.normal(size=J.shape)
            ok = orders_for(T)
            d, w = gradvac(Jk, ok, targets, beta)
            steps.append({'jacobian': flat(Jk), 'orders': ok, 'direction': flat(d), 'weights': flat(w)})
        case['gradvac'] = {'beta': beta, 'steps': steps, 'targets': flat(targets)}
    undefined = stationary(J)
    case['fairgrad'] = []
    for alpha in (1.0, 0.5, 2.0, 5.0):
        entry = {'alpha': alpha, 'defined': not undefined}
        if not undefined:
            wf = fair_weights(J, alpha)
            entry.update(weights=flat(wf), direction=flat(wf @ J))
        case['fairgrad'].append(entry)
    out.append(case)
    print(f'{name:24s} T={T} P={P} defined={not undefined}')

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'aggregators_b.json')
with open(path, 'w') as f:
    json.dump({'generator': 'aggregator_fixture_b.py', 'numpy': np.__version__, 'cases': out}, f, separators=(',', ':'))
