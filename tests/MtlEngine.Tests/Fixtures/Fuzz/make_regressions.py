# Writes the minimal inputs of the failure classes issue 18 found, replayed by FuzzTests.RegressionCasesStayFixed
# (the fuzzer adds its own finds here as <format>-<case>.bin). Run with /usr/bin/python3 from this folder.
import io, json, struct, zipfile
import numpy as np

def safetensors(header, data=b""):
    raw = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, (bytes, str)) else (header.encode() if isinstance(header, str) else header)
    return struct.pack("<Q", len(raw)) + raw + data

def npy(array):
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()

def npz(**arrays):
    stream = io.BytesIO()
    np.savez(stream, **arrays)
    return bytearray(stream.getvalue())

def model(kind, tensors, metadata):
    header, data, offset = {"__metadata__": {"mtl.model": kind, "mtl.format_version": "1", **metadata}}, b"", 0
    for name, values in sorted(tensors.items()):
        raw = np.asarray(values, dtype="<f8").tobytes() if not isinstance(values, tuple) else np.asarray(values[0], dtype=values[1]).tobytes()
        shape = list(np.asarray(values if not isinstance(values, tuple) else values[0]).shape)
        header[name] = {"dtype": "F64" if not isinstance(values, tuple) else values[2], "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    return safetensors(header, data)

files = {}
files["safetensors-lone-surrogate.bin"] = safetensors('{"a\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4)
files["safetensors-duplicate-key-in-entry.bin"] = safetensors('{"a":{"dtype":"F32","shape":[1],"dtype":"I32","data_offsets":[0,4]}}', b"\0" * 4)
z = npz(w=np.arange(3.0))
crc_at = z.find(b"PK\x03\x04") + 14
z[crc_at] ^= 1
files["npz-local-crc-mismatch.bin"] = bytes(z)
z = npz(w=np.arange(3.0))
z[z.find(b"PK\x03\x04") + 6] |= 1
files["npz-local-flag-encrypted.bin"] = bytes(z)
z = npz(w=np.arange(3.0))
z[z.find(b"PK\x01\x02") + 8] |= 1
files["npz-central-flag-encrypted.bin"] = bytes(z)
files["csv-malformed-first-row.bin"] = b"1,2x,3\n4,5,6\n"
ridge = {"coef_": [0.5, -1.0, 2.0], "intercept_": [0.25]}
files["model-ridge-alpha-x.bin"] = model("ridge", ridge, {"alpha": "x", "fit_intercept": "true", "solver": "Cholesky", "target_rank": "1"})
files["model-ridge-fit-intercept-yes.bin"] = model("ridge", ridge, {"alpha": "1", "fit_intercept": "yes", "solver": "Cholesky", "target_rank": "1"})
files["model-ridge-nan-coef.bin"] = model("ridge", {"coef_": [float("nan"), 1.0, 2.0], "intercept_": [0.0]}, {"alpha": "1", "fit_intercept": "true", "solver": "Cholesky", "target_rank": "1"})
files["model-ridge-intercept-2d.bin"] = model("ridge", {"coef_": [0.5, -1.0, 2.0], "intercept_": [[0.25]]}, {"alpha": "1", "fit_intercept": "true", "solver": "Cholesky", "target_rank": "1"})
files["model-logreg-relabelled-ridge.bin"] = model("ridge", {"coef_": [[0.5, -1.0, 2.0]], "intercept_": [0.1], "classes_": ([0, 1], "<i8", "I64")}, {})
files["model-pca-whiten-yes.bin"] = model("pca", {"components_": [[1.0, 0.0, 0.0]], "explained_variance_": [1.0], "explained_variance_ratio_": [1.0],
    "singular_values_": [2.0], "mean_": [0.0, 0.0, 0.0], "noise_variance_": [0.0]}, {"whiten": "yes", "solver": "full", "n_samples": "5"})
files["model-pca-explained-variance-2d.bin"] = model("pca", {"components_": [[1.0, 0.0, 0.0]], "explained_variance_": [[1.0]], "explained_variance_ratio_": [1.0],
    "singular_values_": [2.0], "mean_": [0.0, 0.0, 0.0], "noise_variance_": [0.0]}, {"whiten": "false", "solver": "full", "n_samples": "5"})
files["model-unknown-kind.bin"] = model("\x1b[31mevil", ridge, {})
# Found by the fuzzer: an offset past the end of the term bytes (was an ArgumentOutOfRangeException while decoding).
files["model-count-vectorizer-offset-past-end.bin"] = model("count_vectorizer",
    {"feature_names_utf8": (list(b"catdo"), "u1", "U8"), "feature_names_offsets": ([0, 100, 5], "<i8", "I64")},
    {"lowercase": "true", "stop_words": "none", "ngram_range": "1,1", "min_df": "1", "max_df": "1.0", "max_features": "none", "binary": "false"})
# Found by the fuzzer: a lone surrogate escape in the spec (was an InvalidOperationException from System.Text.Json).
files["spec-lone-surrogate-key.bin"] = b"\x00" + b'{"x\\ud800": 1, "inputs": [], "tasks": []}'
files["cli-npy-escape-in-descr.bin"] = b"\x00" + npy(np.arange(3.0)).replace(b"<f8", b"\x1b[2")
files["cli-safetensors-lone-surrogate.bin"] = b"\x02" + files["safetensors-lone-surrogate.bin"]
files["cli-model-ridge-alpha-x.bin"] = b"\x04" + files["model-ridge-alpha-x.bin"]
for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
print(len(files), "files")
