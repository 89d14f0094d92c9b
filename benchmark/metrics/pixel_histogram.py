"""Per-image probability histograms: pixel AUC and oracle-threshold F1 without keeping any pixels."""
from __future__ import annotations

import numpy as np

from .confusion import edited_mask, histogram
from .ranking import cumulative_from_histograms, roc_auc_from_cumulative

BINS = 10_000  # probability grid 1e-4: uint8 (1/255) and float16 maps keep every distinct level apart

def probability_histogram(gt: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """(2, BINS) counts of unedited / edited pixels per probability bin [k/BINS, (k+1)/BINS); ignored dropped."""
    prob = prob if prob.dtype == np.float32 else prob.astype(np.float32)
    # One extra bin so that p == 1.0 (outside calcHist's open upper end) is counted, then folded in.
    out = np.empty((2, BINS), np.int64)
    for row, mask in enumerate((gt == 0, edited_mask(gt))):
        h = histogram(prob, BINS + 1, (BINS + 1) / BINS, mask)
        out[row] = h[:BINS]
        out[row, -1] += h[BINS]
    return out


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
