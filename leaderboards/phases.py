"""The optional public/private split of a track's test ids (Kaggle-style phases).

`freeze --public-fraction F` draws a share F of the ids (per label, so that detection metrics stay
defined on both parts) under a seed kept in the private GT pack: the bundle and the track
definition are public, so a seed from them would let anyone tell public from private ids. While
the first phase is open every board ranks and shows metrics recomputed from the stored per-image
statistics with weight 1 on public ids and 0 on private ones (the Evaluator's own weighted
metrics), and publishes nothing computed from private ids. Freezing the phase (`bench leaderboard
phase freeze`) switches the boards to the stored result files, which cover the whole split; a
later phase (`bench leaderboard phase open`) ranks on the whole split from the start."""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from benchmark.errors import BenchError

from .ranking import part_statistic, ranking_estimate
from .track import Track
from .values import Estimate


def check_fraction(fraction: float) -> None:
    if not 0 < fraction < 1:
        raise BenchError(f"--public-fraction {fraction}: give a share between 0 and 1 (exclusive)")


def draw_public(ids: Sequence[str], labels: Sequence[int], fraction: float, seed: int) -> list[str]:
    """The public ids (sorted): round(fraction * n) of each label's ids, drawn with `seed`."""
    check_fraction(fraction)
    rng = np.random.default_rng(seed)
    public: list[str] = []
    for label in sorted(set(labels)):
        group = sorted(i for i, lab in zip(ids, labels) if lab == label)
        public += list(rng.choice(group, round(fraction * len(group)), replace=False)) if group else []
    if not public or len(public) == len(ids):
        raise BenchError(f"--public-fraction {fraction} of {len(ids)} images leaves the public or the private part empty")
    return sorted(map(str, public))


def public_view(track: Track, results: Mapping[str, Mapping[str, Any]], statistics: Mapping[str, Any],
                public: set[str]) -> tuple[dict[str, dict], Estimate]:
    """What the board may show of a scored submission while the phase is open: per part a result
    holding only the metrics the board reads, recomputed on the public ids, and the ranking
    estimate (interval and draws) over the public images only."""
    view: dict[str, dict] = {}
    for part in track.parts:
        stored = results[part]
        metrics: dict[str, Any] = {}
        wanted = {track.rank_by, *track.tie_break}
        if part == "clean":
            wanted |= set(track.columns) | ({"fp_area_real"} if track.localizes else set())
            for name in stored.get("metrics", {}).get(track.per_generator or "", {}):
                metrics.setdefault(track.per_generator, {})[name] = _on_public(statistics[part],
                                                                               f"{track.per_generator}.{name}", public)
        for metric in sorted(wanted):
            metrics[metric] = _on_public(statistics[part], metric, public)
        # The policy is the track's, not data: the board's policy column still names it.
        view[part] = {"metrics": metrics, "policy": stored.get("policy", {})}
    restricted = {part: _Restricted(statistics[part], public) for part in track.rank_over}
    estimate = ranking_estimate(track, view, restricted, statistic=_restricted_statistic)
    return view, estimate


class _Restricted:
    """One part's statistics seen through the public ids only (for the ranking estimate)."""

    def __init__(self, statistics: Any, public: set[str]):
        self.statistics, self.public = statistics, public


def _restricted_statistic(restricted: _Restricted, metric: str):
    """(w -> metric on the public images, public ids in the order of w): a private image always
    weighs 0, so the resamples draw public images only."""
    fn, order = part_statistic(restricted.statistics, metric)
    keep = np.array([i in restricted.public for i in order])
    full = np.zeros(len(order))

    def stat(w: np.ndarray) -> float:
        full[keep] = w
        return fn(full)
    return stat, [i for i, k in zip(order, keep) if k]


def _on_public(statistics: Any, metric: str, public: set[str]) -> float | None:
    """`metric` with weight 1 on the public ids and 0 on the rest; None when it is no metric of
    the part's result (a reported row's) or undefined there."""
    try:
        fn, order = part_statistic(statistics, metric)
    except BenchError:
        return None
    value = fn(np.array([1.0 if i in public else 0.0 for i in order]))
    return None if math.isnan(value) else float(value)
