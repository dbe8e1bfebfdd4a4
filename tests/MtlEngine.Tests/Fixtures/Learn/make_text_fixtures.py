#!/usr/bin/python3
"""Reference values from scikit-learn 1.2 (Debian python3-sklearn) for tests/MtlEngine.Tests/Learn/Text*.

Run: /usr/bin/python3 make_text_fixtures.py  (writes text_fixtures.json beside this script).
Reads the shipped WordNet glosses from /work/shared/datasets/wordnet/glosses.tsv.gz (the gloss column is the text).
For the 117,659-document cases the integer CSR arrays are stored as SHA-256 digests of their int32 little-endian bytes
(exact), the float data as column sums plus the full rows of a few documents; small cases store every array.
"""
import gzip
import hashlib
import json
import os
import re
import sys
import time
import unicodedata

import numpy as np
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "text_fixtures.json")
GLOSSES = "/work/shared/datasets/wordnet/glosses.tsv.gz"


def glosses():
    with gzip.open(GLOSSES, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[0] == "offset\tpos\tsupersense\twords\tgloss"
    return [line.rstrip("\r").split("\t")[4] for line in lines[1:] if line]


def sha_int32(a):
    return hashlib.sha256(np.asarray(a, dtype="<i4").tobytes()).hexdigest()


def sha_names(names):
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


def options(kw):
    """The keyword arguments as JSON (a set of stop words as a sorted list, a tuple as a list, floats kept apart from ints)."""
    out = {}
    for k, v in kw.items():
        if isinstance(v, (set, frozenset, list)):
            v = sorted(v)
        elif isinstance(v, tuple):
            v = list(v)
        elif isinstance(v, float):
            v = {"fraction": v}
        out[k] = v
    return out


def canonical(x):
    x = x.tocsr().copy()
    x.sum_duplicates()
    x.sort_indices()
    return x


def small_case(kind, docs, kw, transform_docs=None):
    vec = (TfidfVectorizer if kind == "tfidf" else CountVectorizer)(**kw)
    x = canonical(vec.fit_transform(docs))
    names = vec.get_feature_names_out().tolist()
    case = {
        "kind": kind, "options": options(kw), "documents": docs, "feature_names": names,
        "indptr": x.indptr.tolist(), "indices": x.indices.tolist(), "data": x.data.tolist(),
        "pruned": sorted(vec.stop_words_),
    }
    if kind == "tfidf" and vec.use_idf:
        case["idf"] = vec.idf_.tolist()
    if transform_docs is not None:
        t = canonical(vec.transform(transform_docs))
        case["transform_documents"] = transform_docs
        case["transform"] = {"indptr": t.indptr.tolist(), "indices": t.indices.tolist(), "data": t.data.tolist()}
    return case


SAMPLE_ROWS = [0, 1, 2, 3, 17, 999, 5000, 40000, 82114, 82115, 95881, 100000, 114037, 117658]


def big_summary(x, with_rows=True):
    x = canonical(x)
    out = {
        "shape": list(x.shape), "nnz": int(x.nnz),
        "indptr_sha256": sha_int32(x.indptr), "indices_sha256": sha_int32(x.indices),
    }
    # Weighted sums of the data: Σ x[i,j], Σ x[i,j]·(j mod 97 + 1), Σ x[i,j]·(i mod 89 + 1), and every 50th column sum.
    rows_of = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    out["sum"] = float(x.data.sum())
    out["sum_column_weighted"] = float((x.data * (x.indices % 97 + 1)).sum())
    out["sum_row_weighted"] = float((x.data * (rows_of % 89 + 1)).sum())
    out["column_sums_every_50"] = np.asarray(x.sum(axis=0)).ravel()[::50].tolist()
    if np.all(x.data == np.round(x.data)):
        out["data_int_sha256"] = sha_int32(x.data.astype(np.int64))
    if with_rows:
        rows = [r for r in SAMPLE_ROWS if r < x.shape[0]]
        out["rows"] = {str(r): {"indices": x[r].indices.tolist(), "data": x[r].data.tolist()} for r in rows}
    return out


def big_case(kind, docs, kw, store_names=False, split=None, limit=None):
    """The first `limit` glosses (all when None); fitted on the first `split` of them, the rest transformed."""
    vec = (TfidfVectorizer if kind == "tfidf" else CountVectorizer)(**kw)
    docs = docs if limit is None else docs[:limit]
    fit_docs = docs if split is None else docs[:split]
    x = vec.fit_transform(fit_docs)
    names = vec.get_feature_names_out().tolist()
    case = {"kind": kind, "options": options(kw), "split": split, "limit": limit, "feature_count": len(names),
            "feature_names_sha256": sha_names(names), "pruned_count": len(vec.stop_words_)}
    if store_names:
        case["feature_names"] = names
    if kind == "tfidf" and vec.use_idf:
        case["idf_every_50"] = vec.idf_[::50].tolist()
    case["fit"] = big_summary(x)
    if split is not None:
        case["transform"] = big_summary(vec.transform(docs[split:]), with_rows=False)
    return case


# Hand-made strings: punctuation, digits, underscores, apostrophes, and Unicode that tells Python's \w from .NET's
# (superscripts and Roman numerals are \w in Python, combining marks and connector punctuation are not), the dotted
# capital I (lowers to two code points), Greek final sigma, CJK, astral letters, Turkish and German letters.
HAND = [
    "The quick brown fox -- jumps over the lazy dog's back!",
    "Don't stop: the U.S.A. isn't a 1-word token; e-mail x@y.com at 10:30pm, snake_case and __init__ too.",
    "Naïve café résumé: NAÏVE CAFÉ RÉSUMÉ, Ångström straße STRASSE.",
    "ΣΊΣΥΦΟΣ ΟΔΥΣΣΕΥΣ ΣΑΣ: Greek capitals, final sigma; ΑΣ. ΣΣ Σ",
    "İstanbul IŞIK ığdır — dotted İ and dotless ı",
    "x² x³ ½ ⅔ Ⅻ ⅻ ①② — numbers of other kinds (No, Nl)",
    "e\u0301te\u0301 cafe\u0301 — combining acute accents split words in Python",
    "a\u203fb a\u2040b a_b — connector punctuation",
    "東京 大学 日本語 中文字 — CJK",
    "𝐀𝐁𝐂 𝒳 𝔘𝔫𝔦 𐐀𐐨 — astral letters (𐐀 lowers to 𐐨)",
    "",
    "a b c 1 2 3 !!! ...",
    "The the THE tHe dog DOG dog.",
    "word\tword\nword\r\nword\u00a0word\u2003word",
    "ﬁne ﬂow ＡＢＣ ａｂｃ １２３ — ligatures and full-width forms",
]
HAND_TRANSFORM = ["the fox and the DOG", "unseen words only", "", "café CAFÉ Café naïve", "ΣΑΣ σας"]


def main():
    print("sklearn", sklearn.__version__, "numpy", np.__version__, "python", sys.version.split()[0],
          "unicode", unicodedata.unidata_version)
    fixtures = {"meta": {"sklearn": sklearn.__version__, "numpy": np.__version__, "unicode": unicodedata.unidata_version}}

    # Python's \w as code-point ranges, and every code point whose lower() is not itself.
    word = re.compile(r"\w")
    ranges, start = [], None
    for cp in range(0x110000 + 1):
        is_word = cp < 0x110000 and not (0xD800 <= cp < 0xE000) and word.match(chr(cp)) is not None
        if is_word and start is None:
            start = cp
        elif not is_word and start is not None:
            ranges.append([start, cp - 1])
            start = None
    fixtures["word_ranges"] = ranges
    unassigned, start = [], None
    for cp in range(0x110000 + 1):
        is_cn = cp < 0x110000 and unicodedata.category(chr(cp)) == "Cn"
        if is_cn and start is None:
            start = cp
        elif not is_cn and start is not None:
            unassigned.append([start, cp - 1])
            start = None
    fixtures["unassigned_ranges"] = unassigned  # in Python's Unicode version: .NET may know them as letters
    fixtures["lower_map"] = [[cp, chr(cp).lower()] for cp in range(0x110000)
                             if not (0xD800 <= cp < 0xE000) and chr(cp).lower() != chr(cp)]
    fixtures["lower_strings"] = [[s, s.lower()] for s in HAND + ["ΣΑΣ", "Σ", "ΑΣ.", "ΑΣ'Α", "Α'Σ", "ΑΣ1", "1Σ", "ΑΣΑ", "Α\u0301Σ", "ⅫΣ"]]

    analyzer_cases = []
    for kw in [{}, {"ngram_range": (1, 3)}, {"ngram_range": (2, 2), "stop_words": sorted({"the", "dog", "and"})},
               {"lowercase": False}, {"stop_words": sorted({"the", "a"})}]:
        analyze = CountVectorizer(**kw).build_analyzer()
        analyzer_cases.append({"options": options(kw), "features": [analyze(d) for d in HAND]})
    fixtures["analyzer"] = analyzer_cases

    small = []
    small.append(small_case("count", HAND, {}, HAND_TRANSFORM))
    small.append(small_case("count", HAND, {"ngram_range": (1, 2), "binary": True}, HAND_TRANSFORM))
    small.append(small_case("count", HAND, {"min_df": 2}, HAND_TRANSFORM))
    small.append(small_case("count", HAND, {"max_df": 0.2, "stop_words": sorted({"the"})}, HAND_TRANSFORM))
    small.append(small_case("count", HAND, {"max_features": 7}, HAND_TRANSFORM))
    small.append(small_case("count", HAND, {"max_features": 20, "ngram_range": (1, 2)}, HAND_TRANSFORM))
    small.append(small_case("count", HAND, {"min_df": 1.0 / 15, "max_df": 3}, HAND_TRANSFORM))
    small.append(small_case("tfidf", HAND, {}, HAND_TRANSFORM))
    small.append(small_case("tfidf", HAND, {"sublinear_tf": True, "norm": "l1", "smooth_idf": False}, HAND_TRANSFORM))
    small.append(small_case("tfidf", HAND, {"use_idf": False, "norm": None, "ngram_range": (1, 2)}, HAND_TRANSFORM))
    small.append(small_case("tfidf", HAND, {"norm": None, "binary": True, "lowercase": False}, HAND_TRANSFORM))
    small.append(small_case("tfidf", HAND, {"min_df": 2, "max_features": 3, "sublinear_tf": True}, HAND_TRANSFORM))
    fixtures["small"] = small

    # NumPy's unstable argsort on keys with many ties (the max_features tie-break).
    rng = np.random.default_rng(7)
    argsort_cases = []
    for n in [5, 16, 17, 40, 100, 1000, 2000]:
        keys = -rng.integers(1, 6, size=n).astype(np.float64)
        argsort_cases.append({"keys": keys.tolist(), "order": np.argsort(keys).tolist()})
    keys = -np.sort(rng.integers(1, 4, size=1500)).astype(np.float64)  # sorted runs
    argsort_cases.append({"keys": keys.tolist(), "order": np.argsort(keys).tolist()})
    fixtures["argsort"] = argsort_cases

    docs = glosses()
    assert len(docs) == 117659
    t = time.perf_counter()
    big = [big_case("tfidf", docs, {"min_df": 2, "sublinear_tf": True})]
    print(f"tfidf(min_df=2, sublinear) fit_transform {time.perf_counter() - t:.2f} s")
    big.append(big_case("count", docs, {}))
    big.append(big_case("count", docs, {"max_features": 2000, "binary": True}, store_names=True))
    big.append(big_case("count", docs, {"max_features": 5000, "ngram_range": (1, 2), "stop_words": sorted({"the", "of", "a", "or", "to", "and", "in"})},
                        store_names=True, limit=30000))
    big.append(big_case("tfidf", docs, {"ngram_range": (1, 2), "min_df": 3, "max_df": 0.5, "norm": "l1", "smooth_idf": False}, limit=30000))
    big.append(big_case("tfidf", docs, {"min_df": 0.0001, "max_df": 0.05, "use_idf": True, "norm": None, "sublinear_tf": True}, split=80000))
    fixtures["wordnet"] = big

    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(fixtures, f, ensure_ascii=False, separators=(",", ":"))
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
