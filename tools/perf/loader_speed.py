"""Throughput of the training input pipeline against a naive PIL-per-item loader.

    python tools/perf/loader_speed.py [--root DIFFSEG_DIR] [--sizes 512] [--batches 40] [--workers 2]
                                      [--source-size 1024] [--images 64]

Every loader goes through a DataLoader with the same workers, batch size and shuffling:
- naive: `train.zip` read in place, PIL decode, PIL resize, float32 normalisation per item (what
  most reference code does);
- bench: `SegmentationDataset` over the adapter (cv2 decode, albumentations resize, a flip, uint8
  items), what training read before the cache;
- cached: the same `SegmentationDataset` over a prepared cache (`bench data prepare` at that
  size: memory-mapped arrays, nothing decoded or resized, the flip still per item).
"img/s" is what the training loop receives: the bench loaders hand over uint8 batches, which the
model's data preprocessor normalises on its device (on a GPU, nothing next to the step);
"normalised here" adds that normalisation on this CPU (one thread), as CPU training pays it.
Without --root a DiffSeg30k-sized demo is written first: --images demo images at --source-size px
(DiffSeg30k's images are mostly 1024 px). Last line: `speedup: <cached / naive at the last size>`.
"""
from __future__ import annotations

import argparse
import io
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tabulate import tabulate
from torch.utils.data import DataLoader, Dataset

from benchmark.datasets import DiffSeg30k, DatasetSpec
from benchmark.datasets.demo import write_demo
from benchmark.datasets.torch_dataset import SegmentationDataset, default_transforms
from benchmark.training.cache import open_split, prepare_cache

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255


class NaivePILDataset(Dataset):
    def __init__(self, zip_path: Path, size: int):
        self.zip_path, self.size, self._zip = zip_path, size, None
        with zipfile.ZipFile(zip_path) as zf:
            self.ids = sorted(n[: -len(".image.png")] for n in zf.namelist() if n.endswith(".image.png"))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int):
        if self._zip is None:
            self._zip = zipfile.ZipFile(self.zip_path)
        image = Image.open(io.BytesIO(self._zip.read(self.ids[i] + ".image.png"))).convert("RGB")
        mask = Image.open(io.BytesIO(self._zip.read(self.ids[i] + ".mask.png")))
        image = image.resize((self.size, self.size), Image.BILINEAR)
        mask = mask.resize((self.size, self.size), Image.NEAREST)
        x = torch.from_numpy(np.array(image)).permute(2, 0, 1).float()
        x = (x - MEAN[0]) / STD[0]
        return {"inputs": x, "mask": torch.from_numpy(np.array(mask)).long()}


def throughput(dataset: Dataset, batches: int, batch_size: int, workers: int, normalise: bool) -> float:
    """Images/s over `batches` batches after a warm-up pass. With workers, the clock starts when the
    warm-up batches are in and the loader's prefetch queue has been drained, so batches prepared
    before the clock started are not counted as free."""
    torch.set_num_threads(1)  # both pipelines are per-item CPU work; torch's pool would oversubscribe
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0, generator=torch.Generator().manual_seed(0))
    warmup = 1 + 2 * workers  # worker start-up, then every prefetched batch (prefetch_factor 2)
    n, seen, start = 0, 0, None
    while True:
        for batch in loader:
            x = batch["inputs"]
            if normalise:
                x = (x.float() - MEAN) / STD
            seen += 1
            if seen == warmup:
                start = time.perf_counter()
            elif seen > warmup:
                n += x.shape[0]
                if n >= batches * batch_size:
                    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", help="DiffSeg30k-layout folder with train.zip (default: write a demo)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--source-size", type=int, default=1024, help="side of the demo images (without --root)")
    parser.add_argument("--images", type=int, default=64, help="demo images (without --root)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.root) if args.root else Path(tmp) / "demo"
        if not args.root:
            write_demo("diffseg", root, images=args.images, size=args.source_size, seed=0)
        spec = DatasetSpec.of("diffseg")
        adapter = DiffSeg30k(root, split="train")
        rows, ratio = [], None
        for size in args.sizes:
            cache = Path(tmp) / f"cache{size}"
            prepare_cache(spec, root, size, cache, splits=["train"], progress=False)
            cached = open_split(cache, spec, adapter, size, progress=False)

            def loaders():  # new objects per run: a zip opened in this process must not reach forked workers
                return {"naive PIL": (NaivePILDataset(root / "train.zip", size), False),
                        "bench": (SegmentationDataset(DiffSeg30k(root, split="train"), size=size, task="semantic",
                                                      train=True, seed=0), True),
                        "cached": (SegmentationDataset(cached, size=size, task="semantic", train=True, seed=0,
                                                       transforms=default_transforms(size, True, 0, resized=True)), True)}

            for workers in sorted({0, args.workers}):
                rates = {}
                for name in loaders():
                    dataset, ours = loaders()[name]
                    rate = throughput(dataset, args.batches, args.batch_size, workers, normalise=False)
                    dataset, ours = loaders()[name]
                    normalised = throughput(dataset, args.batches, args.batch_size, workers, normalise=True) if ours else rate
                    rates[name] = rate
                    rows.append([size, workers, name, f"{rate:.1f}", f"{normalised:.1f}", f"{rate / rates['naive PIL']:.2f}x"])
                if workers == args.workers:
                    ratio = rates["cached"] / rates["naive PIL"]
        print(tabulate(rows, headers=["size", "workers", "loader", "img/s", "normalised here img/s", "vs naive"]))
        print(f"source images: {len(adapter)} from {root / 'train.zip'}, {args.workers} workers, batch {args.batch_size}")
    print(f"speedup: {ratio:.2f}")


if __name__ == "__main__":
    main()
