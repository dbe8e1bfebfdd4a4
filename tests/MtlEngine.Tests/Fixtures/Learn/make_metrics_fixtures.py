#!/usr/bin/python3
"""Edge cases of scikit-learn 1.2's metrics for tests/MtlEngine.Tests/Metrics/MetricsEdgeCaseTests.cs.

Run: /usr/bin/python3 make_metrics_fixtures.py  (writes metrics_fixtures.json beside this script).
Complements make_learn_fixtures.py (iris/wine/breast cancer): zero_division 0 and 1 with a class never predicted and
a class never true, binary averaging with one class present, sample weights, confusion matrix with given labels,
one-vs-rest ROC AUC on the shipped digits (10 classes, tied scores), log loss with labels and weights, and R² with
constant targets (force_finite) and multi-output averaging.
"""
import gzip
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics

warnings.simplefilter("ignore")
DATA = "/work/shared/datasets/tabular"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_fixtures.json")


def tolist(a):
    return np.asarray(a).tolist()


def prf(y_true, y_pred, zero_division):
    out = {}
    for name, fn in [("precision", metrics.precision_score), ("recall", metrics.recall_score), ("f1", metrics.f1_score)]:
        out[name + "_per_class"] = tolist(fn(y_true, y_pred, average=None, zero_division=zero_division))
        for avg in ["macro", "micro", "weighted"]:
            out[f"{name}_{avg}"] = float(fn(y_true, y_pred, average=avg, zero_division=zero_division))
    return out


def main():
    rng = np.random.default_rng(61)
    out = {"sklearn_version": sklearn.__version__}

    # Labels 0..4: class 3 is never predicted, class 4 is only predicted (never true), class 1 is never right.
    y_true = np.array([0, 0, 1, 1, 2, 2, 2, 3, 3, 0, 1, 2])
    y_pred = np.array([0, 4, 0, 2, 2, 2, 4, 0, 2, 0, 4, 2])
    cases = []
    for zd in [0, 1]:
        case = {"y_true": tolist(y_true), "y_pred": tolist(y_pred), "zero_division": zd}
        case.update(prf(y_true, y_pred, zd))
        cases.append(case)
    out["zero_division"] = cases

    # Binary averaging: only the negative class present (pos_label=1 absent), and 0/1 with no positive prediction.
    binary = []
    for yt, yp in [([0, 0, 0], [0, 0, 0]), ([0, 1, 1, 0], [0, 0, 0, 0]), ([1, 1, 0], [1, 1, 1])]:
        for zd in [0, 1]:
            binary.append({"y_true": yt, "y_pred": yp, "zero_division": zd,
                           "precision": float(metrics.precision_score(yt, yp, zero_division=zd)),
                           "recall": float(metrics.recall_score(yt, yp, zero_division=zd)),
                           "f1": float(metrics.f1_score(yt, yp, zero_division=zd))})
    out["binary"] = binary

    w = rng.random(len(y_true))
    out["weighted_accuracy"] = {"y_true": tolist(y_true), "y_pred": tolist(y_pred), "w": tolist(w),
                                "accuracy": float(metrics.accuracy_score(y_true, y_pred, sample_weight=w)),
                                "accuracy_unweighted": float(metrics.accuracy_score(y_true, y_pred))}
    out["confusion_labels"] = {"y_true": tolist(y_true), "y_pred": tolist(y_pred), "labels": [4, 2, 0, 7],
                               "matrix": tolist(metrics.confusion_matrix(y_true, y_pred, labels=[4, 2, 0, 7]))}

    # Digits: 10 classes, scores = rounded noisy one-hot then softmax (ties), OvR macro/weighted and per class.
    rows = np.loadtxt(gzip.open(os.path.join(DATA, "digits.csv.gz"), "rt"), delimiter=",")
    y = rows[:, -1].astype(int)
    logits = np.round(rng.normal(size=(len(y), 10)) + 1.2 * np.eye(10)[y], 1)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    out["digits_auc"] = {
        "y": tolist(y), "proba": tolist(p),
        "ovr_macro": float(metrics.roc_auc_score(y, p, multi_class="ovr", average="macro")),
        "ovr_weighted": float(metrics.roc_auc_score(y, p, multi_class="ovr", average="weighted")),
        "ovr_per_class": tolist(metrics.roc_auc_score(y, p, multi_class="ovr", average=None)),
        "log_loss": float(metrics.log_loss(y, p)),
        "log_loss_weighted": float(metrics.log_loss(y, p, sample_weight=(y % 3) + 0.5)),
        "accuracy": float(metrics.accuracy_score(y, p.argmax(axis=1))),
    }
    # Log loss with labels given: y_true holds only 0 and 2 of labels 0..2.
    yl = np.array([0, 2, 2, 0, 2])
    pl = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    out["log_loss_labels"] = {"y": tolist(yl), "proba": tolist(pl), "labels": [0, 1, 2],
                              "value": float(metrics.log_loss(yl, pl, labels=[0, 1, 2]))}

    # R²: a constant target predicted exactly (1.0) and one predicted wrongly (0.0), variance-weighted averaging.
    Y = np.column_stack([np.arange(6.0), np.full(6, 2.0), np.full(6, -1.0), np.arange(6.0) ** 2])
    P = Y.copy()
    P[:, 0] += [0.1, -0.2, 0.0, 0.3, -0.1, 0.2]
    P[:, 2] += 0.5
    P[:, 3] *= 0.9
    out["r2"] = {"y": tolist(Y), "p": tolist(P),
                 "raw": tolist(metrics.r2_score(Y, P, multioutput="raw_values")),
                 "uniform": float(metrics.r2_score(Y, P)),
                 "variance_weighted": float(metrics.r2_score(Y, P, multioutput="variance_weighted")),
                 "mse_raw": tolist(metrics.mean_squared_error(Y, P, multioutput="raw_values")),
                 "mae_raw": tolist(metrics.mean_absolute_error(Y, P, multioutput="raw_values"))}
    Yc = Y[:, 1:3]
    Pc = P[:, 1:3]
    out["r2_all_constant"] = {"y": tolist(Yc), "p": tolist(Pc),
                              "raw": tolist(metrics.r2_score(Yc, Pc, multioutput="raw_values")),
                              "variance_weighted": float(metrics.r2_score(Yc, Pc, multioutput="variance_weighted"))}
    out["r2_one_sample_is_nan"] = bool(np.isnan(metrics.r2_score([1.0], [2.0])))

    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
