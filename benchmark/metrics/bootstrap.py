"""Bootstrap confidence intervals over images (resampling whole images, never pixels)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

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
    stat, size = statistic(source, metric)
    if size == 0:
        raise BenchError(f"bootstrap of '{metric}': no images")
    return {"value": stat(np.ones(size)), **percentile_interval(bootstrap_draws(stat, size, n, seed), alpha), "n": n}


def statistic(source: "pd.DataFrame | Evaluator", metric: str) -> tuple[Callable[[np.ndarray], float], int]:
    """`metric` as a function of per-image weights (multiplicities), and the number of images."""
    if isinstance(source, pd.DataFrame):
        return _frame_statistic(source, metric)
    return source.weighted_metric(metric), len(source)


def resample_weights(size: int, n: int, seed: int) -> Iterator[np.ndarray]:
    """`n` bootstrap resamples of `size` images as multiplicity vectors. The same seed and size give
    the same resamples, which is what pairs two methods scored on the same images."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield np.bincount(rng.integers(0, size, size), minlength=size).astype(np.float64)


def bootstrap_draws(stat: Callable[[np.ndarray], float], size: int, n: int = 1000, seed: int = 0) -> np.ndarray:
    """The statistic on each resample (NaN where a resample leaves it undefined)."""
    return np.array([stat(w) for w in resample_weights(size, n, seed)], np.float64)


def percentile_interval(draws: np.ndarray, alpha: float = 0.05) -> dict[str, float]:
    """{low, high}: the alpha/2 and 1 - alpha/2 quantiles of the defined draws."""
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return {"low": float("nan"), "high": float("nan")}
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return {"low": float(low), "high": float(high)}


def paired_p_value(leader: np.ndarray, other: np.ndarray) -> float:
    """One-sided paired bootstrap p-value that `other` is not worse than `leader` (Koehn 2004):
    the share of paired resamples (the same images drawn for both) where `other` scores at least
    as high as `leader`, with the add-one correction so that it is never exactly 0. Resamples
    where either is undefined are left out."""
    keep = ~(np.isnan(leader) | np.isnan(other))
    if not keep.any():
        return float("nan")
    return float((1 + np.count_nonzero(other[keep] >= leader[keep])) / (1 + np.count_nonzero(keep)))


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
