"""Training-step throughput of a segmentation baseline (forward, backward, SGD step).

    python tools/perf/train_speed.py [--baseline deeplabv3plus] [--encoder resnet50] [--sizes 256 512]
                                     [--batch 2] [--steps 3] [--peak-tflops T]

Batches are synthetic uint8 tensors already in memory, so the figure is the model's cost alone
(tools/perf/loader_speed.py measures the input pipeline). On CPU: fp32 only, few steps. On CUDA it
also runs bf16 autocast with channels_last, and reports the achieved share of the device's peak
dense bf16 FLOP rate from the FLOPs of one step counted by torch.utils.flop_counter.
"""
from __future__ import annotations

import argparse
import contextlib
import time

import torch
from tabulate import tabulate
from torch.utils.flop_counter import FlopCounterMode

from benchmark.baselines.build import build_model

# dense (no sparsity) bf16 tensor-core peaks, TFLOP/s, from the vendors' data sheets
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0, "V100": 125.0}


def device_peak(name: str) -> float | None:
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)


def build(args, device: torch.device, channels_last: bool):
    key = "encoder" if args.baseline == "deeplabv3plus" else "backbone"
    model = build_model(dict(type=args.baseline, num_classes=2, channels_last=channels_last, **{key: args.encoder}))
    model = model.to(device).train()
    return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def step(model, optimizer, batch, autocast) -> None:
    with autocast():
        loss = model(**model.data_preprocessor(batch, True))["loss"]
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def step_flops(model, batch: dict, autocast=contextlib.nullcontext) -> float:
    """FLOPs of one training step (forward and backward) of `model` on `batch`, counted by
    torch.utils.flop_counter (convolutions and matmuls: what the peak rates count)."""
    with FlopCounterMode(display=False) as counter:
        with autocast():
            loss = model(**model.data_preprocessor(batch, True))["loss"]
        loss.backward()
    model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def measure(args, device: torch.device, size: int, bf16: bool) -> dict:
    model, optimizer = build(args, device, channels_last=bf16)
    g = torch.Generator().manual_seed(0)
    batch = {"inputs": torch.randint(0, 256, (args.batch, 3, size, size), dtype=torch.uint8, generator=g),
             "mask": torch.randint(0, 2, (args.batch, size, size), generator=g)}
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    with FlopCounterMode(display=False) as counter:
        step(model, optimizer, batch, autocast)  # also the warm-up
    for _ in range(args.warmup - 1):
        step(model, optimizer, batch, autocast)
    sync()
    start = time.perf_counter()
    for _ in range(args.steps):
        step(model, optimizer, batch, autocast)
    sync()
    seconds = (time.perf_counter() - start) / args.steps
    tflops = counter.get_total_flops() / seconds / 1e12
    return {"size": size, "precision": "bf16+channels_last" if bf16 else "fp32", "batch": args.batch,
            "images/s": args.batch / seconds, "step ms": 1000 * seconds,
            "GFLOP/step": counter.get_total_flops() / 1e9, "TFLOP/s": tflops}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="deeplabv3plus")
    parser.add_argument("--encoder", default="resnet50", help="encoder (deeplabv3plus) or backbone (fcn8s)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--batch", type=int, default=None, help="default: 2 on CPU, 16 on CUDA")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 3 on CPU, 20 on CUDA)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps (default: 1 on CPU, 5 on CUDA)")
    parser.add_argument("--peak-tflops", type=float, help="device peak for the utilisation column")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    args.batch = args.batch or (16 if cuda else 2)
    args.steps = args.steps or (20 if cuda else 3)
    args.warmup = max(1, args.warmup or (5 if cuda else 1))
    if cuda:
        torch.backends.cudnn.benchmark = True
    name = torch.cuda.get_device_name() if cuda else f"CPU ({torch.get_num_threads()} threads)"
    peak = args.peak_tflops or (device_peak(name) if cuda else None)
    rows = []
    for size in args.sizes:
        for bf16 in ((False, True) if cuda else (False,)):
            row = measure(args, device, size, bf16)
            if peak:
                row["% of bf16 peak"] = 100 * row["TFLOP/s"] / peak
            rows.append(row)
    print(f"{args.baseline} ({args.encoder}) training steps on {name}")
    print(tabulate(rows, headers="keys", floatfmt=".2f"))


if __name__ == "__main__":
    main()
