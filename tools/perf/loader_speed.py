"""Throughput of the training input pipeline against a naive PIL-per-item loader.

    python tools/perf/loader_speed.py [--root DEMO_DIR] [--sizes 256 512] [--batches 60] [--workers 2]

Both loaders read the same DiffSeg30k `train.zip` in place through a DataLoader with the same
workers and batch size, and both results are normalised float batches ready for a model:
- naive: PIL decode, PIL resize, float32 normalisation per item (what most reference code does);
- bench: `SegmentationDataset` (cv2 decode, albumentations resize, uint8 items), the batch is
  normalised once after collation, as the model's data preprocessor does.
Without --root a demo dataset is written to a temporary folder first. Last line: `speedup: <ratio>`.
"""
from __future__ import annotations

import argparse
import io
import math
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tabulate import tabulate
from torch.utils.data import DataLoader, Dataset

from benchmark.datasets import DiffSeg30k
from benchmark.datasets.demo import write_demo
from benchmark.datasets.torch_dataset import SegmentationDataset

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
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.root) if args.root else Path(tmp) / "demo"
        if not args.root:
            write_demo("diffseg", root, images=160, seed=0)
        adapter = DiffSeg30k(root, split="train")
        rows, ratios = [], []
        for size in args.sizes:
            for workers in sorted({0, args.workers}):
                naive = throughput(NaivePILDataset(root / "train.zip", size), args.batches, args.batch_size,
                                   workers, normalise=False)
                ours = throughput(SegmentationDataset(adapter, size=size, task="semantic"), args.batches,
                                  args.batch_size, workers, normalise=True)
                rows.append([size, workers, f"{naive:.1f}", f"{ours:.1f}", f"{ours / naive:.2f}x"])
                if workers == args.workers:
                    ratios.append(ours / naive)
        print(tabulate(rows, headers=["size", "workers", "naive PIL img/s", "bench img/s", "ratio"]))
        print(f"source images: {len(adapter)} from {root / 'train.zip'}")
    print(f"speedup: {math.prod(ratios) ** (1 / len(ratios)):.2f}")


if __name__ == "__main__":
    main()
