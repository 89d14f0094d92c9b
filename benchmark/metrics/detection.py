"""Image-level detection: AP, ROC AUC, accuracy, and the DOLOS balanced-subsample protocol."""
from __future__ import annotations

import numpy as np

from .ranking import average_precision, roc_auc


def decide(values, threshold: float, compare: str = ">"):
    """Values called edited: above the threshold, or also at it with '>='."""
    return values >= threshold if compare == ">=" else values > threshold


def image_accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5, compare: str = ">") -> float:
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels).astype(bool)
    return float(np.mean(decide(scores, threshold, compare) == labels)) if scores.size else float("nan")


def detection_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5,
                      compare: str = ">") -> dict[str, float]:
    return {"ap": average_precision(scores, labels), "auc": roc_auc(scores, labels),
            "image_acc": image_accuracy(scores, labels, threshold, compare)}


def balanced_detection(scores: np.ndarray, labels: np.ndarray, draws: int = 5, seed: int = 1337) -> dict[str, float]:
    """DOLOS's balanced detection AP (bit-ml/dolos `patch_forensics/evaluate.py`
    `evaluate_detection`): Python's `random` seeded once, then `draws` times `min(#real, #fake)`
    real scores and as many fake scores sampled without replacement (reals first, each in the given
    order), AP of each draw; the mean and 2 x the population std of those APs."""
    import random

    scores, labels = np.asarray(scores, np.float64), np.asarray(labels).astype(bool)
    real, fake = scores[~labels], scores[labels]
    n = min(real.size, fake.size)
    out = {"ap_balanced_n_per_class": n, "ap_balanced_draws": draws}
    if n == 0:
        return out | {"ap_balanced": float("nan"), "ap_balanced_2std": float("nan")}
    rng = random.Random(seed)
    aps = []
    for _ in range(draws):
        pick_real = real[rng.sample(range(real.size), n)]
        pick_fake = fake[rng.sample(range(fake.size), n)]
        aps.append(average_precision(np.r_[pick_real, pick_fake], np.r_[np.zeros(n, bool), np.ones(n, bool)]))
    return out | {"ap_balanced": float(np.mean(aps)), "ap_balanced_2std": float(2 * np.std(aps))}
