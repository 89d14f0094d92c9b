"""Bootstrap confidence intervals over images (resampling whole images, never pixels)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from ..errors import BenchError

if TYPE_CHECKING:
    from .evaluator import Evaluator


def bootstrap_ci(source: "Evaluator", metric: str, n: int = 1000, seed: int = 0,
                 alpha: float = 0.05) -> dict[str, float]:
    """Percentile interval {value, low, high} of `metric` over `n` resamples of the images: every
    metric of the Evaluator's result (global ones re-sum the per-image counts), for every task."""
    stat, size = statistic(source, metric)
    if size == 0:
        raise BenchError(f"bootstrap of '{metric}': no images")
    return {"value": stat(np.ones(size)), **percentile_interval(bootstrap_draws(stat, size, n, seed), alpha), "n": n}


def statistic(source: "Evaluator", metric: str) -> tuple[Callable[[np.ndarray], float], int]:
    """`metric` as a function of per-image weights (multiplicities), and the number of images."""
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
