"""The GPU path at DiffSeg30k scale: DeepLabv3+ R50 trained at 512 px from a prepared cache (bf16
autocast, channels_last, optionally torch.compile), then `bench eval` over 5 distortions.

    python tools/perf/gpu_scale.py [--images 2400] [--unique 160] [--source-size 1024] [--size 512] [--batch 32]
                                   [--iters 300] [--eval-batch 32] [--compile] [--peak-tflops T] [--keep DIR]
    python tools/perf/gpu_scale.py --tiny      # smoke setting, runs on a CPU in a few minutes

Steps, each timed:
1. a DiffSeg30k-layout synthetic dataset of --images images at --source-size px (DiffSeg30k's are
   mostly 1024 px): --unique demo images (the demo editors' real local edits), each split's
   written again under new ids until the split holds its share (80 % train, 20 % validation);
2. `bench data prepare` of both splits at --size;
3. `bench train` from the cache for --iters iterations (the paper config, bf16 + channels_last on
   a GPU): images/s after the warm-up, the achieved share of the device's dense bf16 peak (the
   FLOPs of one step counted by torch.utils.flop_counter) and the loader stall (mmengine's
   data_time, the wait for the next batch, over the iteration time);
4. `bench eval` of the trained checkpoint over clean,jpeg80,jpeg60,resize256,resize1024 on the
   validation split, against the bare forward passes of the same model on as many images (random
   inputs already on the device, same batch size): image-distortions/s and their ratio.
Goal on one H200-class GPU: training >= 1,000 img/s with the stall under 5 %, eval >= 80 % of
the bare forward rate. Everything is written to a temporary folder (or --keep DIR).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_speed import device_peak, step_flops  # noqa: E402

DISTORTIONS = ["clean", "jpeg80", "jpeg60", "resize256", "resize1024"]


def synthetic_split(base: Path, images: int, unique: int, size: int) -> Path:
    """A DiffSeg30k layout (`train_copy/`, `validation_copy/` folders) of `images` images made of
    `unique` demo images, each split's images repeated under new ids up to its share."""
    import cv2
    import shutil

    from benchmark.datasets import DiffSeg30k
    from benchmark.datasets.demo import write_demo

    demo, root = base / "demo", base / "data"
    write_demo("diffseg", demo, images=unique, size=size, seed=0)
    root.mkdir()
    shutil.copy(demo / "labels.json", root / "labels.json")
    n = 0
    for split, folder, share in (("train", "train_copy", 0.8), ("val", "validation_copy", 0.2)):
        adapter = DiffSeg30k(demo, split)
        (root / folder).mkdir()
        files = []
        for sample in adapter:
            image = cv2.imencode(".png", cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR))[1].tobytes()
            files.append((image, cv2.imencode(".png", sample.mask)[1].tobytes()))
        for k in range(round(images * share)):
            image, mask = files[k % len(files)]
            (root / folder / f"{n:08d}.image.png").write_bytes(image)
            (root / folder / f"{n:08d}.mask.png").write_bytes(mask)
            n += 1
    return root


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def training_window(work: Path, warmup: int) -> dict:
    """Mean iteration and data times over the logged iterations after `warmup` (mmengine logs
    window means every log_interval iterations)."""
    scalars = next(work.glob("*/vis_data/scalars.json"))
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    rows = [r for r in rows if "loss" in r and "data_time" in r and r.get("iter", r.get("step", 0)) > warmup]
    if not rows:
        raise SystemExit(f"no logged training iterations after the warm-up of {warmup}: raise --iters")
    return {"time": sum(r["time"] for r in rows) / len(rows), "data_time": sum(r["data_time"] for r in rows) / len(rows)}


def bare_forward(checkpoint: str, device: torch.device, images: int, batch: int, size: int) -> float:
    """Images/s of the checkpoint's model alone on random uint8 batches already on the device."""
    from benchmark.baselines.build import load_trained

    model, _ = load_trained(checkpoint, device)
    x = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    with torch.inference_mode():
        for _ in range(3):  # warm-up: kernel selection
            model(model.data_preprocessor({"inputs": x})["inputs"])
        sync()
        start = time.perf_counter()
        done = 0
        while done < images:
            model.stored(model(model.data_preprocessor({"inputs": x})["inputs"]), "binary")
            done += batch
        sync()
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2400, help="synthetic images, 20 %% of them validation")
    parser.add_argument("--unique", type=int, default=160, help="demo images they are made of")
    parser.add_argument("--source-size", type=int, default=1024)
    parser.add_argument("--size", type=int, default=512, help="training side (data.size)")
    parser.add_argument("--encoder", default="resnet50")
    parser.add_argument("--batch", type=int, default=32, help="training images per step")
    parser.add_argument("--iters", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=None, help="iterations left out of the figures (default: a fifth)")
    parser.add_argument("--eval-batch", type=int, default=32)
    parser.add_argument("--workers", type=int, default=None, help="loader processes (default: from the cores)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the training step")
    parser.add_argument("--peak-tflops", type=float, help="the device's dense bf16 peak (default: from its name)")
    parser.add_argument("--keep", help="write everything to this new folder instead of a temporary one")
    parser.add_argument("--tiny", action="store_true",
                        help="CPU smoke setting: 40 images (of 16) at 128 px, ResNet-18 at 64 px, 20 iterations")
    args = parser.parse_args()
    if args.tiny:
        args.images, args.unique, args.source_size, args.size, args.encoder = 40, 16, 128, 64, "resnet18"
        args.batch, args.iters, args.eval_batch = 4, 20, 4
    warmup = args.warmup if args.warmup is not None else args.iters // 5
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    name = torch.cuda.get_device_name() if cuda else f"CPU ({torch.get_num_threads()} threads)"
    peak = args.peak_tflops or (device_peak(name) if cuda else None)

    from benchmark.baselines.build import build_model
    from benchmark.sweep import sweep
    from benchmark.training.cache import prepare_cache
    from benchmark.training.config import load_config
    from benchmark.training.runner import train

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        cache, work = base / f"cache{args.size}", base / "work"
        root, t_data = timed(synthetic_split, base, args.images, args.unique, args.source_size)
        print(f"wrote {args.images} images at {args.source_size} px (of {args.unique} demo images) in {t_data:.0f} s",
              flush=True)
        manifest, t_cache = timed(prepare_cache, "diffseg", root, args.size, cache, progress=False)
        n_val = manifest["splits"]["val"]["n_images"]
        print(f"prepared the cache at {args.size} px in {t_cache:.0f} s", flush=True)

        options = {"model.encoder": args.encoder, "log_interval": max(1, min(10, args.iters // 10)),
                   "checkpoint.interval": args.iters, "checkpoint.max_keep": 1,
                   **({"data.num_workers": args.workers} if args.workers is not None else {})}
        cfg = load_config("deeplabv3plus_r50_512", None, options, max_iters=args.iters, batch_size=args.batch,
                          size=args.size, amp=cuda, channels_last=cuda, compile=args.compile, cache=str(cache))
        run, t_train = timed(train, cfg, "diffseg", str(root), "binary", str(work), progress=False)
        window = training_window(work, warmup)
        train_rate = args.batch / window["time"]

        model = build_model({**cfg.model.to_dict(), "num_classes": 2}).to(device).train()
        g = torch.Generator().manual_seed(0)
        batch = {"inputs": torch.randint(0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8, generator=g),
                 "mask": torch.randint(0, 2, (args.batch, args.size, args.size), generator=g)}
        autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else None
        flops = step_flops(model, batch, autocast or contextlib.nullcontext)
        tflops = flops * train_rate / args.batch / 1e12
        del model

        checkpoint = run["last_checkpoint"]
        _, t_eval = timed(sweep, checkpoint, "diffseg", root, "val", base / "eval", DISTORTIONS,
                          batch_size=args.eval_batch, workers=args.workers, progress=False)
        eval_rate = n_val * len(DISTORTIONS) / t_eval
        forward_rate = bare_forward(checkpoint, device, n_val * len(DISTORTIONS), args.eval_batch, args.size)

        print(f"\nDeepLabv3+ {args.encoder} on {name}; {args.images} images at {args.source_size} px, "
              f"trained at {args.size} px, batch {args.batch}, "
              f"{'bf16 autocast + channels_last' if cuda else 'float32'}{' + torch.compile' if args.compile else ''}")
        rows = [["training (after the warm-up)", f"{train_rate:.1f} img/s",
                 f"{tflops:.2f} TFLOP/s" + (f", {100 * tflops / peak:.1f} % of the {peak:g} bf16 peak" if peak else ""),
                 f"loader stall {100 * window['data_time'] / window['time']:.1f} %"],
                ["training (whole run)", f"{args.iters * args.batch / t_train:.1f} img/s", f"{t_train:.0f} s", "incl. start, validation"],
                [f"bench eval ({len(DISTORTIONS)} distortions x {n_val})", f"{eval_rate:.1f} img/s", f"{t_eval:.0f} s",
                 f"{100 * eval_rate / forward_rate:.0f} % of the forward rate"],
                ["bare forward passes", f"{forward_rate:.1f} img/s", f"batch {args.eval_batch}", ""]]
        print(tabulate(rows, headers=["", "throughput", "", ""]))
        print(f"data {t_data:.0f} s, cache {t_cache:.0f} s, training {t_train:.0f} s, eval {t_eval:.0f} s")


if __name__ == "__main__":
    main()
