"""Training as separate processes: SIGKILL then --resume, and torchrun DDP on the CPU (gloo)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from benchmark.baselines.build import read_checkpoint
from benchmark.training.config import load_config
from benchmark.training.runner import build_runner, prepare

from diffseg_fixtures import write_diffseg

OPTIONS = {"model.encoder": "resnet18", "data.num_workers": 0, "data.val_batch_size": 2, "log_interval": 1,
           "checkpoint.interval": 2, "checkpoint.max_keep": 2}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_diffseg(tmp_path_factory.mktemp("diffseg"), train=10, validation=5, size=40)


def train_command(root, work, max_iters, *extra):
    return ["-m", "benchmark.cli.main", "train", "--config", "deeplabv3plus_r50_512", "--dataset", "diffseg",
            "--root", str(root), "--work-dir", str(work), "--max-iters", str(max_iters), "--batch-size", "2",
            "--size", "64", "--seed", "5", "--no-progress", "--cfg-options",
            *(f"{k}={v}" for k, v in OPTIONS.items()), *extra]


def test_sigkill_then_resume_finishes_the_run(root, tmp_path):
    work = tmp_path / "run"
    cmd = [sys.executable, *train_command(root, work, 60, "train_cfg.val_interval=1000")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while not (work / "iter_4.pth").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = max(int(p.stem.split("_")[1]) for p in work.glob("iter_*.pth"))
    assert 4 <= killed_at < 60, "the run must be killed mid-way"

    again = subprocess.run([sys.executable, *train_command(root, work, 60)], capture_output=True, text=True)
    assert again.returncode == 1 or again.returncode == 2
    assert "--resume" in again.stderr and "Traceback" not in again.stderr

    resumed = subprocess.run([sys.executable, *train_command(root, work, 60), "--resume"],
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    last = Path((work / "last_checkpoint").read_text().strip())
    assert read_checkpoint(str(last))["meta"]["iter"] == 60
    logs = "".join(p.read_text() for p in work.glob("*/*.log"))
    assert "resumed epoch: 0, iter: " in logs


def test_torchrun_ddp_validation_equals_single_process(root, tmp_path):
    work = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
           *train_command(root, work, 2, "train_cfg.val_interval=2")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    scalars = next(work.glob("*/vis_data/scalars.json"))
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    ddp = next(r for r in rows if "val/miou" in r)

    # The same checkpoint validated in this one process, through the same runner and metric.
    cfg = load_config("deeplabv3plus_r50_512", None, {**OPTIONS, "train_cfg.val_interval": 2},
                      max_iters=2, batch_size=2, size=64, seed=5)
    train_set, val_set = prepare(cfg, "diffseg", str(root), "binary", progress=False)
    runner = build_runner(cfg, train_set, val_set, str(tmp_path / "single"), progress=False)
    runner.load_checkpoint(str(work / "iter_2.pth"))
    # The ValLoop's own loader and evaluator, without its hooks: the best-checkpoint hook only
    # works inside a training run.
    runner.model.eval()
    loop = runner.val_loop
    with torch.no_grad():
        for data_batch in loop.dataloader:
            loop.evaluator.process(data_samples=runner.model.val_step(data_batch), data_batch=data_batch)
    single = loop.evaluator.evaluate(len(loop.dataloader.dataset))
    for key in ("val/miou", "val/pixel_acc", "val/auc", "val/ap"):
        assert single[key] == pytest.approx(ddp[key], abs=1e-6), key
