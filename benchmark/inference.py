"""A trained checkpoint over a split, in one pass: each image decoded once, then distorted and
resized (`distort_then_transform`'s order) under every distortion asked for, in loader worker
processes; the model run on each distortion's batch; its outputs in their stored form. `bench
predict` (one distortion), the `bench eval` sweep (several, scored as they come) and `bench
explain` all run here, and none of them imports the training runner.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from benchmark.errors import BenchError


def default_workers() -> int:
    """Loader processes when none are asked for: half the cores (the model's threads and the
    writers take the rest), at most 8, at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores // 2, 8))


def require_images(adapter, spec, root) -> None:
    """A split without images has nothing to predict or score: say so before any work."""
    if len(adapter) == 0:
        raise BenchError(f"{root}: split '{adapter.split}' of {spec} holds no images (nothing to predict)")


class SplitImages(Dataset):
    """Item i: image i of `adapter` decoded once, then under each of `distortions` distorted at
    native resolution (seeded per image, as `bench data export` does) and put through the test
    `transforms`. With `targets`, the item also carries the image's truth from the same decoding
    and its digest (`scoring.target_digest`), so that scoring never decodes a mask again."""

    def __init__(self, adapter, distortions: Sequence[str], transforms, seed: int = 0, targets: bool = False):
        self.adapter, self.distortions, self.transforms = adapter, list(distortions), transforms
        self.seed, self.targets = seed, targets

    def __len__(self) -> int:
        return len(self.adapter)

    def __getitem__(self, index: int) -> dict:
        from benchmark.datasets.torch_dataset import distort_then_transform

        sample = self.adapter[index]
        inputs, shapes = [], []
        for distortion in self.distortions:
            image, _ = distort_then_transform(sample.image, sample.image_id, distortion, self.seed)
            shapes.append(image.shape[:2])
            image, _ = distort_then_transform(image, sample.image_id, transforms=self.transforms)
            inputs.append(torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))))
        item = {"inputs": torch.stack(inputs), "shapes": shapes, "image_id": sample.image_id}
        if self.targets:
            from benchmark.scoring import target_digest

            target = sample.target
            item.update(target=target, digest=target_digest(target))
        return item


@dataclass
class LoadedBatch:
    """A batch as the loader hands it over: inputs N×D×3×h×w uint8 (D distortions), each image's
    distorted sizes and id, and the truth as one message (`sink.batch_targets`) or None."""

    inputs: torch.Tensor
    shapes: list[list[tuple[int, int]]]
    image_ids: list[str]
    targets: dict | None

    def pin_memory(self) -> "LoadedBatch":
        # The DataLoader's pinning thread calls this: only what goes to the device is pinned.
        self.inputs = self.inputs.pin_memory()
        return self


def collate(items: list[dict]) -> LoadedBatch:
    from benchmark.sink import batch_targets

    return LoadedBatch(torch.stack([item["inputs"] for item in items]), [item["shapes"] for item in items],
                       [item["image_id"] for item in items], batch_targets(items) if "target" in items[0] else None)


@dataclass
class BatchOutputs:
    """The model's outputs for a batch: per distortion, in the order asked for, (maps: N×h×w
    array, or a list of per-image arrays when put back in full-image coordinates, or None for
    image scores only; N image scores); with targets, the images' truth (`sink.batch_targets`)."""

    image_ids: list[str]
    outputs: list[tuple[Any, list[float]]]
    targets: dict | None = None

    def images(self) -> Iterator[tuple[str, list[tuple[np.ndarray | None, float]]]]:
        """(image_id, [(stored map or None, score) per distortion]) for each image."""
        for i, image_id in enumerate(self.image_ids):
            yield image_id, [(None if maps is None else maps[i], scores[i]) for maps, scores in self.outputs]


def model_outputs(model, cfg, adapter, distortions: Sequence[str], seed: int = 0, batch_size: int = 8,
                  workers: int = 0, progress: bool = True, indices: Sequence[int] | None = None,
                  targets: bool = False) -> Iterator[BatchOutputs]:
    """The checkpoint's outputs for the adapter's images (those at `indices`), batch by batch
    in order, run through its test pipeline after each distortion. The model owns the conversion
    (`stored`); models that explain with gradients keep autograd on; binary maps made through a
    declared test pipeline (crops, pads) are put back in full-image coordinates. Each
    distortion's batch is one forward pass of `batch_size` images, so every output equals
    `bench predict`'s."""
    from torch.utils.data import Subset

    from benchmark.datasets.torch_dataset import build_pipeline, default_transforms
    from benchmark.progress import track

    test_steps = (cfg.data.get("pipeline") or {}).get("test")
    transforms = build_pipeline(test_steps) if test_steps else default_transforms(cfg.run.size, train=False)
    data = SplitImages(adapter, distortions, transforms, seed, targets)
    subset = data if indices is None else Subset(data, list(indices))
    loader = DataLoader(subset, batch_size=batch_size, num_workers=workers, collate_fn=collate,
                        pin_memory=next(model.parameters()).is_cuda,  # `LoadedBatch.pin_memory`
                        **({"multiprocessing_context": child_context(), "prefetch_factor": 4,
                           "worker_init_fn": _worker_init} if workers else {}))
    what = distortions[0] if len(distortions) == 1 else f"{len(distortions)} distortions"
    device = next(model.parameters()).device
    for batch in track(loader, f"predicting {len(subset)} images ({what})", total=len(loader), enabled=progress):
        inputs = batch.inputs.to(device, non_blocking=True)  # once for every distortion
        outputs = []
        for d in range(len(distortions)):
            with torch.inference_mode(not model.needs_grad):
                output = model(model.data_preprocessor({"inputs": inputs[:, d].contiguous()})["inputs"])
                maps, scores = model.stored(output, cfg.run.task)
            if maps is not None and test_steps and cfg.run.task == "binary":
                maps = [place_back(m, shapes[d], transforms) for m, shapes in zip(maps, batch.shapes)]
            outputs.append((maps, scores))
        yield BatchOutputs(batch.image_ids, outputs, batch.targets)


def child_context():
    """How loader workers and sinks start: forked, so that they share every module this process
    has imported (a fresh interpreter would import torch and OpenCV again: seconds of CPU per
    child on a small machine). Sinks fork before the model runs (`sink.Sink`); loader workers,
    as in training, set torch to one thread and OpenCV to none of its own (`_worker_init`)."""
    return mp.get_context("fork" if sys.platform == "linux" else "spawn")


def _worker_init(_: int) -> None:
    import cv2

    cv2.setNumThreads(1)


def place_back(stored: np.ndarray, shape: tuple[int, int], transforms) -> np.ndarray:
    """A map the network made of the pipeline's output, put back where that output came from in
    the `shape` (h, w) image: a centre crop returns to the centre, a resize is undone, and what the
    pipeline cut away is 0. The pipeline's geometry (resizes, pads, crops: axis-aligned) is read by
    running it on an image of normalised pixel coordinates, then inverted as an affine map."""
    import cv2

    h, w = shape
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    probe = transforms(image=np.dstack([(xx + 0.5) / w, (yy + 0.5) / h, np.ones((h, w), np.float32)]))["image"]
    if probe.shape[:2] != stored.shape[:2]:
        raise BenchError(f"map is {stored.shape[1]}x{stored.shape[0]} but the pipeline makes "
                         f"{probe.shape[1]}x{probe.shape[0]} inputs")
    (ax, bx), (ay, by) = (_axis_fit(probe[..., i] * n, probe[..., 2], axis) for i, n, axis in ((0, w, 1), (1, h, 0)))
    # original x + 0.5 = ax * (final x + 0.5) + bx, so final x = (x + 0.5 - bx) / ax - 0.5
    m = np.array([[1 / ax, 0, (0.5 - bx) / ax - 0.5], [0, 1 / ay, (0.5 - by) / ay - 0.5]], np.float64)
    return cv2.warpAffine(stored.astype(np.float32), m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderValue=0.0)


def _axis_fit(coord: np.ndarray, valid: np.ndarray, axis: int) -> tuple[float, float]:
    """(a, b) with coord = a * (index + 0.5) + b along `axis`, fitted on the pixels the pipeline
    did not pad (edge pixels left out: resizing clamps them)."""
    line = coord.mean(1 - axis) if axis == 0 else coord.mean(0)
    ok = (valid.min(1 - axis) if axis == 0 else valid.min(0)) > 0.999
    idx = np.flatnonzero(ok)[1:-1] if ok.sum() > 4 else np.flatnonzero(ok)
    if idx.size < 2:
        raise BenchError("cannot read the geometry of the test pipeline (it keeps under two pixels of the image)")
    a, b = np.polyfit(idx + 0.5, line[idx], 1)
    return float(a), float(b)
