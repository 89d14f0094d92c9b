"""A leaderboard track: what is scored (dataset spec, split, task, policy preset, distortions),
how entries are ranked, what a row shows and what is published. Tracks are registered in
`benchmark.registry.TRACKS`, one file per track under `leaderboards/tracks/`; a frozen ground-truth
pack and the results store keep the definition they were made with (`to_json`)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from benchmark.errors import BenchError
from benchmark.tasks import LOCALIZATION_TASKS, TASKS
# Breakdowns that describe the ground truth image by image (edited-area bins and quantiles): a
# hidden track does not publish them.
GT_BREAKDOWNS = ("area_bin", "area_quantile")


@dataclass(frozen=True)
class Reported:
    """Numbers a paper reports for a method on this track: shown beside the rescored entries, never
    ranked among them (nothing here can be re-derived)."""

    method: str
    source: str
    metrics: Mapping[str, Mapping[str, float]]  # distortion -> metric -> value
    supervision: str = "unknown"
    training_data: str = "unknown"


@dataclass(frozen=True)
class Track:
    """A leaderboard track: what is scored (dataset spec, split, task, policy preset, distortions),
    how entries are ranked, and what a row shows and the board publishes."""

    name: str
    title: str
    dataset: str                       # dataset spec, e.g. 'dolos[setup=C]'
    split: str
    task: str                          # binary, semantic or detection: what the board measures
    rank_by: str                       # a higher-is-better metric of the result
    tie_break: tuple[str, ...] = ()    # then these metrics, then the earlier submission
    columns: tuple[str, ...] = ()      # further metrics shown, clean
    policy: str = "diffseg"            # the scoring policy preset
    distortions: tuple[str, ...] = ()  # robustness columns: one predictions part per distortion
    rank_over: tuple[str, ...] = ("clean",)  # the parts whose mean rank_by is ranked
    per_generator: str | None = None   # a per-generator metric ('iou_per_generator', 'iou_per_class')
    per_group: tuple[str, str] | None = None  # (breakdown key, metric): columns per group, e.g. per turn
    breakdowns: tuple[str, ...] = ()   # meta fields scored as breakdowns besides turns and area bins
    accepts: tuple[str, ...] = ()      # submission tasks accepted (default: the track's task)
    hidden: bool = True                # hidden ground truth: no per-image values, area bins or GT paths published
    bootstrap: int = 1000              # resamples of the 95 % confidence intervals
    seed: int = 0                      # their seed (recorded with every interval)
    description: str = ""
    reported: tuple[Reported, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        from benchmark.datasets.base import canonical_split
        from benchmark.metrics.policy import PRESETS

        if self.task not in TASKS:
            raise BenchError(f"track {self.name}: task '{self.task}' (known: binary, semantic, detection)")
        if self.policy not in PRESETS:
            raise BenchError(f"track {self.name}: unknown policy preset '{self.policy}'")
        unknown = set(self.rank_over) - set(self.parts)
        if unknown or not self.rank_over:
            raise BenchError(f"track {self.name}: rank_over names parts it does not score: {', '.join(sorted(unknown))}")
        object.__setattr__(self, "split", canonical_split(self.split))
        object.__setattr__(self, "accepts", tuple(self.accepts) or (self.task,))

    @property
    def parts(self) -> tuple[str, ...]:
        """The distortions a submission holds one predictions folder/zip for, clean first."""
        return ("clean", *self.distortions)

    @property
    def localizes(self) -> bool:
        return self.task in LOCALIZATION_TASKS

    def scoring_policy(self):
        from benchmark.metrics.policy import Policy

        return Policy.preset_policy(self.policy)

    def public_result(self, result: Mapping[str, Any]) -> dict:
        """The result as published: a hidden track leaves out the breakdowns that describe the
        ground truth image by image; everything else is the stored result."""
        out = dict(result)
        if self.hidden and "breakdowns" in out:
            out["breakdowns"] = {k: v for k, v in out["breakdowns"].items() if k not in GT_BREAKDOWNS}
        return out

    def to_json(self) -> dict:
        """The definition as plain JSON (what a GT pack and the store keep), reported rows aside."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "reported"}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Track":
        names = {f.name for f in dataclasses.fields(cls)} - {"reported"}
        try:
            kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
            return cls(**kwargs)
        except TypeError as exc:
            raise BenchError(f"track definition: {exc}") from None


def get_track(name: str) -> Track:
    """The registered track `name` (a BenchError lists the known ones)."""
    from benchmark.registry import TRACKS, lookup

    return lookup(TRACKS, name)()


def track_names() -> list[str]:
    from benchmark.registry import TRACKS, names

    return names(TRACKS)
