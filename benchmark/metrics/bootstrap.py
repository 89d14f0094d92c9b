"""Bootstrap confidence intervals over images (resampling whole images, never pixels)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import BenchError
from .detection import detection_metrics

if TYPE_CHECKING:
    from .evaluator import Evaluator

_EDITED_ONLY = ("iou", "pbca", "f1", "pixel_auc", "f1_oracle")
_DETECTION = ("ap", "auc", "image_acc")


def bootstrap_ci(source: "pd.DataFrame | Evaluator", metric: str, n: int = 1000, seed: int = 0,
                 alpha: float = 0.05) -> dict[str, float]:
    """Percentile interval {value, low, high} of `metric` over `n` resamples of the images.

    From an Evaluator every split metric can be resampled (global ones re-sum the per-image counts);
    from a per-image DataFrame only its columns and ap/auc/image_acc (from score and label).
    """
    rng = np.random.default_rng(seed)
    if isinstance(source, pd.DataFrame):
        stat, size = _frame_statistic(source, metric)
    else:
        stat, size = source.weighted_metric(metric), len(source)
    if size == 0:
        raise BenchError(f"bootstrap of '{metric}': no images")
    value = stat(np.ones(size))
    draws = np.array([stat(np.bincount(rng.integers(0, size, size), minlength=size).astype(np.float64))
                      for _ in range(n)])
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return {"value": value, "low": float("nan"), "high": float("nan"), "n": n}
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return {"value": value, "low": float(low), "high": float(high), "n": n}


def _frame_statistic(df: pd.DataFrame, metric: str):
    if metric in _DETECTION:
        scores, labels = df["score"].to_numpy(np.float64), df["label"].to_numpy()
        return (lambda w: detection_metrics(np.repeat(scores, w.astype(int)), np.repeat(labels, w.astype(int)))[metric],
                len(df))
    if metric not in df.columns:
        raise BenchError(f"bootstrap: no per-image column '{metric}' (have: {', '.join(map(str, df.columns))})")
    values = df[metric].to_numpy(np.float64)
    keep = ~np.isnan(values)
    if metric in _EDITED_ONLY and "label" in df.columns:
        keep &= df["label"].to_numpy() == 1

    def stat(w: np.ndarray) -> float:
        ww = w * keep
        return float(np.dot(np.nan_to_num(values), ww) / ww.sum()) if ww.sum() > 0 else float("nan")
    return stat, len(df)
