"""Per-image counting: confusion matrices by bincount, and the reductions that read them."""
from __future__ import annotations

import cv2
import numpy as np

from benchmark.tasks import IGNORE

_FLOAT32_EXACT = 1 << 24  # cv2.calcHist counts in float32: exact below 2**24 pixels per image


def edited_mask(gt: np.ndarray) -> np.ndarray:
    """GT ids 1..254 (uint8 wrap-around sends 0 to 255, so one comparison does it)."""
    return (gt - np.uint8(1)) < np.uint8(IGNORE - 1)


def histogram(values: np.ndarray, n_bins: int, upper: float | None = None, mask: np.ndarray | None = None) -> np.ndarray:
    """Exact int64 counts of uint8/uint16/float32 values in n_bins equal bins over [0, upper or n_bins).

    cv2.calcHist is ~3x np.bincount and needs no index array; it counts in float32, so very large
    images fall back to bincount.
    """
    upper = float(n_bins) if upper is None else upper
    if values.size >= _FLOAT32_EXACT:
        flat = values.reshape(-1) if mask is None else values[mask.view(bool)]
        idx = np.minimum((flat * (n_bins / upper)).astype(np.int64), n_bins - 1)
        return np.bincount(idx, minlength=n_bins)
    hist = cv2.calcHist([values], [0], None if mask is None else mask.view(np.uint8), [n_bins], [0, upper])
    return np.rint(hist.reshape(-1)).astype(np.int64)


def count_confusion(gt: np.ndarray, pred: np.ndarray, n_pred: int) -> np.ndarray:
    """Pixel counts (256, n_pred): row = GT label id (row 255 = ignored pixels), column = predicted class.

    One histogram of `gt * n_pred + pred` in uint16: no boolean masks and no float copies.
    """
    code = gt.astype(np.uint16)
    code *= n_pred
    code += pred
    return histogram(code, 256 * n_pred).reshape(256, n_pred)


def iou_per_class(conf: np.ndarray) -> np.ndarray:
    """IoU of every class of a square confusion matrix; NaN where the union is empty."""
    inter = np.diagonal(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.maximum(union, 1), np.nan)


def pixel_accuracy(conf: np.ndarray) -> float:
    total = conf.sum()
    return float(np.trace(conf) / total) if total else float("nan")


def binary_counts(conf: np.ndarray) -> np.ndarray:
    """(…, 4) tp, fp, fn, tn of 'edited' (any GT id > 0 vs any predicted class > 0) from (…, R, P) counts."""
    tp = conf[..., 1:, 1:].sum((-1, -2))
    fn = conf[..., 1:, 0].sum(-1)
    fp = conf[..., 0, 1:].sum(-1)
    tn = conf[..., 0, 0]
    return np.stack([tp, fp, fn, tn], -1)


def forensic_scores(counts: np.ndarray, empty_union: float, epsilon: float = 0.0) -> dict[str, np.ndarray]:
    """Per-image IoU, F1 and pixel accuracy (PBCA) from (N, 4) tp, fp, fn, tn counts. A non-zero
    `epsilon` is added to the denominators of IoU, precision, recall and F1, in IMDL-BenCo's order."""
    tp, fp, fn, tn = (counts[:, i].astype(np.float64) for i in range(4))
    union = tp + fp + fn
    total = union + tn
    with np.errstate(invalid="ignore", divide="ignore"):
        if epsilon:
            precision, recall = tp / (tp + fp + epsilon), tp / (tp + fn + epsilon)
            iou = np.where(union > 0, tp / (union + epsilon), empty_union)
            f1 = np.where(union > 0, 2 * precision * recall / (precision + recall + epsilon), empty_union)
        else:
            iou = np.where(union > 0, tp / union, empty_union)
            f1 = np.where(union > 0, 2 * tp / (2 * tp + fp + fn), empty_union)
        pbca = np.where(total > 0, (tp + tn) / total, np.nan)
    return {"iou": iou, "f1": f1, "pbca": pbca}
