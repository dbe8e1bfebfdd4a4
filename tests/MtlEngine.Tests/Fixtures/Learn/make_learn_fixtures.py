#!/usr/bin/python3
"""Reference values from scikit-learn (Debian python3-sklearn) for tests/MtlEngine.Tests/Metrics and /Learn.

Run: /usr/bin/python3 make_learn_fixtures.py  (writes learn_fixtures.json beside this script).
Reads the shipped data from /work/shared/datasets/tabular. Predictions and probabilities for the metric tests are
made here from a seeded NumPy generator and stored, so the C# tests need no random generator of NumPy's.
"""
import gzip
import json
import os

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler
from sklearn.utils.class_weight import compute_class_weight

DATA = "/work/shared/datasets/tabular"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "learn_fixtures.json")


def shipped_csv(name):
    """The sklearn-style CSV: a header line 'n_samples,n_features,names...', then rows of features and the label."""
    with open(os.path.join(DATA, name)) as f:
        f.readline()
        rows = np.loadtxt(f, delimiter=",")
    return rows[:, :-1], rows[:, -1].astype(int)


def tolist(a):
    return np.asarray(a).tolist()


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def classification_case(y_true, y_pred, proba):
    labels = np.unique(np.concatenate([y_true, y_pred]))
    case = {
        "y_true": tolist(y_true), "y_pred": tolist(y_pred), "proba": tolist(proba),
        "labels": tolist(labels),
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "confusion": tolist(metrics.confusion_matrix(y_true, y_pred)),
        "log_loss": metrics.log_loss(y_true, proba),
    }
    for name, fn in [("precision", metrics.precision_score), ("recall", metrics.recall_score), ("f1", metrics.f1_score)]:
        case[name + "_per_class"] = tolist(fn(y_true, y_pred, average=None, zero_division=0))
        for avg in ["macro", "micro", "weighted"]:
            case[f"{name}_{avg}"] = fn(y_true, y_pred, average=avg, zero_division=0)
    if proba.shape[1] > 2:
        case["roc_auc_ovr_macro"] = metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="macro")
        case["roc_auc_ovr_weighted"] = metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="weighted")
    return case


def main():
    rng = np.random.default_rng(20261122)
    out = {"sklearn_version": sklearn.__version__}

    # --- metrics: iris and wine (multiclass), breast cancer (binary, tied scores) ---
    for name in ["iris", "wine"]:
        X, y = shipped_csv("iris.csv" if name == "iris" else "wine_data.csv")
        k = y.max() + 1
        y_pred = y.copy()
        flip = rng.random(len(y)) < 0.25
        y_pred[flip] = rng.integers(0, k, flip.sum())
        if name == "wine":
            y_pred[y_pred == 2] = 1  # class 2 never predicted: precision's zero division
        logits = rng.normal(size=(len(y), k)) + 1.5 * np.eye(k)[y]
        proba = softmax(np.round(logits, 1))  # rounding makes ties in the one-vs-rest AUC
        out["metrics_" + name] = classification_case(y, y_pred, proba)

    X, y = shipped_csv("breast_cancer.csv")
    score = -np.round(X[:, 0])  # mean radius in whole units: many ties; benign (1) has the smaller radius
    p1 = 1 / (1 + np.exp(-(score - score.mean()) / score.std()))
    p1[:3] = [0.0, 1.0, 1.0]  # exact 0 and 1: log loss clipping
    y_pred = (p1 > 0.5).astype(int)
    case = classification_case(y, y_pred, np.column_stack([1 - p1, p1]))
    case["scores"] = tolist(score)
    case["roc_auc"] = metrics.roc_auc_score(y, score)
    case["p1"] = tolist(p1)
    for name, fn in [("precision", metrics.precision_score), ("recall", metrics.recall_score), ("f1", metrics.f1_score)]:
        case[name + "_binary"] = fn(y, y_pred)
    out["metrics_breast_cancer"] = case

    # --- regression metrics: linnerud physiological (3 targets) against noisy shrunken predictions ---
    Y = np.loadtxt(os.path.join(DATA, "linnerud_physiological.csv"), skiprows=1)
    P = Y.mean(axis=0) + 0.6 * (Y - Y.mean(axis=0)) + rng.normal(scale=Y.std(axis=0) * 0.3, size=Y.shape)
    out["regression"] = {
        "y": tolist(Y), "p": tolist(P),
        "mse_raw": tolist(metrics.mean_squared_error(Y, P, multioutput="raw_values")),
        "mse": metrics.mean_squared_error(Y, P),
        "mae_raw": tolist(metrics.mean_absolute_error(Y, P, multioutput="raw_values")),
        "mae": metrics.mean_absolute_error(Y, P),
        "r2_raw": tolist(metrics.r2_score(Y, P, multioutput="raw_values")),
        "r2_uniform": metrics.r2_score(Y, P, multioutput="uniform_average"),
        "r2_variance_weighted": metrics.r2_score(Y, P, multioutput="variance_weighted"),
    }

    # --- preprocessing: wine (+ a constant column), iris with NaN holes, small integer categories ---
    Xw, yw = shipped_csv("wine_data.csv")
    Xc = np.column_stack([Xw, np.full(len(Xw), 3.5)])
    s = StandardScaler().fit(Xc)
    s_nomean = StandardScaler(with_mean=False).fit(Xc)
    m = MinMaxScaler().fit(Xc)
    m2 = MinMaxScaler(feature_range=(-1, 2)).fit(Xc)
    out["scalers"] = {
        "x": tolist(Xc),
        "standard_mean": tolist(s.mean_), "standard_var": tolist(s.var_), "standard_scale": tolist(s.scale_),
        "standard_transform_head": tolist(s.transform(Xc[:6])),
        "standard_nomean_transform_head": tolist(s_nomean.transform(Xc[:6])),
        "minmax_min": tolist(m.data_min_), "minmax_max": tolist(m.data_max_),
        "minmax_transform_head": tolist(m.transform(Xc[:6])),
        "minmax_range_transform_head": tolist(m2.transform(Xc[:6])),
    }
    Xi, _ = shipped_csv("iris.csv")
    Xn = np.round(Xi[:30].copy(), 1)
    holes = rng.random(Xn.shape) < 0.2
    Xn[holes] = np.nan
    imp = {"x": [[None if np.isnan(v) else v for v in row] for row in Xn]}
    for strategy in ["mean", "median", "most_frequent"]:
        im = SimpleImputer(strategy=strategy).fit(Xn)
        imp[strategy + "_statistics"] = tolist(im.statistics_)
        imp[strategy + "_transform"] = tolist(im.transform(Xn))
    out["imputer"] = imp
    cats = rng.integers(0, 4, size=(12, 2)) * np.array([1, 10])
    enc = OneHotEncoder().fit(cats)
    out["onehot"] = {"x": tolist(cats), "categories": [tolist(c) for c in enc.categories_], "transform": tolist(enc.transform(cats).toarray())}
    out["class_weight_wine"] = {"labels": tolist(yw), "classes": tolist(np.unique(yw)),
                                "weights": tolist(compute_class_weight("balanced", classes=np.unique(yw), y=yw))}

    # --- K-fold and stratified K-fold without shuffling: the folds are exact; wine labels reordered so classes interleave ---
    yk = yw[rng.permutation(len(yw))]
    out["folds"] = {"labels": tolist(yk),
                    "kfold5_test": [tolist(t) for _, t in KFold(5).split(yk)],
                    "stratified5_test": [tolist(t) for _, t in StratifiedKFold(5).split(np.zeros(len(yk)), yk)]}

    # --- ridge: diabetes (raw features) for several α, sample weights, no intercept; linnerud with α per target ---
    with gzip.open(os.path.join(DATA, "diabetes_data_raw.csv.gz"), "rt") as f:
        Xd = np.loadtxt(f)
    with gzip.open(os.path.join(DATA, "diabetes_target.csv.gz"), "rt") as f:
        yd = np.loadtxt(f)
    ridge = {"x": tolist(Xd), "y": tolist(yd), "fits": []}
    w = rng.uniform(0.5, 2.0, size=len(yd))
    ridge["sample_weight"] = tolist(w)
    for alpha in [0.01, 1.0, 10.0, 1000.0]:
        r = Ridge(alpha=alpha, solver="svd").fit(Xd, yd)
        ridge["fits"].append({"alpha": alpha, "fit_intercept": True, "weighted": False,
                              "coef": tolist(r.coef_), "intercept": r.intercept_, "predict_head": tolist(r.predict(Xd[:5]))})
    r = Ridge(alpha=1.0, solver="svd").fit(Xd, yd, sample_weight=w)
    ridge["fits"].append({"alpha": 1.0, "fit_intercept": True, "weighted": True, "coef": tolist(r.coef_), "intercept": r.intercept_,
                          "predict_head": tolist(r.predict(Xd[:5]))})
    r = Ridge(alpha=1.0, fit_intercept=False, solver="svd").fit(Xd, yd)
    ridge["fits"].append({"alpha": 1.0, "fit_intercept": False, "weighted": False, "coef": tolist(r.coef_), "intercept": r.intercept_,
                          "predict_head": tolist(r.predict(Xd[:5]))})
    out["ridge_diabetes"] = ridge
    Xl = np.loadtxt(os.path.join(DATA, "linnerud_exercise.csv"), skiprows=1)
    alphas = np.array([0.5, 10.0, 300.0])
    r = Ridge(alpha=alphas, solver="svd").fit(Xl, Y)
    out["ridge_linnerud"] = {"x": tolist(Xl), "y": tolist(Y), "alphas": tolist(alphas),
                             "coef": tolist(r.coef_), "intercept": tolist(r.intercept_)}

    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
