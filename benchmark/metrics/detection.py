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


def balanced_detection(scores: np.ndarray, labels: np.ndarray, draws: int = 5, seed: int = 1337,
                       threshold: float = 0.5) -> dict[str, float]:
    """DOLOS protocol: `draws` random subsets with min(#real, #fake) images of each label; mean and 2*std."""
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels).astype(bool)
    real, fake = np.flatnonzero(~labels), np.flatnonzero(labels)
    n = min(real.size, fake.size)
    out: dict[str, float] = {"n_per_class": float(n), "draws": float(draws)}
    if n == 0:
        return out | {f"{m}_{s}": float("nan") for m in ("ap", "auc", "acc") for s in ("mean", "2std")}
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(draws):
        pick = np.r_[rng.choice(real, n, replace=False), rng.choice(fake, n, replace=False)]
        m = detection_metrics(scores[pick], labels[pick], threshold)
        runs.append((m["ap"], m["auc"], m["image_acc"]))
    values = np.array(runs)
    for j, name in enumerate(("ap", "auc", "acc")):
        out[f"{name}_mean"] = float(values[:, j].mean())
        out[f"{name}_2std"] = float(2 * values[:, j].std())
    return out
