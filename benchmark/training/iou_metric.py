"""Validation metric used for checkpoint selection: per-image confusion matrices, summed.

Per-image counts (not per-batch) let mmengine's result collection drop the samples a distributed
sampler pads, so the distributed result equals the single-process one exactly.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from benchmark.datasets.sample import IGNORE_INDEX


def confusion(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> np.ndarray:
    """C×C counts, rows = truth, columns = prediction; ignore pixels are left out."""
    valid = target != IGNORE_INDEX
    idx = target[valid] * num_classes + pred[valid]
    return torch.bincount(idx, minlength=num_classes ** 2).view(num_classes, num_classes).cpu().numpy()


def iou_from_confusion(cm: np.ndarray) -> dict[str, float]:
    tp = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - tp
    present = union > 0  # a class absent from truth and prediction does not enter the mean
    iou = np.where(present, tp / np.maximum(union, 1), np.nan)
    out = {"mIoU": float(np.nanmean(iou)) if present.any() else 0.0,
           "aAcc": float(tp.sum() / max(cm.sum(), 1))}
    out.update({f"IoU.{c}": float(v) for c, v in enumerate(iou) if present[c]})
    return out


class IoUMetric(BaseMetric):
    """mIoU over the validation split from argmax of the contract's `probs` resized to the mask."""

    default_prefix = "val"

    def __init__(self, num_classes: int, collect_device: str = "cpu"):
        super().__init__(collect_device=collect_device)
        self.num_classes = num_classes

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for out in data_samples:
            masks = data_batch["mask"].to(out["probs"].device)
            probs = out["probs"]
            if probs.shape[-2:] != masks.shape[-2:]:
                probs = F.interpolate(probs, size=masks.shape[-2:], mode="bilinear", align_corners=False)
            pred = probs.argmax(1)
            for p, t in zip(pred, masks):
                self.results.append(confusion(p, t, self.num_classes))

    def compute_metrics(self, results: list) -> dict[str, float]:
        return iou_from_confusion(np.sum(results, axis=0))
