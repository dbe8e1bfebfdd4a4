#!/usr/bin/env python3
"""The peer of `mtl bench text`: scikit-learn's TfidfVectorizer.fit_transform on the same WordNet glosses (the gloss
column of /work/shared/datasets/wordnet/glosses.tsv.gz, read before timing), same options, seconds = median of 3 runs
after one warm-up. Prints the engine's key=value lines."""
import gzip
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer

PATH = "/work/shared/datasets/wordnet/glosses.tsv.gz"


def main():
    docs_limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with gzip.open(PATH, "rt", encoding="utf-8") as f:
        texts = [line.rstrip("\n").split("\t")[4] for line in f.read().split("\n")[1:] if line]
    if docs_limit > 0:
        texts = texts[:docs_limit]
    for name, kw in [("tfidf_wordnet", {"min_df": 2, "sublinear_tf": True}),
                     ("tfidf_wordnet_bigrams", {"min_df": 2, "ngram_range": (1, 2)})]:
        x = TfidfVectorizer(**kw).fit_transform(texts)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            x = TfidfVectorizer(**kw).fit_transform(texts)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"name={name} docs={len(texts)} seconds={times[1]:.4g} features={x.shape[1]} nnz={x.nnz} threads=1")


if __name__ == "__main__":
    main()
