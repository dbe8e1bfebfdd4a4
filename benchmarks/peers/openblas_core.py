#!/usr/bin/python3
"""Prints the OPENBLAS_CORETYPE the peers should force on this machine, or nothing when OpenBLAS's own choice is right.

Run with OPENBLAS_CORETYPE unset. A Debian OpenBLAS older than the processor does not recognize it and falls back to
an SSE3 core (Prescott, Nehalem...), several times slower than the machine allows (on an Emerald Rapids Xeon: 3.5
against 25 GFLOPS for f32 GEMM n=256). Then this prints the best core the hardware runs: SkylakeX with AVX-512
(F, BW, DQ, VL), Haswell with AVX2 + FMA; the peer scripts (interleaved.sh, gemm.sh) set it, and gemm_peer.py reports
the core that ran.
"""
import ctypes

import numpy  # noqa: F401  (loads OpenBLAS)

SSE_CORES = {"prescott", "nehalem", "core2", "penryn", "dunnington", "atom", "katmai", "coppermine", "northwood", "banias"}


def corename():
    paths = sorted({line.split()[-1] for line in open("/proc/self/maps") if "libopenblas" in line.split()[-1]})
    if not paths:
        return ""
    lib = ctypes.CDLL(paths[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode()


def main():
    core = corename()
    if core.lower() not in SSE_CORES:
        return
    flags = set()
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        print("SkylakeX")
    elif {"avx2", "fma"} <= flags:
        print("Haswell")


if __name__ == "__main__":
    main()
