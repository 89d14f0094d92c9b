"""Per-image counting: confusion matrices by bincount, and the reductions that read them."""
from __future__ import annotations

import numpy as np

IGNORE = 255


def count_confusion(gt: np.ndarray, pred: np.ndarray, n_pred: int) -> np.ndarray:
    """Pixel counts (256, n_pred): row = GT label id (row 255 = ignored pixels), column = predicted class.

    One bincount over `gt * n_pred + pred` in uint16, no boolean masks and no float copies.
    """
    code = gt.astype(np.uint16)
    code *= n_pred
    code += pred
    return np.bincount(code.reshape(-1), minlength=256 * n_pred).reshape(256, n_pred)


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


def forensic_scores(counts: np.ndarray, empty_union: float) -> dict[str, np.ndarray]:
    """Per-image IoU, F1 and pixel accuracy (PBCA) from (N, 4) tp, fp, fn, tn counts."""
    tp, fp, fn, tn = (counts[:, i].astype(np.float64) for i in range(4))
    union = tp + fp + fn
    total = union + tn
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, tp / union, empty_union)
        f1 = np.where(union > 0, 2 * tp / (2 * tp + fp + fn), empty_union)
        pbca = np.where(total > 0, (tp + tn) / total, np.nan)
    return {"iou": iou, "f1": f1, "pbca": pbca}
