"""Portable CPU kernels (`cpu_kernels='portable'`): the same training step, bit for bit, on this CPU
and on emulated Intel and AMD CPUs, and the settings they need refused when missing."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cpu_step import CONFIG

from benchmark.cpu_kernels import PORTABLE
from benchmark.errors import BenchError
from benchmark.training.config import load_config

STEP = Path(__file__).with_name("cpu_step.py")
QEMU = shutil.which("qemu-x86_64")


def has_avx2() -> bool:
    if platform.machine() != "x86_64":
        return False
    try:
        return " avx2 " in f" {Path('/proc/cpuinfo').read_text()} ".replace("\n", " ")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not has_avx2(), reason="portable kernels are the AVX2 paths of an x86-64 CPU")


def python(code: str, env: dict | None = None) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})}).stdout.strip()


def step(*prefix: str, kernels: str = "portable") -> dict:
    # The step itself reads no environment: strip the settings so that only `pin` sets them.
    env = {k: v for k, v in os.environ.items() if k not in PORTABLE}
    run = subprocess.run([*prefix, sys.executable, str(STEP), kernels], capture_output=True, text=True, env=env,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_pin_before_the_first_tensor_operation_runs_the_portable_kernels():
    assert python("from benchmark.cpu_kernels import pin; print(pin('portable'))") == "portable"
    assert python("import os; from benchmark.cpu_kernels import pin; pin('portable'); print(os.environ['MKL_CBWR'])") \
        == "COMPATIBLE"


def test_pin_after_a_tensor_operation_says_the_kernels_already_chosen():
    native = python("import torch; print(torch.backends.cpu.get_cpu_capability())")
    late = python("import torch; torch.ones(3).sum(); from benchmark.cpu_kernels import pin; print(pin('portable'))")
    assert late == ("portable" if native == "AVX2" else native)


def test_loading_a_config_runs_no_kernel_so_training_can_still_pin():
    code = (f"from benchmark.training.config import load_config; load_config({CONFIG!r});"
            "from benchmark.cpu_kernels import pin; print(pin('portable'))")
    assert python(code) == "portable"


def test_portable_kernels_with_an_unfused_adam_step_are_refused():
    with pytest.raises(BenchError, match="fused=True for AdamW"):
        load_config(CONFIG, cfg_options={"optim_wrapper.optimizer.fused": False})
    with pytest.raises(BenchError, match="cpu_kernels must be one of"):
        load_config(CONFIG, cfg_options={"cpu_kernels": "avx512"})
    sgd = {"optim_wrapper.optimizer": dict(type="SGD", lr=0.01)}
    assert load_config(CONFIG, cfg_options=sgd).cpu_kernels == "portable"


@pytest.mark.skipif(QEMU is None, reason="qemu-x86_64 (Debian's qemu-user) emulates the other CPUs")
def test_a_training_step_is_bit_identical_on_this_cpu_and_emulated_intel_and_amd_cpus():
    here = step()
    assert here["kernels"] == "portable"
    # Haswell: Intel, 4 MiB L2 as qemu reports it; EPYC-Rome: AMD, 512 KiB L2. Both AVX2 without
    # AVX-512, whatever this CPU has.
    for cpu in ("Haswell", "EPYC-Rome"):
        assert step(QEMU, "-cpu", cpu) == here, cpu


# COCO-Glide has a test split only: nothing to train on.
@pytest.mark.parametrize("spec", ["diffseg", "dolos[setup=C]", "semitruths"])
def test_bench_train_records_the_kernels_and_the_checkpoint_predicts_with_them(spec, demo_roots, tmp_path):
    root = demo_roots[spec.split("[")[0]]
    work = tmp_path / "work"
    train = [sys.executable, "-m", "benchmark.cli.main", "train", "--config", CONFIG,
             "--dataset", spec, "--root", str(root), "--work-dir", str(work), "--max-iters", "2",
             "--batch-size", "2", "--size", "64", "--cfg-options", "data.crop=32", "data.num_workers=0",
             "--no-progress"]
    run = subprocess.run(train, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    record = json.loads((work / "run.json").read_text())
    assert (record["cpu_kernels"], record["threads"]) == ("portable", 2)
    code = ("import os, torch; from benchmark.baselines.build import load_trained; "
            f"load_trained({str(work)!r}); print(torch.backends.cpu.get_cpu_capability(), os.environ['MKL_CBWR'])")
    assert python(code).splitlines()[-1] == "AVX2 COMPATIBLE"
