"""Training-step time of a config with the machine's fastest CPU kernels and with portable ones.

    python tools/perf/cpu_kernels_speed.py [--config deeplabv3plus_r10t_demo_cpu] [--steps 40] [--repeats 2]

Each setting runs in its own process (the kernels are chosen once per process): the config's
model, optimizer (fused as the portable kernels need it), threads, batch size and crop (else
`data.size`), on synthetic batches already in memory, after 3 warm-up steps. Prints seconds per
step, the best of `--repeats` alternating runs, and the portable/native ratio.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from tabulate import tabulate


def child(config: str, kernels: str | None, steps: int) -> float:
    from benchmark.cpu_kernels import pin

    pin(kernels)
    import torch
    from mmengine.optim import build_optim_wrapper

    from benchmark.baselines.build import build_model
    from benchmark.training.config import load_config

    cfg = load_config(config)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    side = cfg.data.get("crop") or cfg.data.size
    model = build_model({**cfg.model.to_dict(), "num_classes": 2}).train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper.to_dict())
    g = torch.Generator().manual_seed(0)
    x = torch.rand(cfg.data.batch_size, 3, side, side, generator=g)
    mask = (torch.rand(cfg.data.batch_size, side, side, generator=g) > 0.85).long()
    for i in range(3 + steps):
        if i == 3:
            start = time.perf_counter()
        optim.update_params(model(x, mask=mask)["loss"])
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="deeplabv3plus_r10t_demo_cpu")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.config, args.child or None, args.steps)))
        return
    best: dict[str, float] = {}
    for _ in range(args.repeats):
        for kernels in ("", "portable"):
            run = subprocess.run([sys.executable, __file__, "--config", args.config, "--steps", str(args.steps),
                                  "--child", kernels], capture_output=True, text=True, check=True)
            seconds = json.loads(run.stdout.strip().splitlines()[-1])
            best[kernels] = min(best.get(kernels, seconds), seconds)
    native, portable = best[""], best["portable"]
    rows = [["machine's fastest", f"{native:.3f}", "1.00"], ["portable", f"{portable:.3f}", f"{portable / native:.2f}"]]
    print(tabulate(rows, headers=["cpu kernels", "s / step", "vs fastest"]))


if __name__ == "__main__":
    main()
