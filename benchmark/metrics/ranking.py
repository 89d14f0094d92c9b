"""Rank metrics (AP, ROC AUC) in numpy with sklearn's tie semantics, on raw scores or on histograms."""
from __future__ import annotations

import numpy as np


def cumulative_from_scores(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True/false positive counts at each distinct threshold, highest score first (ties share a step)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(y)[last_of_tie]
    return tps, (last_of_tie + 1) - tps


def cumulative_from_histograms(pos_hist: np.ndarray, neg_hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Same counts from per-bin positive/negative histograms (bin index = score rank, empty bins dropped)."""
    keep = (pos_hist + neg_hist)[::-1] > 0
    return np.cumsum(pos_hist[::-1])[keep], np.cumsum(neg_hist[::-1])[keep]


def roc_auc_from_cumulative(tps: np.ndarray, fps: np.ndarray) -> float:
    """Trapezoidal ROC area: equals the Mann-Whitney statistic with ties counted as one half."""
    if tps.size == 0 or tps[-1] == 0 or fps[-1] == 0:
        return float("nan")
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2)


def average_precision_from_cumulative(tps: np.ndarray, fps: np.ndarray) -> float:
    """Non-interpolated AP = sum over thresholds of (R_n - R_{n-1}) * P_n, as sklearn."""
    if tps.size == 0 or tps[-1] == 0:
        return float("nan")
    precision = tps / (tps + fps)
    recall = np.r_[0.0, tps / tps[-1]]
    return float(np.sum(np.diff(recall) * precision))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    return roc_auc_from_cumulative(*cumulative_from_scores(scores, labels))


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    return average_precision_from_cumulative(*cumulative_from_scores(scores, labels))
