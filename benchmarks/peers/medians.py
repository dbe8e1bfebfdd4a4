"""Compares `key=value` benchmark lines of ours and a peer gathered over interleaved rounds.

    medians.py OURS PEER [--extra KEY ...] [--pair NAME=PEER_NAME ...]

OURS and PEER are the collected lines (one `name=... seconds=...` line per workload and round). For each workload
of ours it prints `name=... ours=<median s> peer=<median s> ratio=<peer/ours>` (--statistic best: the fastest rounds) and, for every --extra KEY,
`KEY_ours=... KEY_peer=...` (from the first round). --pair compares a workload of ours with a differently named
one of the peer's (e.g. pca_covariance=pca_full). Used by interleaved.sh (linalg, ridge, pca, logreg and text).
"""
import argparse
import statistics


def parse(text):
    rows = {}
    for line in text.splitlines():
        kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
        if "name" in kv:
            rows.setdefault(kv["name"], []).append(kv)
    return rows


def median_seconds(rows, statistic="median"):
    values = [float(r["seconds"]) for r in rows]
    return min(values) if statistic == "best" else statistics.median(values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ours")
    parser.add_argument("peer")
    parser.add_argument("--extra", action="append", default=[])
    parser.add_argument("--pair", action="append", default=[])
    parser.add_argument("--statistic", choices=["median", "best"], default="median",
                        help="best: the fastest round of each side (the least disturbed one on a loaded machine)")
    args = parser.parse_args()
    ours, peer = parse(args.ours), parse(args.peer)
    pairs = dict(p.split("=", 1) for p in args.pair)
    for name, o in ours.items():
        peer_name = name if name in peer else pairs.get(name)
        p = peer.get(peer_name) if peer_name else None
        if p is None:
            continue
        so, sp = median_seconds(o, args.statistic), median_seconds(p, args.statistic)
        extras = "".join(f" {key}_ours={o[0].get(key, '-')} {key}_peer={p[0].get(key, '-')}" for key in args.extra)
        vs = "" if peer_name == name else f" (vs the peer's {peer_name})"
        print(f"name={name} ours={so:.4g} peer={sp:.4g} ratio={sp / so:.2f}{extras}{vs}")


if __name__ == "__main__":
    main()
