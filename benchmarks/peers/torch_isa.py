#!/usr/bin/python3
"""Prints the instruction sets the PyTorch peers (cnn_peer.py, mlp_peer.py, train_mmoe_peer.py) run with, in this environment:
    name=torch_isa aten=AVX2 onednn=avx2 blas=Haswell
aten: ATen's CPU capability (torch.__config__.show()'s "CPU capability usage"; ATEN_CPU_CAPABILITY picks it; torch 1.13
has no torch.backends.cpu.get_cpu_capability); onednn: oneDNN's effective ISA (dnnl_get_effective_cpu_isa of the libdnnl
torch loaded; ONEDNN_MAX_CPU_ISA caps it), the convolutions' kernels; blas: OpenBLAS's core (openblas_get_corename;
OPENBLAS_CORETYPE forces it), the Linear layers' GEMMs. torch_isa.sh checks these under ISA=avx2 (cnn.sh, mlp.sh, train_mmoe.sh).
"""
import ctypes

import torch

# dnnl_cpu_isa_t of oneDNN 2.x (include/oneapi/dnnl/dnnl_types.h)
ONEDNN_ISA = {0x0: "all", 0x1: "sse41", 0x3: "avx", 0x7: "avx2", 0xF: "avx512_mic", 0x1F: "avx512_mic_4ops", 0x27: "avx512_core",
              0x67: "avx512_core_vnni", 0xE7: "avx512_core_bf16", 0x3E7: "avx512_core_amx", 0x407: "avx2_vnni"}


def library(part):
    paths = sorted({line.split()[-1] for line in open("/proc/self/maps") if part in line.split()[-1]})
    return ctypes.CDLL(paths[0]) if paths else None


def main():
    torch.zeros(1)  # loads the libraries
    aten = next((line.split(":", 1)[1].strip().replace(" ", "_") for line in torch.__config__.show().splitlines()
                 if "CPU capability usage" in line), "unknown")
    dnnl = library("libdnnl")
    onednn = "none"
    if dnnl is not None:
        dnnl.dnnl_get_effective_cpu_isa.restype = ctypes.c_int
        code = dnnl.dnnl_get_effective_cpu_isa()
        onednn = ONEDNN_ISA.get(code, hex(code))
    blas = library("libopenblas")
    core = "none"
    if blas is not None:
        blas.openblas_get_corename.restype = ctypes.c_char_p
        core = blas.openblas_get_corename().decode()
    print(f"name=torch_isa aten={aten} onednn={onednn} blas={core}")


if __name__ == "__main__":
    main()
