"""Torch `Dataset` over any adapter: samples -> fixed-size training tensors.

Images stay uint8 (C×H×W) until they reach the model, whose data preprocessor normalises them on
the device, as MMEngine does: a uint8 batch is 4× cheaper to pass between loader workers and
normalising a whole batch at once beats doing it per item.
"""
from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from benchmark.tasks import IGNORE, LOCALIZATION_TASKS

from .base import BaseAdapter


def distort_then_transform(image: np.ndarray, image_id: str, distortion: str | None = None, seed: int = 0,
                           transforms: A.Compose | None = None,
                           mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The one "distort, then resize" of the toolkit (inference, `bench eval`, export, training):
    `distortion` runs on the native-resolution image, seeded per image (`image_seed(image_id,
    seed)`, so every command distorts an image alike), then `transforms` (the network's resize,
    crops, flips) on image and mask together. The mask is never distorted."""
    from benchmark.distortions import apply_distortion, image_seed

    if distortion is not None:
        image = apply_distortion(distortion, image, image_seed(image_id, seed))
    if transforms is None:
        return image, mask
    if mask is None:
        return transforms(image=image)["image"], None
    out = transforms(image=image, mask=mask)
    return out["image"], out["mask"]


def resize_step(size: int | tuple[int, int]) -> A.Resize:
    """Resize to the network size: bilinear image, nearest mask (label ids stay label ids)."""
    h, w = (size, size) if isinstance(size, int) else size
    return A.Resize(h, w, interpolation=cv2.INTER_LINEAR, mask_interpolation=cv2.INTER_NEAREST)


def default_transforms(size: int | tuple[int, int], train: bool, seed: int | None = None,
                       crop: int | None = None, resized: bool = False) -> A.Compose:
    """Resize to the network size (`resize_step`; left out when the images come `resized`, from
    a prepared cache), plus a flip in training.

    `crop` (training only) then takes random crops of that side: resampling smooths away the
    pixel-level traces edits leave, so a network size equal to the data's native size plus crops
    trains on the traces as they are, while evaluation still sees whole images."""
    h, w = (size, size) if isinstance(size, int) else size
    steps: list = [] if resized else [resize_step((h, w))]
    if train and crop:
        steps.append(A.RandomCrop(min(crop, h), min(crop, w)))
    if train:
        steps.append(A.HorizontalFlip(p=0.5))
    return A.Compose(steps, seed=seed)


def build_pipeline(steps: list[dict], seed: int | None = None) -> A.Compose:
    """An albumentations pipeline declared in a config: `[dict(type="RandomCrop", height=224,
    width=224), ...]`, each `type` an albumentations transform (masks follow the image; nearest
    for resizes, as albumentations does by default)."""
    from benchmark.errors import BenchError

    built = []
    for step in steps:
        step = dict(step)
        name = step.pop("type", None)
        cls = getattr(A, str(name), None)
        if not (isinstance(cls, type) and issubclass(cls, A.BasicTransform)):
            raise BenchError(f"pipeline step {name!r} is not an albumentations transform")
        try:
            built.append(cls(**step))
        except (TypeError, ValueError) as exc:
            raise BenchError(f"pipeline step {name}: {exc}") from None
    return A.Compose(built, seed=seed)


class SegmentationDataset(Dataset):
    """Items are dicts: `inputs` uint8 3×H×W, `mask` uint8 H×W (binary task: 0/1; semantic: the
    generator ids; 255 ignore either way), `label` 0/1, `image_id`. Both stay uint8 (8× smaller
    than int64 between loader processes); the model casts the mask for its loss.

    `distortion` (a spec such as `jpeg60`) runs on the native-resolution image before any
    resizing, as the robustness protocol requires (`distort_then_transform`).
    """

    def __init__(self, adapter: BaseAdapter, size: int | tuple[int, int] = 512, task: str = "binary",
                 train: bool = False, transforms: A.Compose | None = None,
                 distortion: str | None = None, seed: int | None = None, crop: int | None = None):
        if task not in LOCALIZATION_TASKS:
            raise ValueError(f"task must be one of {LOCALIZATION_TASKS}, got {task!r}")
        self.adapter = adapter
        self.task = task
        self.transforms = transforms or default_transforms(size, train, seed, crop)
        self.distortion = distortion
        self.distortion_seed = seed or 0

    @property
    def num_classes(self) -> int:
        return 2 if self.task == "binary" else self.adapter.num_classes

    def __len__(self) -> int:
        return len(self.adapter)

    def __getitem__(self, index: int) -> dict:
        sample = self.adapter[index]
        image, mask = distort_then_transform(sample.image, sample.image_id, self.distortion, self.distortion_seed,
                                             self.transforms, sample.mask)
        if self.task == "binary":
            mask = np.where(mask == IGNORE, IGNORE, mask > 0).astype(np.uint8)
        return {
            "inputs": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))),
            "mask": torch.from_numpy(np.ascontiguousarray(mask)),
            "label": sample.label,
            "image_id": sample.image_id,
        }
