#!/usr/bin/python3
"""Reference values from scikit-learn 1.2 (Debian python3-sklearn) for tests/MtlEngine.Tests/Learn/LogisticRegressionTests.cs
(and SciPy 1.10's L-BFGS-B on Rosenbrock's function for the optimizer's tests).

Run: /usr/bin/python3 make_logreg_fixtures.py  (writes logreg_fixtures.json beside this script).
Reads the shipped data from /work/shared/datasets/tabular: iris (raw, multinomial), breast cancer (standardized, binary),
digits / 16 (multinomial). For each case:
  - "opt": the optimum of scikit-learn's objective  sum_i s_i * logloss_i + ||W||^2 / (2C)  found by scikit-learn's
    lbfgs with tol=1e-10, max_iter=10000 and then polished by full Newton steps (exact Hessian, least-squares solve) in
    NumPy until max|gradient| is at rounding level, so that the tests compare optima rather than stopping points;
  - "sk_tight": scikit-learn's lbfgs fit with tol=1e-10, max_iter=10000 as it stands (n_iter_, coef_);
  - "sk_default": scikit-learn's fit with the default options (tol=1e-4, max_iter=100): n_iter_, coef_, accuracy.
"""
import gzip
import json
import os
import warnings

import numpy as np
import scipy
import sklearn
from scipy.optimize import minimize, rosen, rosen_der
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

DATA = "/work/shared/datasets/tabular"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logreg_fixtures.json")
ROWS = 20  # probabilities are stored for the first ROWS samples


def shipped_csv(name):
    with open(os.path.join(DATA, name)) as f:
        f.readline()
        rows = np.loadtxt(f, delimiter=",")
    return rows[:, :-1], rows[:, -1].astype(int)


def digits():
    rows = np.loadtxt(gzip.open(os.path.join(DATA, "digits.csv.gz")), delimiter=",")
    return rows[:, :-1] / 16.0, rows[:, -1].astype(int)


def weights(y, sample_weight, class_weight):
    """s_i = sample weight x class weight, as sklearn's _logistic_regression_path."""
    classes = np.unique(y)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float).copy()
    if class_weight == "balanced":
        counts = np.array([(y == c).sum() for c in classes])
        cw = len(y) / (len(classes) * counts)
        s *= cw[np.searchsorted(classes, y)]
    elif isinstance(class_weight, dict):
        s *= np.array([class_weight.get(c, 1.0) for c in y])
    return s


def objective(theta, Xa, Y, s, lam, binary):
    """f, gradient and Hessian of sum_i s_i l_i + lam/2 ||W||^2 over theta = W_aug (k, d+1) (last column: intercept)."""
    k, d1 = Y.shape[1] if not binary else 1, Xa.shape[1]
    W = theta.reshape(k, d1)
    Z = Xa @ W.T
    pen = np.ones(d1)
    pen[-1] = 0.0
    if binary:
        z = Z[:, 0]
        y = Y[:, 0]
        loss = np.sum(s * (np.logaddexp(0, z) - y * z))
        p = 1 / (1 + np.exp(-z))
        G = (s * (p - y))[:, None]
        h = s * p * (1 - p)
        H = (Xa * h[:, None]).T @ Xa + lam * np.diag(pen)
    else:
        m = Z.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(Z - m).sum(axis=1))
        loss = np.sum(s * (lse - (Z * Y).sum(axis=1)))
        P = np.exp(Z - lse[:, None])
        G = s[:, None] * (P - Y)
        H = np.zeros((k, d1, k, d1))
        for a in range(k):
            for b in range(k):
                c = s * P[:, a] * ((a == b) - P[:, b])
                H[a, :, b, :] = (Xa * c[:, None]).T @ Xa
            H[a, :, a, :] += lam * np.diag(pen)
        H = H.reshape(k * d1, k * d1)
    loss += 0.5 * lam * np.sum((W * pen) ** 2)
    grad = (G.T @ Xa + lam * W * pen).ravel()
    return loss, grad, H


def polish(model, X, y, s, C):
    classes = np.unique(y)
    binary = len(classes) == 2
    Xa = np.hstack([X, np.ones((len(X), 1))])
    Y = (y == classes[1]).astype(float)[:, None] if binary else (y[:, None] == classes[None, :]).astype(float)
    theta = np.hstack([model.coef_, model.intercept_[:, None]]).ravel()
    for _ in range(20):
        f, g, H = objective(theta, Xa, Y, s, 1.0 / C, binary)
        if np.abs(g).max() < 1e-13 * max(1.0, abs(f)):
            break
        step = np.linalg.lstsq(H, -g, rcond=None)[0]
        theta = theta + step
    f, g, _ = objective(theta, Xa, Y, s, 1.0 / C, binary)
    k = 1 if binary else len(classes)
    W = theta.reshape(k, -1)
    Z = Xa @ W.T
    if binary:
        p1 = 1 / (1 + np.exp(-Z[:, 0]))
        P = np.stack([1 - p1, p1], axis=1)
    else:
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
    pred = classes[P.argmax(axis=1)]
    return {"coef": W[:, :-1].tolist(), "intercept": W[:, -1].tolist(), "loss": float(f),
            "grad_max": float(np.abs(g).max()), "proba": P[:ROWS].tolist(), "accuracy": float((pred == y).mean())}


def case(X, y, C=1.0, class_weight=None, sample_weight=None):
    s = weights(y, sample_weight, class_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tight = LogisticRegression(C=C, class_weight=class_weight, tol=1e-10, max_iter=10000).fit(X, y, sample_weight=sample_weight)
        default = LogisticRegression(C=C, class_weight=class_weight).fit(X, y, sample_weight=sample_weight)
    return {
        "C": C,
        "sample_weight": None if sample_weight is None else np.asarray(sample_weight).tolist(),
        "opt": polish(tight, X, y, s, C),
        "sk_tight": {"n_iter": int(tight.n_iter_[0]), "coef": tight.coef_.tolist(), "intercept": tight.intercept_.tolist()},
        "sk_default": {"n_iter": int(default.n_iter_[0]), "coef": default.coef_.tolist(), "intercept": default.intercept_.tolist(),
                       "accuracy": float(default.score(X, y)), "proba": default.predict_proba(X[:ROWS]).tolist()},
    }


def main():
    Xi, yi = shipped_csv("iris.csv")
    Xb, yb = shipped_csv("breast_cancer.csv")
    Xb = StandardScaler().fit_transform(Xb)
    Xd, yd = digits()
    sw_iris = 0.5 + 0.5 * (np.arange(len(yi)) % 4)  # w_i = 0.5 + 0.5 (i mod 4)
    out = {
        "sklearn_version": sklearn.__version__,
        "iris": case(Xi, yi),
        "iris_weighted": case(Xi, yi, C=0.5, sample_weight=sw_iris, class_weight={0: 1.0, 1: 2.0, 2: 0.5}),
        "breast_cancer": case(Xb, yb),
        "breast_cancer_balanced": case(Xb, yb, C=0.1, class_weight="balanced"),
        "breast_cancer_dict": case(Xb, yb, C=2.0, class_weight={0: 3.0}),
        "digits": case(Xd, yd),
        "digits_balanced": case(Xd, yd, C=0.5, class_weight="balanced"),
    }
    # The L-BFGS port against SciPy's L-BFGS-B on Rosenbrock's function (2 and 10 variables, from -1.2, 1, -1.2, ...).
    for n in (2, 10):
        x0 = np.array([-1.2 if i % 2 == 0 else 1.0 for i in range(n)])
        r = minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options={"gtol": 1e-8, "maxiter": 1000})
        out[f"rosenbrock_{n}"] = {"x0": x0.tolist(), "x": r.x.tolist(), "fun": float(r.fun), "nit": int(r.nit), "nfev": int(r.nfev),
                                  "message": str(r.message), "scipy_version": scipy.__version__}
    with open(OUT, "w") as f:
        json.dump(out, f)
    for name, c in out.items():
        if isinstance(c, dict) and "opt" in c:
            print(name, "grad_max", c["opt"]["grad_max"], "n_iter default", c["sk_default"]["n_iter"], "tight", c["sk_tight"]["n_iter"])


if __name__ == "__main__":
    main()
