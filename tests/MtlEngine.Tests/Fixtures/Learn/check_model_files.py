#!/usr/bin/python3
"""Reads the model files MtlEngine wrote (models/*.safetensors) in Python and writes what scikit-learn 1.2 computes from them.

Run from anywhere:  /usr/bin/python3 tests/MtlEngine.Tests/Fixtures/Learn/check_model_files.py
The files are read with NumPy alone (read_safetensors of ../Data/make_data_fixtures.py: the `safetensors` package is not
in Debian; safetensors.numpy.load_file reads them the same way). Each scikit-learn estimator is rebuilt from the stored
attributes, which carry scikit-learn's names, and applied to the inputs stored beside the models (written by
PythonModelFileTests.WriteFixtures). The outputs go to models/python_outputs.json, which PythonModelFileTests compares with
MtlEngine's loaded models. Multi-task ridge (Evgeniou-Pontil) has no scikit-learn estimator: its prediction is computed from
coef_ and intercept_ with NumPy, after checking coef_ = shared_coef_ + task_coef_.
"""
import importlib.util
import json
import os

import numpy as np
from sklearn.cross_decomposition import CCA
from sklearn.decomposition import IncrementalPCA
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import MultiTaskElasticNet

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")

_spec = importlib.util.spec_from_file_location("make_data_fixtures", os.path.join(HERE, "..", "Data", "make_data_fixtures.py"))
_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_data)


def load(kind):
    tensors, metadata = _data.read_safetensors(os.path.join(MODELS, kind + ".safetensors"))
    assert metadata["mtl.model"] == kind and metadata["mtl.format_version"] == "1", metadata
    return tensors, metadata


def flag(metadata, key):
    return {"true": True, "false": False}[metadata[key]]


def matrix(a):
    return [[float(v) for v in row] for row in np.asarray(a)]


def vector(a):
    return [float(v) for v in np.asarray(a).reshape(-1)]


def csr(m):
    m = m.tocsr()
    m.sort_indices()
    return {"shape": list(m.shape), "indptr": [int(v) for v in m.indptr], "indices": [int(v) for v in m.indices], "data": vector(m.data)}


def feature_names(tensors):
    b, o = tensors["feature_names_utf8"], tensors["feature_names_offsets"]
    return [bytes(b[o[j]:o[j + 1]]).decode("utf-8") for j in range(len(o) - 1)]


def frequency(text):
    return float(text) if ("." in text or "e" in text.lower()) else int(text)


def vectorizer_options(metadata):
    low, high = (int(v) for v in metadata["ngram_range"].split(","))
    options = dict(lowercase=flag(metadata, "lowercase"), ngram_range=(low, high), binary=flag(metadata, "binary"),
                   stop_words=None if metadata["stop_words"] == "none" else json.loads(metadata["stop_words"]))
    if "token_pattern" in metadata:
        options["token_pattern"] = metadata["token_pattern"]
    return options


def main():
    out = {}

    t, m = load("multitask_ridge")
    assert np.allclose(t["coef_"], t["shared_coef_"] + t["task_coef_"], rtol=0, atol=1e-12)
    x = np.load(os.path.join(MODELS, "multitask_ridge.x.npy"))
    out["multitask_ridge"] = {"predict": matrix(x @ t["coef_"].T + t["intercept_"]), "lambda_shared": float(m["lambda_shared"])}

    x = np.load(os.path.join(MODELS, "linnerud.x.npy"))
    y = np.load(os.path.join(MODELS, "linnerud.y.npy"))
    t, m = load("multitask_elasticnet")
    enet = MultiTaskElasticNet(alpha=float(m["alpha"]), l1_ratio=float(m["l1_ratio"]), fit_intercept=flag(m, "fit_intercept"),
                               max_iter=int(m["max_iter"]), tol=float(m["tol"]))
    enet.coef_, enet.intercept_, enet.n_features_in_ = t["coef_"], t["intercept_"], t["coef_"].shape[1]
    out["multitask_elasticnet"] = {"predict": matrix(enet.predict(x))}

    t, m = load("cca")
    cca = CCA(n_components=int(m["n_components"]), scale=flag(m, "scale"), max_iter=int(m["max_iter"]), tol=float(m["tol"]))
    for name in ["x_weights_", "y_weights_", "x_loadings_", "y_loadings_", "x_rotations_", "y_rotations_",
                 "_x_mean", "_x_std", "_y_mean", "_y_std", "intercept_"]:
        setattr(cca, name, t[name])
    cca._coef_ = t["coef_"]  # scikit-learn 1.2 keeps coef_ of shape (q, p) as _coef_ (1.3: coef_)
    cca.n_features_in_ = t["x_weights_"].shape[0]
    cca.n_iter_ = [int(v) for v in t["n_iter_"]]
    x_scores, y_scores = cca.transform(x, y)
    out["cca"] = {"x_scores": matrix(x_scores), "y_scores": matrix(y_scores), "predict": matrix(cca.predict(x))}

    t, m = load("incremental_pca")
    k = t["components_"].shape[0]
    ipca = IncrementalPCA(n_components=None if m["n_components"] == "none" else int(m["n_components"]), whiten=flag(m, "whiten"),
                          batch_size=None if m["batch_size"] == "none" else int(m["batch_size"]))
    for name in ["components_", "explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_", "var_"]:
        setattr(ipca, name, t[name].copy())
    ipca.noise_variance_ = float(t["noise_variance_"][0])
    ipca.n_samples_seen_ = int(t["n_samples_seen_"][0])
    ipca.n_components_, ipca.n_features_in_ = k, t["components_"].shape[1]
    iris = np.load(os.path.join(MODELS, "iris.x.npy"))
    transform = ipca.transform(iris)
    ipca.partial_fit(np.load(os.path.join(MODELS, "iris.next_batch.npy")))
    out["incremental_pca"] = {"transform": matrix(transform), "after_partial_fit": {
        "n_samples_seen": int(ipca.n_samples_seen_), "components": matrix(ipca.components_), "singular_values": vector(ipca.singular_values_),
        "mean": vector(ipca.mean_), "var": vector(ipca.var_), "explained_variance_ratio": vector(ipca.explained_variance_ratio_)}}

    with open(os.path.join(MODELS, "documents.json"), encoding="utf-8") as f:
        documents = json.load(f)
    t, m = load("count_vectorizer")
    names = feature_names(t)
    counts = CountVectorizer(vocabulary=names, **vectorizer_options(m))
    out["count_vectorizer"] = {"feature_names": names, "transform": csr(counts.transform(documents))}

    t, m = load("tfidf_vectorizer")
    names = feature_names(t)
    tfidf = TfidfVectorizer(vocabulary=names, norm=None if m["norm"] == "none" else m["norm"], use_idf=flag(m, "use_idf"),
                            smooth_idf=flag(m, "smooth_idf"), sublinear_tf=flag(m, "sublinear_tf"), **vectorizer_options(m))
    tfidf.fit(["unused"])            # sets vocabulary_ from the fixed vocabulary and creates the idf step
    if "idf_" in t:
        tfidf.idf_ = t["idf_"]       # the idf read from our file replaces the one fitted on the dummy document
    out["tfidf_vectorizer"] = {"feature_names": names, "transform": csr(tfidf.transform(documents))}

    with open(os.path.join(MODELS, "python_outputs.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print("read", ", ".join(sorted(out)), "->", os.path.join(MODELS, "python_outputs.json"))


if __name__ == "__main__":
    main()
