#!/usr/bin/python3
"""Reference values from scikit-learn 1.2 (Debian python3-sklearn) for PCA, IncrementalPCA and CCA
(tests/MtlEngine.Tests/Learn/PcaTests.cs, IncrementalPcaTests.cs, CcaTests.cs).

Run: /usr/bin/python3 make_decomposition_fixtures.py  (writes decomposition_fixtures.json beside this script).
Reads the shipped data from /work/shared/datasets/tabular (the same files the C# tests load through
MtlEngine.Datasets.ShippedDatasets), so the JSON holds only results, not the inputs; the synthetic two-view CCA
set is written out in full.
"""
import gzip
import json
import os

import numpy as np
import sklearn
from sklearn.cross_decomposition import CCA
from sklearn.decomposition import PCA, IncrementalPCA

DATA = "/work/shared/datasets/tabular"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "decomposition_fixtures.json")
HEAD = 10  # rows of transforms stored


def shipped_csv(name):
    with open(os.path.join(DATA, name)) as f:
        f.readline()
        rows = np.loadtxt(f, delimiter=",")
    return rows[:, :-1]


def digits():
    with gzip.open(os.path.join(DATA, "digits.csv.gz"), "rt") as f:
        rows = np.loadtxt(f, delimiter=",")
    return rows[:, :-1]


def linnerud():
    def read(name):
        with open(os.path.join(DATA, name)) as f:
            f.readline()
            return np.loadtxt(f)
    return read("linnerud_exercise.csv"), read("linnerud_physiological.csv")


def tolist(a):
    return np.asarray(a).tolist()


def pca_case(x, k, fraction=None):
    """Full-solver PCA (int k), plus whiten, plus a float variance fraction."""
    pca = PCA(n_components=k, svd_solver="full")
    scores = pca.fit_transform(x)
    white = PCA(n_components=k, svd_solver="full", whiten=True)
    white_scores = white.fit_transform(x)
    case = {
        "n_components": k,
        "components": tolist(pca.components_),
        "explained_variance": tolist(pca.explained_variance_),
        "explained_variance_ratio": tolist(pca.explained_variance_ratio_),
        "singular_values": tolist(pca.singular_values_),
        "mean": tolist(pca.mean_),
        "noise_variance": float(pca.noise_variance_),
        "fit_transform_head": tolist(scores[:HEAD]),
        "transform_head": tolist(pca.transform(x[:HEAD])),
        "whiten_transform_head": tolist(white.transform(x[:HEAD])),
        "whiten_fit_transform_head": tolist(white_scores[:HEAD]),
        "inverse_head": tolist(pca.inverse_transform(scores[:HEAD])),
        "whiten_inverse_head": tolist(white.inverse_transform(white_scores[:HEAD])),
    }
    if fraction is not None:
        f = PCA(n_components=fraction, svd_solver="full").fit(x)
        case["fraction"] = fraction
        case["fraction_n_components"] = int(f.n_components_)
        case["fraction_noise_variance"] = float(f.noise_variance_)
    # The randomized solver (its random stream differs from NumPy's: compared with tolerances).
    r = PCA(n_components=k, svd_solver="randomized", random_state=0).fit(x)
    case["randomized_explained_variance"] = tolist(r.explained_variance_)
    case["randomized_noise_variance"] = float(r.noise_variance_)
    case["randomized_components"] = tolist(r.components_)
    return case


def ipca_case(x, k, batch_size):
    ipca = IncrementalPCA(n_components=k, batch_size=batch_size).fit(x)
    return {
        "n_components": k,
        "batch_size": batch_size,
        "components": tolist(ipca.components_),
        "explained_variance": tolist(ipca.explained_variance_),
        "explained_variance_ratio": tolist(ipca.explained_variance_ratio_),
        "singular_values": tolist(ipca.singular_values_),
        "mean": tolist(ipca.mean_),
        "var": tolist(ipca.var_),
        "noise_variance": float(ipca.noise_variance_),
        "n_samples_seen": int(ipca.n_samples_seen_),
        "transform_head": tolist(ipca.transform(x[:HEAD])),
    }


def cca_case(x, y, k, x_list=False):
    cca = CCA(n_components=k).fit(x, y)
    xs, ys = cca.transform(x, y)
    corr = [float(np.corrcoef(xs[:, j], ys[:, j])[0, 1]) for j in range(k)]
    case = {
        "n_components": k,
        "x_weights": tolist(cca.x_weights_),
        "y_weights": tolist(cca.y_weights_),
        "x_loadings": tolist(cca.x_loadings_),
        "y_loadings": tolist(cca.y_loadings_),
        "x_rotations": tolist(cca.x_rotations_),
        "y_rotations": tolist(cca.y_rotations_),
        "coef": tolist(cca.coef_),
        "n_iter": [int(i) for i in cca.n_iter_],
        "x_scores": tolist(xs),
        "y_scores": tolist(ys),
        "predict": tolist(cca.predict(x)),
        "canonical_correlations": corr,
    }
    if x_list:
        case["x"] = tolist(x)
        case["y"] = tolist(y)
    return case


def two_views(n=200, seed=7):
    """A synthetic two-view set: a shared 2-D latent z seen through two noisy linear maps."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    x = z @ rng.normal(size=(2, 5)) + 0.5 * rng.normal(size=(n, 5))
    y = z @ rng.normal(size=(2, 4)) + 0.5 * rng.normal(size=(n, 4))
    return x, y


def main():
    iris, wine, cancer, dig = shipped_csv("iris.csv"), shipped_csv("wine_data.csv"), shipped_csv("breast_cancer.csv"), digits()
    exercise, physiological = linnerud()
    vx, vy = two_views()
    fixtures = {
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__},
        "pca_iris": pca_case(iris, 2, fraction=0.95),
        "pca_wine": pca_case(wine, 5, fraction=0.99999),
        "pca_breast_cancer": pca_case(cancer, 10),
        "pca_digits": pca_case(dig, 16, fraction=0.9),
        "ipca_iris": ipca_case(iris, 2, 30),
        "ipca_digits": ipca_case(dig, 16, 200),
        "ipca_breast_cancer": ipca_case(cancer, 5, None),
        "cca_linnerud": cca_case(exercise, physiological, 2),
        "cca_two_views": cca_case(vx, vy, 2, x_list=True),
    }
    with open(OUT, "w") as f:
        json.dump(fixtures, f)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
