#!/usr/bin/python3
"""Writes the array-file fixtures that tests/MtlEngine.Tests/Data reads, using Debian's NumPy.

Run from anywhere:  /usr/bin/python3 tests/MtlEngine.Tests/Fixtures/Data/make_data_fixtures.py
Writes into numpy/ (files NumPy wrote), safetensors/ (written here by hand per the safetensors spec, since
the `safetensors` package is not in Debian) and expected.json (each fixture's dtype, shape and C-order values).

    make_data_fixtures.py --check-ours   loads the files in ours/ (written by MtlEngine's writers and committed
                                         by the tests' maintainer) with NumPy and checks them against expected.json.
"""
import json
import os
import struct
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NUMPY_DIR = os.path.join(HERE, "numpy")
SAFETENSORS_DIR = os.path.join(HERE, "safetensors")
OURS_DIR = os.path.join(HERE, "ours")


def sample(dtype, shape):
    """Deterministic values with negatives and fractions (where the dtype allows)."""
    n = int(np.prod(shape))
    i = np.arange(n)
    kind = np.dtype(dtype).kind
    if kind == "f":
        v = (i - n / 2) * 1.25 + 0.1
    elif kind == "i":
        v = (i - n // 2) * 1000003
    elif kind == "u":
        v = (i * 37) % 256
    else:  # bool
        v = (i % 3) == 0
    return np.asarray(v).astype(dtype).reshape(shape)


def describe(a):
    """The expected.json record: numpy dtype name, shape, C-order values (floats as shortest repr, NaN/inf as strings)."""
    flat = np.ascontiguousarray(a).reshape(-1)
    if flat.dtype.kind == "f":
        values = [float(x) if np.isfinite(x) else str(float(x)) for x in flat]
    elif flat.dtype.kind == "b":
        values = [bool(x) for x in flat]
    else:
        values = [int(x) for x in flat]
    return {"dtype": flat.dtype.newbyteorder("=").name, "shape": list(a.shape), "values": values}


def arrays_for_npy():
    """name -> (array, version) for single .npy files."""
    out = {}
    for code in ["<f4", "<f8", "<i4", "<i8", "|u1", "|b1"]:
        tag = code[1:]
        out[f"c_{tag}.npy"] = (sample(code, (2, 3)), None)
    for code in [">f4", ">f8", ">i4", ">i8"]:
        out[f"be_{code[1:]}.npy"] = (sample(code, (3, 2)), None)
    out["v2_f8.npy"] = (sample("<f8", (4, 5)), (2, 0))
    out["v3_f4.npy"] = (sample("<f4", (3,)), (3, 0))
    out["fortran_f8.npy"] = (np.asfortranarray(sample("<f8", (2, 3, 4))), None)
    out["fortran_i4.npy"] = (np.asfortranarray(sample("<i4", (5, 3))), None)
    out["scalar_f8.npy"] = (np.array(3.5), None)
    out["scalar_i8.npy"] = (np.array(-7, dtype="<i8"), None)
    out["empty_f4.npy"] = (np.zeros((0,), dtype="<f4"), None)
    out["empty_i4_2x0x4.npy"] = (np.zeros((2, 0, 4), dtype="<i4"), None)
    out["special_f8.npy"] = (np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]), None)
    out["vector_f8_1000.npy"] = (np.sin(np.arange(1000) * 0.01), None)
    return out


def npz_members():
    return {"weights": sample("<f4", (3, 4)), "bias": sample("<f8", (4,)), "labels": sample("<i8", (5,)),
            "mask": sample("|b1", (2, 2)), "pixels": sample("|u1", (2, 3))}


def write_safetensors(path, tensors, metadata):
    """Writes a safetensors file per the spec: u64 LE header length, JSON header padded with spaces to 8 bytes, data."""
    names = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i4"): "I32", np.dtype("<i8"): "I64",
             np.dtype("|u1"): "U8", np.dtype("|b1"): "BOOL"}
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.asarray(tensors[name], order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        blob = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """A strict reader for --check-ours."""
    kinds = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "U8": "|u1", "BOOL": "|b1"}
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    out, cursor = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        assert begin == cursor, f"{name}: gap or overlap"
        a = np.frombuffer(data[begin:end], dtype=kinds[info["dtype"]]).reshape(info["shape"])
        out[name] = a
        cursor = end
    assert cursor == len(data), "buffer not fully covered"
    return out, metadata


def safetensors_tensors():
    return {"encoder.weight": sample("<f4", (2, 3)), "encoder.bias": sample("<f8", (3,)), "step": np.array(12, dtype="<i8"),
            "ids": sample("<i4", (4,)), "bytes": sample("|u1", (5,)), "mask": sample("|b1", (2, 2)),
            "empty": np.zeros((0, 2), dtype="<f4")}


SAFETENSORS_METADATA = {"format": "mtl", "note": "written by make_data_fixtures.py"}


def generate():
    os.makedirs(NUMPY_DIR, exist_ok=True)
    os.makedirs(SAFETENSORS_DIR, exist_ok=True)
    expected = {}
    for name, (a, version) in arrays_for_npy().items():
        path = os.path.join(NUMPY_DIR, name)
        with open(path, "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        expected[f"numpy/{name}"] = [describe(a) | {"name": ""}]
    members = npz_members()
    np.savez(os.path.join(NUMPY_DIR, "stored.npz"), **members)
    np.savez_compressed(os.path.join(NUMPY_DIR, "deflated.npz"), **members)
    for name in ["stored.npz", "deflated.npz"]:
        with zipfile.ZipFile(os.path.join(NUMPY_DIR, name)) as z:
            methods = {i.compress_type for i in z.infolist()}
        assert methods == ({zipfile.ZIP_STORED} if name == "stored.npz" else {zipfile.ZIP_DEFLATED}), methods
        expected[f"numpy/{name}"] = [describe(a) | {"name": k} for k, a in members.items()]
    np.savetxt(os.path.join(NUMPY_DIR, "savetxt.csv"), sample("<f8", (4, 3)), delimiter=",")
    expected["numpy/savetxt.csv"] = [describe(sample("<f8", (4, 3))) | {"name": ""}]

    tensors = safetensors_tensors()
    write_safetensors(os.path.join(SAFETENSORS_DIR, "model.safetensors"), tensors, SAFETENSORS_METADATA)
    expected["safetensors/model.safetensors"] = [describe(tensors[k]) | {"name": k} for k in sorted(tensors)]
    expected["safetensors/model.safetensors.metadata"] = SAFETENSORS_METADATA
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(expected)} fixtures under {HERE}")


def same(a, record):
    want = np.array([float(v) if isinstance(v, str) else v for v in record["values"]], dtype=record["dtype"])
    return a.dtype.newbyteorder("=").name == record["dtype"] and list(a.shape) == record["shape"] and \
        np.array_equal(np.ascontiguousarray(a).reshape(-1), want, equal_nan=a.dtype.kind == "f")


def check_ours():
    """NumPy (and our strict safetensors reader) must load every file MtlEngine wrote to the values in expected.json."""
    with open(os.path.join(OURS_DIR, "expected.json")) as f:
        expected = json.load(f)
    for name, records in expected.items():
        path = os.path.join(OURS_DIR, name)
        if name.endswith(".npy"):
            loaded = {"": np.load(path)}
        elif name.endswith(".npz"):
            with np.load(path) as z:
                loaded = {k: z[k] for k in z.files}
        elif name.endswith(".safetensors"):
            loaded, metadata = read_safetensors(path)
            assert metadata == {"format": "mtl", "note": "written by MtlEngine"}, metadata
        elif name.endswith(".csv"):
            loaded = {"": np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)}
        else:
            continue
        assert sorted(loaded) == sorted(r["name"] for r in records), (name, sorted(loaded))
        for r in records:
            assert same(loaded[r["name"]], r), (name, r["name"], loaded[r["name"]])
        print(f"ok {name}: {len(records)} array(s)")


if __name__ == "__main__":
    if "--check-ours" in sys.argv:
        check_ours()
    else:
        generate()
