"""A seeded random subset of the rows of an example written by `mtl example` (standard library only).

The benchmark scripts use it to fit a grid of runs into a small compute budget: `subset(data, rows, seed)` keeps the same
`rows` rows (drawn uniformly without replacement by Python's random.Random(seed), then put back in their original order)
of every file the spec names (.txt: one text per line; .npy: the first axis), in place, so that every run of the grid
sees the same data. Examples whose split names a file of test rows are refused: their row numbers would change.
"""
import ast
import json
import os
import random


def read_npy(path):
    """The header dict, the header bytes (magic to the end of the header) and the raw data bytes of a .npy file."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] != b"\x93NUMPY":
        raise ValueError(f"{path} is not a .npy file")
    major = raw[6]
    length_bytes = 2 if major == 1 else 4
    length = int.from_bytes(raw[8:8 + length_bytes], "little")
    start = 8 + length_bytes
    header = ast.literal_eval(raw[start:start + length].decode("latin1"))
    if header["fortran_order"]:
        raise ValueError(f"{path} is in Fortran order; only C order is supported")
    return header, raw[start + length:]


def write_npy(path, header, data):
    text = "{'descr': %r, 'fortran_order': False, 'shape': %s, }" % (header["descr"], repr(tuple(header["shape"])))
    # Version 1.0: magic, version, 2-byte length, the header padded with spaces and a newline to a multiple of 64 bytes.
    padding = 64 - (10 + len(text) + 1) % 64
    encoded = (text + " " * (padding % 64) + "\n").encode("latin1")
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(encoded).to_bytes(2, "little") + encoded + data)


def subset_npy(path, keep):
    header, data = read_npy(path)
    shape = tuple(header["shape"])
    per_row = len(data) // shape[0] if shape[0] else 0
    picked = b"".join(data[i * per_row:(i + 1) * per_row] for i in keep)
    write_npy(path, dict(header, shape=(len(keep),) + shape[1:]), picked)


def subset_lines(path, keep):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(lines[i] + "\n" for i in keep))


def count_rows(path):
    if path.endswith(".npy"):
        return read_npy(path)[0]["shape"][0]
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


def subset(data, rows, seed, extra_files=()):
    """Keeps `rows` seeded random rows of every file of data/spec.json (and of extra_files, paths relative to data) in place; returns the row count before."""
    with open(os.path.join(data, "spec.json")) as f:
        spec = json.load(f)
    if isinstance(spec.get("split", {}).get("test"), str):
        raise ValueError("this example names its test rows in a file; subsetting would renumber them")
    paths = sorted({os.path.join(data, e["path"]) for e in spec["inputs"] + spec["tasks"]} | {os.path.join(data, p) for p in extra_files})
    counts = {p: count_rows(p) for p in paths}
    if len(set(counts.values())) != 1:
        raise ValueError(f"the files disagree on the row count: {counts}")
    total = next(iter(counts.values()))
    if rows >= total:
        return total
    keep = sorted(random.Random(seed).sample(range(total), rows))
    for p in paths:
        (subset_npy if p.endswith(".npy") else subset_lines)(p, keep)
    return total
