"""Everything measured on one image, reduced to a few counts so the split never keeps pixels."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import BenchError
from .boundary import boundary_counts, tolerance_pixels
from .confusion import IGNORE, count_confusion, edited_mask
from .image_score import image_score_from_map
from .pixel_histogram import auc_from_histogram, best_f1_from_histogram, probability_histogram
from .policy import Policy


@dataclass
class ImageCounts:
    conf: np.ndarray            # (R, P) pixels by GT label id (rows, ignore dropped) and predicted class
    conf_inv: np.ndarray | None  # binary task with invert_allowed: same for the inverted map 1 - p
    boundary: np.ndarray        # (C, 4) per foreground class: pred matched, pred total, GT matched, GT total
    score: float
    label: int                  # the dataset's image label (1 edited or fake)
    localized: int              # 1 when the GT says anything per pixel (not all ignore)
    edited_area: float          # edited share of the non-ignored pixels (before any border band)
    pixel_auc: float            # binary task, edited images only; NaN otherwise
    f1_oracle: float
    histogram: np.ndarray | None  # (2, BINS) for the pooled pixel AUC, binary task only


def band_ignored(gt: np.ndarray, band: tuple[int, int]) -> np.ndarray:
    """TruFor border band: pixels neither inside erode(GT, e x e) nor outside dilate(GT, d x d)."""
    edited = edited_mask(gt).view(np.uint8)
    inner = cv2.erode(edited, np.ones((band[0], band[0]), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    outer = cv2.dilate(edited, np.ones((band[1], band[1]), np.uint8))
    return (outer > 0) & (inner == 0)


def count_image(image_id: str, gt: np.ndarray, pred: np.ndarray, task: str, n_classes: int, policy: Policy,
                score: float | None, label: int | None = None) -> ImageCounts:
    """Counts of one image. `label` is the dataset's image label; None takes it from the GT map
    (for bare label maps whose only truth is the mask)."""
    _check_inputs(image_id, gt, pred, task, n_classes)
    binary = task == "binary"
    ids_hist = None
    if policy.border_band is not None:
        ids_hist = np.bincount(gt.reshape(-1), minlength=256)
        scored_gt = gt.copy()
        scored_gt[band_ignored(gt, policy.border_band)] = IGNORE
    else:
        scored_gt = gt
    if binary:
        decided = policy.decide_pixels(pred)
        full = count_confusion(scored_gt, decided, 2)
        full_inv = count_confusion(scored_gt, policy.decide_pixels(1.0 - pred), 2) if policy.invert_allowed else None
    else:
        decided = pred = pred if pred.dtype == np.uint8 else pred.astype(np.uint8)
        full = count_confusion(scored_gt, pred, n_classes)
        full_inv = None
    if ids_hist is None:
        ids_hist = full.sum(1)
    if not binary and ids_hist[n_classes:IGNORE].any():
        bad = int(np.flatnonzero(ids_hist[n_classes:IGNORE])[0]) + n_classes
        raise BenchError(f"{image_id}: GT label id {bad} has no class (classes 0..{n_classes - 1}, 255 ignore)")
    rows = _used_rows(ids_hist) if binary else n_classes
    n_valid = ids_hist[:IGNORE].sum()
    n_edited = ids_hist[1:IGNORE].sum()
    label = int(n_edited > 0) if label is None else int(label)
    localized = int(n_valid > 0)
    ignore = gt == IGNORE if ids_hist[IGNORE] else None
    theta = tolerance_pixels(*gt.shape, policy.bf1_tolerance)
    rules = (policy.bf1_boundary, policy.bf1_match)
    if binary:
        bnd = np.array([boundary_counts(edited_mask(gt), decided, theta, ignore, *rules)], np.int64)
    else:
        present = (ids_hist[1:n_classes] > 0) | (full[:, 1:].sum(0) > 0)
        bnd = np.zeros((n_classes - 1, 4), np.int64)
        for c in np.flatnonzero(present) + 1:
            bnd[c - 1] = boundary_counts(gt == c, pred == c, theta, ignore, *rules)
    if score is None:
        score = image_score_from_map(pred if binary else (pred > 0).view(np.uint8), policy.image_score)
    hist, auc, f1_oracle = None, float("nan"), float("nan")
    if binary:
        hist = probability_histogram(scored_gt, pred)
        if label and localized:
            auc, f1_oracle = auc_from_histogram(hist), best_f1_from_histogram(hist)
            if policy.invert_allowed:
                auc = max(auc, 1.0 - auc)
                f1_oracle = max(f1_oracle, best_f1_from_histogram(hist[:, ::-1]))
    return ImageCounts(
        conf=full[:rows], conf_inv=None if full_inv is None else full_inv[:rows], boundary=bnd,
        score=float(score), label=label, localized=localized, edited_area=float(n_edited / n_valid) if n_valid else float("nan"),
        pixel_auc=auc, f1_oracle=f1_oracle, histogram=hist)


def count_image_score(gt: np.ndarray, score: float | None, label: int | None = None) -> ImageCounts:
    """Counts of an image judged by its image score alone (the detection task): its label, whether
    its truth is per pixel and its edited area, read from the label map; no map, so no pixel counts."""
    ids_hist = np.bincount(gt.reshape(-1), minlength=256)
    n_valid, n_edited = ids_hist[:IGNORE].sum(), ids_hist[1:IGNORE].sum()
    return ImageCounts(
        conf=np.zeros((1, 1), np.int64), conf_inv=None, boundary=np.zeros((0, 4), np.int64),
        score=float("nan") if score is None else float(score), label=int(n_edited > 0) if label is None else int(label),
        localized=int(n_valid > 0), edited_area=float(n_edited / n_valid) if n_valid else float("nan"),
        pixel_auc=float("nan"), f1_oracle=float("nan"), histogram=None)


def _used_rows(ids_hist: np.ndarray) -> int:
    """Rows 0..max GT id present (at least the unedited row), so binary maps stay small."""
    present = np.flatnonzero(ids_hist[:IGNORE])
    return max(2, int(present[-1]) + 1) if present.size else 2


def _check_inputs(image_id: str, gt: np.ndarray, pred: np.ndarray, task: str, n_classes: int) -> None:
    if gt.ndim != 2 or gt.dtype != np.uint8:
        raise BenchError(f"{image_id}: GT must be a 2-D uint8 label map, got {gt.dtype} {gt.shape}")
    if pred.shape != gt.shape:
        raise BenchError(f"{image_id}: prediction is {pred.shape[:2]} but the GT is {gt.shape}; resize it to the GT size")
    if task == "binary":
        if pred.dtype.kind != "f":
            raise BenchError(f"{image_id}: binary prediction must be float probabilities, got {pred.dtype}")
        lo, hi = pred.min(), pred.max()
        if not (lo >= 0.0 and hi <= 1.0):
            raise BenchError(f"{image_id}: probabilities must lie in [0, 1] (found min {lo}, max {hi})")
    else:
        if pred.dtype.kind not in "ui":
            raise BenchError(f"{image_id}: semantic prediction must be integer class ids, got {pred.dtype}")
        lo, hi = int(pred.min()), int(pred.max())
        if lo < 0 or hi >= n_classes:
            raise BenchError(f"{image_id}: predicted class id {hi if hi >= n_classes else lo} outside 0..{n_classes - 1}")
