"""Boundary F1 (Csurka et al. 2013) by distance transform, counted per image and class."""
from __future__ import annotations

import math

import cv2
import numpy as np

_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """Mask minus its 3x3-cross erosion; pixels on the image border count as boundary (zero padding)."""
    m = mask.view(np.uint8) if mask.dtype == bool else mask
    eroded = cv2.erode(m, _CROSS, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return (m > 0) & (eroded == 0)


def tolerance_pixels(height: int, width: int, fraction: float) -> float:
    return fraction * math.hypot(height, width)


def boundary_counts(gt_mask: np.ndarray, pred_mask: np.ndarray, theta: float,
                    ignore: np.ndarray | None = None) -> tuple[int, int, int, int]:
    """(pred boundary matched, pred boundary total, GT boundary matched, GT boundary total) for one class.

    A boundary pixel is matched when the Euclidean distance to the other boundary is < theta. All work
    happens in the bounding box of both masks (+1 px so the erosion sees the true neighbours):
    every boundary pixel lies inside it, so distances to the nearest one are exact there.
    """
    union = (gt_mask | pred_mask).view(np.uint8)
    x, y, w, h = cv2.boundingRect(union)
    if w == 0:
        return 0, 0, 0, 0
    H, W = union.shape
    y0, x0, y1, x1 = max(y - 1, 0), max(x - 1, 0), min(y + h + 1, H), min(x + w + 1, W)
    # Where the crop meets the image edge, erosion's zero padding makes the image border a boundary.
    crop = (slice(y0, y1), slice(x0, x1))
    bg = boundary_map(np.ascontiguousarray(gt_mask[crop]))
    bp = boundary_map(np.ascontiguousarray(pred_mask[crop]))
    if ignore is not None:
        bp &= ~ignore[crop]
    n_bg, n_bp = int(np.count_nonzero(bg)), int(np.count_nonzero(bp))
    if n_bg == 0 or n_bp == 0:
        return 0, n_bp, 0, n_bg
    near_gt = _distance_to(bg) < theta
    near_pred = _distance_to(bp) < theta
    return int(np.count_nonzero(near_gt & bp)), n_bp, int(np.count_nonzero(near_pred & bg)), n_bg


def _distance_to(boundary: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance of every pixel to the nearest True pixel of `boundary`."""
    src = np.where(boundary, 0, 255).astype(np.uint8)
    return cv2.distanceTransform(src, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def bf1_from_counts(counts: np.ndarray, both_empty: float | None) -> np.ndarray:
    """Per-image BF from (N, C, 4) counts: mean over scored classes, NaN where no class is scored."""
    pm, pt, gm, gt = (counts[..., i].astype(np.float64) for i in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(pt > 0, pm / np.maximum(pt, 1), 0.0)
        recall = np.where(gt > 0, gm / np.maximum(gt, 1), 0.0)
        f = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    absent = (pt == 0) & (gt == 0)
    f = np.where(absent, np.nan if both_empty is None else both_empty, f)
    with np.errstate(invalid="ignore"):
        scored = (~np.isnan(f)).sum(-1)
        return np.where(scored > 0, np.nansum(f, -1) / np.maximum(scored, 1), np.nan)
