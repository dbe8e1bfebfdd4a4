#!/usr/bin/python3
"""Reference values from scikit-learn 1.2 (Debian python3-sklearn) for Ridge, RidgeCV, MultiTaskElasticNet and
MultiTaskLasso (tests/MtlEngine.Tests/Learn/Ridge*Tests.cs, MultiTask*Tests.cs).

Run: /usr/bin/python3 make_ridge_fixtures.py  (writes ridge_fixtures.json beside this script).
Reads the shipped data from /work/shared/datasets/tabular (diabetes raw, linnerud). Every input array is stored in the
JSON, so the C# tests need neither Python nor the data loaders.
"""
import gzip
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import MultiTaskElasticNet, MultiTaskLasso, Ridge, RidgeCV

DATA = "/work/shared/datasets/tabular"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ridge_fixtures.json")


def tolist(a):
    return np.asarray(a).tolist()


def load():
    with gzip.open(os.path.join(DATA, "diabetes_data_raw.csv.gz"), "rt") as f:
        xd = np.loadtxt(f)
    with gzip.open(os.path.join(DATA, "diabetes_target.csv.gz"), "rt") as f:
        yd = np.loadtxt(f)
    xl = np.loadtxt(os.path.join(DATA, "linnerud_exercise.csv"), skiprows=1)
    yl = np.loadtxt(os.path.join(DATA, "linnerud_physiological.csv"), skiprows=1)
    return xd, yd, xl, yl


def ridge_fit(x, y, alpha, solver, fit_intercept=True, sw=None, **kw):
    r = Ridge(alpha=alpha, solver=solver, fit_intercept=fit_intercept, **kw).fit(x, y, sample_weight=sw)
    return {"alpha": tolist(alpha), "solver": solver, "fit_intercept": fit_intercept, "weighted": sw is not None,
            "coef": tolist(r.coef_), "intercept": tolist(r.intercept_), **{k: v for k, v in kw.items()}}


def main():
    rng = np.random.default_rng(6)
    xd, yd, xl, yl = load()
    out = {"sklearn_version": sklearn.__version__}

    # --- Ridge, multi-target: diabetes raw with three targets (progression and two transforms of it); linnerud ---
    yd3 = np.column_stack([yd, np.log(yd), np.sqrt(yd) * 10])
    swd = rng.uniform(0.5, 2.0, size=len(yd))
    swl = rng.uniform(0.5, 2.0, size=len(yl))
    fits = []
    for solver in ["svd", "cholesky"]:
        fits.append(ridge_fit(xd, yd3, 1.0, solver))
        fits.append(ridge_fit(xd, yd3, np.array([0.1, 10.0, 1000.0]), solver))
        fits.append(ridge_fit(xd, yd3, 3.0, solver, sw=swd))
        fits.append(ridge_fit(xd, yd3, 3.0, solver, fit_intercept=False))
    out["ridge_diabetes3"] = {"x": tolist(xd), "y": tolist(yd3), "sample_weight": tolist(swd), "fits": fits}
    out["ridge_linnerud"] = {"x": tolist(xl), "y": tolist(yl), "sample_weight": tolist(swl), "fits": [
        ridge_fit(xl, yl, np.array([0.5, 10.0, 300.0]), "svd"),
        ridge_fit(xl, yl, np.array([0.5, 10.0, 300.0]), "svd", sw=swl),
        ridge_fit(xl, yl, np.array([0.5, 10.0, 300.0]), "svd", fit_intercept=False),
        ridge_fit(xl, yl, 0.0, "svd"),
    ]}
    # Conjugate gradients with scikit-learn's meaning of tol: stop at ‖r‖ ≤ tol·‖b‖ (scipy cg, atol="legacy").
    # Standardized diabetes (well conditioned): the iterates are the same as scipy's, so the solutions agree closely.
    xs = (xd - xd.mean(axis=0)) / xd.std(axis=0)
    cg = []
    for tol in [1e-4, 1e-2, 1e-8]:
        cg.append(ridge_fit(xs, yd3, 1.0, "sparse_cg", tol=tol))
        cg.append(ridge_fit(xs, yd3, 1.0, "sparse_cg", fit_intercept=False, tol=tol))
    exact = Ridge(alpha=1.0, solver="svd").fit(xs, yd3)
    # The wide case (more features than samples): scikit-learn runs CG on the kernel system (X·Xᵀ + αI)·z = y.
    xw = xs[:8]
    cg.append(ridge_fit(xw, yd3[:8], 0.5, "sparse_cg", tol=1e-3))
    out["ridge_cg"] = {"fits": cg, "exact_coef": tolist(exact.coef_)}
    out["diabetes_standardized"] = {"x": tolist(xs), "y": tolist(yd3)}

    # --- RidgeCV (efficient leave-one-out, scoring=None: mean squared error) ---
    alphas = np.logspace(-3, 3, 13)
    cv = []

    def ridge_cv(x, y, name, sw=None, **kw):
        r = RidgeCV(alphas=alphas, **kw).fit(x, y, sample_weight=sw)
        cv.append({"name": name, "sample_weight": None if sw is None else tolist(sw),
                   "fit_intercept": kw.get("fit_intercept", True), "alpha_per_target": kw.get("alpha_per_target", False),
                   "alpha": tolist(r.alpha_), "best_score": tolist(r.best_score_), "coef": tolist(r.coef_),
                   "intercept": tolist(r.intercept_)})

    ridge_cv(xs, yd, "diabetes")
    ridge_cv(xs, yd3, "diabetes3")
    ridge_cv(xs, yd3, "diabetes3_per_target", alpha_per_target=True)
    ridge_cv(xs, yd3, "diabetes3_weighted", sw=swd, alpha_per_target=True)
    ridge_cv(xs, yd3, "diabetes3_no_intercept", fit_intercept=False, alpha_per_target=True)
    ridge_cv(xl, yl, "linnerud_per_target", alpha_per_target=True)
    ridge_cv(xs[:8], yd3[:8], "wide_per_target", alpha_per_target=True)              # n ≤ d: eigen of X·Xᵀ
    ridge_cv(xs[:8], yd3[:8], "wide_weighted", sw=swd[:8], alpha_per_target=True)
    ridge_cv(xs[:8], yd3[:8], "wide_no_intercept", fit_intercept=False)
    # The inputs of the cases, in order (diabetes standardized, linnerud raw, the first 8 diabetes rows).
    inputs = [(xs, yd[:, None]), (xs, yd3), (xs, yd3), (xs, yd3), (xs, yd3), (xl, yl), (xs[:8], yd3[:8]), (xs[:8], yd3[:8]), (xs[:8], yd3[:8])]
    for case, (x, y) in zip(cv, inputs):
        case["data"] = "linnerud" if x is xl else "wide" if len(x) == 8 else "diabetes"
        case["targets"] = [0] if case["name"] == "diabetes" else [0, 1, 2]
    out["ridge_cv"] = {"alphas": tolist(alphas), "cases": cv}

    # --- MultiTaskElasticNet / MultiTaskLasso ---
    # diabetes: X = 8 standardized baseline variables, Y = progression and the serum measurements s5, s6 (standardized):
    # three related targets; linnerud raw (3 exercises → 3 physiological measurements).
    xm = xs[:, :8]  # the first 8 columns of diabetes_standardized
    ym = np.column_stack([yd, xd[:, 8], xd[:, 9]])
    ym = (ym - ym.mean(axis=0)) / ym.std(axis=0)
    mt = []

    def mt_fit(x, y, data, alpha, l1_ratio, tol=1e-4, max_iter=1000, fit_intercept=True, warm_from=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if l1_ratio == 1.0:
                m = MultiTaskLasso(alpha=alpha, tol=tol, max_iter=max_iter, fit_intercept=fit_intercept, warm_start=warm_from is not None)
            else:
                m = MultiTaskElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=max_iter,
                                        fit_intercept=fit_intercept, warm_start=warm_from is not None)
            if warm_from is not None:
                m.set_params(alpha=warm_from)
                m.fit(x, y)
                m.set_params(alpha=alpha)
            m.fit(x, y)
        mt.append({"data": data, "alpha": alpha, "l1_ratio": l1_ratio, "tol": tol, "max_iter": max_iter,
                   "fit_intercept": fit_intercept, "warm_from": warm_from,
                   "coef": tolist(m.coef_), "intercept": tolist(m.intercept_), "n_iter": int(m.n_iter_),
                   "dual_gap": float(m.dual_gap_)})

    for alpha in [0.01, 0.1, 0.5]:
        for l1 in [0.5, 1.0]:
            mt_fit(xm, ym, "diabetes", alpha, l1)
    mt_fit(xm, ym, "diabetes", 0.1, 0.5, tol=1e-10, max_iter=10000)
    mt_fit(xm, ym, "diabetes", 0.05, 1.0, tol=1e-10, max_iter=10000)
    mt_fit(xm, ym, "diabetes", 0.1, 0.7, fit_intercept=False)
    mt_fit(xm, ym, "diabetes", 0.1, 0.5, max_iter=3)
    mt_fit(xm, ym, "diabetes", 0.05, 0.5, warm_from=0.1)
    mt_fit(xl, yl, "linnerud", 1.0, 0.5)
    mt_fit(xl, yl, "linnerud", 5.0, 1.0, tol=1e-10, max_iter=100000)
    mt_fit(xl, yl, "linnerud", 50.0, 1.0)
    out["multitask_enet"] = {"diabetes_y": tolist(ym), "fits": mt}

    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
