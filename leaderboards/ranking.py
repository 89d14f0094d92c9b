"""Ranking a track's scored entries: by the ranking metric (mean over the parts the track ranks
over), then each declared tie-break metric, then the earlier submission; paired bootstrap
p-values against the first entry come from the stored draws, which every entry of a track drew
on the same resamples of the same images."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from benchmark.metrics.bootstrap import paired_p_value

from .store import RANKED_TIERS
from .track import Track


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
