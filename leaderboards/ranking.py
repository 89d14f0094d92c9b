"""Ranking a track's scored entries, and the statistics behind it: each entry's ranking metric
with its 95 % bootstrap interval over images (`ranking_estimate`), entries ordered by that metric
(mean over the parts the track ranks over), then each declared tie-break metric, then the earlier
submission (`rank`); paired bootstrap p-values against the first entry come from the stored
draws, which every entry of a track drew on the same resamples of the same images."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from benchmark.errors import BenchError
from benchmark.metrics.bootstrap import bootstrap_draws, paired_p_value, percentile_interval

from .track import Track
from .values import RANKED_TIERS, Estimate

# One part's statistics -> (w -> metric value, image ids in the order of w).
Statistic = Callable[[Any, str], tuple[Callable[[np.ndarray], float], list[str]]]


@dataclass(frozen=True)
class Entry:
    sid: int
    tier: str
    submitted_at: str
    value: float | None
    ties: tuple[float | None, ...]
    draws: np.ndarray | None


def part_mean(track: Track, results: Mapping[str, Mapping[str, Any]], metric: str) -> float | None:
    """`metric` averaged over the parts the track ranks over; None when any part lacks it."""
    values = [results.get(part, {}).get("metrics", {}).get(metric) for part in track.rank_over]
    if any(v is None or not isinstance(v, (int, float)) or math.isnan(v) for v in values):
        return None
    return float(np.mean(values))


def entry_of(track: Track, sid: int, tier: str, submitted_at: str, results: Mapping[str, Mapping[str, Any]],
             draws: np.ndarray | None) -> Entry:
    return Entry(sid, tier, submitted_at, part_mean(track, results, track.rank_by),
                 tuple(part_mean(track, results, m) for m in track.tie_break), draws)


def rank(entries: Sequence[Entry]) -> list[tuple[int, int | None, float | None]]:
    """(submission, position, p-value vs the first) for every entry. Reported entries and entries
    whose ranking metric is undefined get no position; the first entry gets no p-value."""
    def key(e: Entry) -> tuple:
        # Higher is better everywhere; an undefined tie-break value counts as the worst.
        return (-e.value, *(math.inf if t is None else -t for t in e.ties), e.submitted_at, e.sid)

    ranked = sorted((e for e in entries if e.tier in RANKED_TIERS and e.value is not None), key=key)
    leader = ranked[0] if ranked else None
    out = []
    for position, e in enumerate(ranked, 1):
        p = None
        if e is not leader and leader.draws is not None and e.draws is not None:
            p = paired_p_value(leader.draws, e.draws)
        out.append((e.sid, position, p))
    out += [(e.sid, None, None) for e in entries if e not in ranked]
    return out


def part_statistic(statistics: Any, metric: str) -> tuple[Callable[[np.ndarray], float], list[str]]:
    """(w -> metric, image ids in the order of w) of one part's statistics (an Evaluator)."""
    return statistics.weighted_metric(metric), statistics.image_ids


def ranking_estimate(track: Track, results: Mapping[str, Mapping], statistics: Mapping[str, Any],
                     statistic: Statistic = part_statistic) -> Estimate:
    """The ranking metric with its 95 % bootstrap interval over images. Images are resampled in
    sorted-id order, with the track's seed, jointly across the parts: every entry of the track
    gets the same resamples, which pairs them for the p-values. `statistic` turns one part's
    statistics into (w -> metric, ids in the order of w)."""
    stats, ids = [], None
    for part in track.rank_over:
        fn, order = statistic(statistics[part], track.rank_by)
        ids = sorted(order) if ids is None else ids
        if sorted(order) != ids:
            raise BenchError(f"part {part} was scored on other images than {track.rank_over[0]}")
        position = {image_id: i for i, image_id in enumerate(ids)}
        stats.append((fn, np.array([position[i] for i in order])))

    def combined(w: np.ndarray) -> float:
        return float(np.mean([fn(w[index]) for fn, index in stats]))

    draws = bootstrap_draws(combined, len(ids), track.bootstrap, track.seed)
    interval = percentile_interval(draws)
    return Estimate(track.rank_by, part_mean(track, results, track.rank_by), interval["low"], interval["high"],
                    track.seed, track.bootstrap, draws)
