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


def davis_boundary_map(mask: np.ndarray) -> np.ndarray:
    """DAVIS `_seg2bmap`: pixels that differ from their right, lower or lower-right neighbour; on
    the last row and column only the neighbour inside the image counts, so the image border itself
    is never boundary."""
    seg = mask.astype(bool)
    e, s, se = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    e[:, :-1], s[:-1, :], se[:-1, :-1] = seg[:, 1:], seg[1:, :], seg[1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = False
    return b


def tolerance_pixels(height: int, width: int, fraction: float) -> float:
    return fraction * math.hypot(height, width)


def boundary_counts(gt_mask: np.ndarray, pred_mask: np.ndarray, theta: float,
                    ignore: np.ndarray | None = None, boundary: str = "inner",
                    match: str = "strict") -> tuple[int, int, int, int]:
    """(pred boundary matched, pred boundary total, GT boundary matched, GT boundary total) for one class.

    `boundary` 'inner': mask minus its erosion, predicted boundary in ignored pixels dropped;
    'davis': `davis_boundary_map` of both masks with ignored pixels set to 0 first, as DAVIS
    treats void pixels. `match` 'strict': matched when the Euclidean distance to the other
    boundary is < theta; 'ceil': <= ceil(theta), DAVIS's dilation by skimage's `disk(r)`
    (offsets with dy² + dx² <= r²).
    """
    if match == "ceil":
        # Squared distances are integers: d <= r exactly when d < sqrt(r² + 0.5) (sqrt(r² + 1) is the next).
        r = math.ceil(theta)
        theta = math.sqrt(r * r + 0.5)
    if boundary == "davis":
        return _davis_counts(gt_mask, pred_mask, theta, ignore)
    return _inner_counts(gt_mask, pred_mask, theta, ignore)


def _davis_counts(gt_mask, pred_mask, theta, ignore) -> tuple[int, int, int, int]:
    keep = None if ignore is None else ~ignore
    bg = davis_boundary_map(gt_mask if keep is None else gt_mask & keep)
    bp = davis_boundary_map(pred_mask if keep is None else pred_mask & keep)
    n_bg, n_bp = int(np.count_nonzero(bg)), int(np.count_nonzero(bp))
    if n_bg == 0 or n_bp == 0:
        return 0, n_bp, 0, n_bg
    return (int(np.count_nonzero(bp & (_distance_to(bg) < theta))), n_bp,
            int(np.count_nonzero(bg & (_distance_to(bp) < theta))), n_bg)


def _inner_counts(gt_mask, pred_mask, theta, ignore) -> tuple[int, int, int, int]:
    """Both distance transforms run only in the GT box grown by ceil(theta): every GT boundary
    pixel and every predicted boundary pixel that can be within theta of one lies inside it, so
    the test is exact."""
    gt_box, pred_box = _bbox(gt_mask), _bbox(pred_mask)
    bp_all = _boundary_in(pred_mask, pred_box, ignore)
    n_bp = int(np.count_nonzero(bp_all)) if bp_all is not None else 0
    bg = _boundary_in(gt_mask, gt_box, None)
    n_bg = int(np.count_nonzero(bg)) if bg is not None else 0
    if n_bg == 0 or n_bp == 0:
        return 0, n_bp, 0, n_bg
    r = math.ceil(theta)
    H, W = gt_mask.shape
    y0, y1, x0, x1 = gt_box
    box = (max(y0 - r, 0), min(y1 + r, H), max(x0 - r, 0), min(x1 + r, W))
    bg = _boundary_in(gt_mask, box, None)
    bp = _boundary_in(pred_mask, box, ignore)
    if not bp.any():
        return 0, n_bp, 0, n_bg
    matched_pred = int(np.count_nonzero(bp & (_distance_to(bg) < theta)))
    matched_gt = int(np.count_nonzero(bg & (_distance_to(bp) < theta)))
    return matched_pred, n_bp, matched_gt, n_bg


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    return (y, y + h, x, x + w) if w else None


def _boundary_in(mask: np.ndarray, box: tuple[int, int, int, int] | None, ignore: np.ndarray | None) -> np.ndarray | None:
    """Boundary of the full-image mask, restricted to `box` (eroded with a 1-px margin so it is exact)."""
    if box is None:
        return None
    H, W = mask.shape
    y0, y1, x0, x1 = box
    my0, my1, mx0, mx1 = max(y0 - 1, 0), min(y1 + 1, H), max(x0 - 1, 0), min(x1 + 1, W)
    # Where the margin meets the image edge, erosion's zero padding makes the image border a boundary.
    b = boundary_map(np.ascontiguousarray(mask[my0:my1, mx0:mx1]))[y0 - my0: y1 - my0, x0 - mx0: x1 - mx0]
    if ignore is not None:
        b &= ~ignore[y0:y1, x0:x1]
    return b


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
