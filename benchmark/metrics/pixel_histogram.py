"""Per-image probability histograms: pixel AUC and oracle-threshold F1 without keeping any pixels."""
from __future__ import annotations

import numpy as np

from .confusion import IGNORE
from .ranking import cumulative_from_histograms, roc_auc_from_cumulative

BINS = 10_000  # probability grid 1e-4: uint8 (1/255) and float16 maps keep every distinct level apart

# GT label id -> row of the histogram: 0 unedited, 1 edited, 2 ignored (dropped).
_ROW_OF_ID = np.ones(256, np.uint16)
_ROW_OF_ID[0], _ROW_OF_ID[IGNORE] = 0, 2


def probability_histogram(gt: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """(2, BINS) counts of unedited / edited pixels per probability bin; ignored pixels are dropped."""
    code = (prob * BINS).astype(np.int32).reshape(-1)
    np.minimum(code, BINS - 1, out=code)
    code += (_ROW_OF_ID[gt.reshape(-1)] * BINS).astype(np.int32)
    return np.bincount(code, minlength=3 * BINS)[: 2 * BINS].reshape(2, BINS)


def auc_from_histogram(hist: np.ndarray) -> float:
    return roc_auc_from_cumulative(*cumulative_from_histograms(hist[1], hist[0]))


def best_f1_from_histogram(hist: np.ndarray) -> float:
    """Highest F1 over thresholds on the bin grid (an upper bound: the threshold is chosen on the answer)."""
    positives = hist[1].sum()
    if positives == 0:
        return float("nan")
    tp = np.cumsum(hist[1][::-1])
    fp = np.cumsum(hist[0][::-1])
    return float(np.max(2 * tp / (positives + tp + fp)))
