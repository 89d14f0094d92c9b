"""CPU kernels that give the same float results on every x86-64 CPU with AVX2 (`cpu_kernels='portable'`).

torch picks its CPU code paths by machine: ATen's vector width (AVX2 or AVX-512), oneDNN's
convolution kernels by instruction set, MKL's by vendor and instruction set. Their results differ in
the last bits, and over a training run those bits grow into other weights: the demo's seed-0
training (then ResNet-18, 1500 iterations) gave binary miou 0.414 on an Intel Xeon and 0.433 on
an AMD EPYC. `PORTABLE` pins ATen and oneDNN to their AVX2 paths and MKL to its vendor-neutral
`COMPATIBLE` branch; a step of the demo config costs 0.172 s with them and 0.174 s without on two
AMD EPYC cores (tools/perf/cpu_kernels_speed.py). Adam-type optimizers must also run fused (`fused=True`): their
unfused step takes square roots from MKL's vector math, whose last bit follows the CPU's approximate
reciprocal square root (`benchmark.training.config` refuses the combination).
tests/test_cpu_kernels.py checks a training step bit for bit on this CPU and on emulated Intel and
AMD CPUs (qemu).

Each library reads its setting once, at its first use in the process, so `pin` must run before
the process's first tensor operation; it says whether it came in time.
"""
from __future__ import annotations

import os
import platform

PORTABLE = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "COMPATIBLE"}
CHOICES = (None, "portable")


def pin(kernels: str | None) -> str:
    """Set the process's CPU kernels (`None`: the machine's fastest, left as they are) and return
    what the process runs: 'portable', or ATen's capability name ('AVX512', 'AVX2', ...) where
    the kernels were left alone, fixed already by an earlier tensor operation, or where the CPU is
    not an x86-64 one with AVX2 (an ARM CPU keeps its own kernels). Environment
    settings carry over to child processes started afterwards (loader workers)."""
    import torch

    if kernels not in CHOICES:
        raise ValueError(f"cpu_kernels must be one of {CHOICES}, got {kernels!r}")
    if kernels == "portable" and platform.machine().lower() in ("x86_64", "amd64"):
        os.environ.update(PORTABLE)
    capability = torch.backends.cpu.get_cpu_capability()
    return "portable" if kernels == "portable" and capability == "AVX2" else capability
