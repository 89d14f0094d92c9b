"""`bench data check`: load every sample of every split, list every broken file, summarise."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.errors import BenchError, DataError


@dataclass
class SplitStats:
    images: int = 0
    edited: int = 0
    real: int = 0


@dataclass
class CheckReport:
    dataset: str
    root: str
    generators: list[str]
    splits: dict[str, SplitStats] = field(default_factory=dict)
    pixels: np.ndarray = field(default_factory=lambda: np.zeros(256, np.int64))
    areas: list[float] = field(default_factory=list)
    turns: Counter = field(default_factory=Counter)
    sizes: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, split: str, sample) -> None:
        stats = self.splits[split]
        stats.images += 1
        stats.edited += sample.label
        stats.real += 1 - sample.label
        self.pixels += np.bincount(sample.mask.ravel(), minlength=256)
        self.sizes[f"{sample.image.shape[1]}x{sample.image.shape[0]}"] += 1
        if sample.label:
            self.areas.append(sample.edited_fraction)
            self.turns[len(sample.generators)] += 1

    def to_json(self) -> dict:
        total = max(int(self.pixels.sum()), 1)
        areas = np.asarray(self.areas, float)
        return {
            "dataset": self.dataset,
            "root": self.root,
            "splits": {k: vars(v) for k, v in self.splits.items()},
            "generators": {name: float(self.pixels[i + 1] / total) for i, name in enumerate(self.generators)},
            "unedited_pixel_share": float(self.pixels[0] / total),
            "mask_area": {
                "mean": float(areas.mean()) if len(areas) else None,
                "min": float(areas.min()) if len(areas) else None,
                "max": float(areas.max()) if len(areas) else None,
                "quantiles": {str(q): float(np.quantile(areas, q)) for q in (0.1, 0.25, 0.5, 0.75, 0.9)}
                if len(areas) else {},
            },
            "turns": {str(k): v for k, v in sorted(self.turns.items())},
            "sizes": dict(self.sizes.most_common()),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def check_dataset(dataset: str, root: str, splits: list[str] | None = None,
                  progress: bool = True, **adapter_args) -> CheckReport:
    from benchmark.datasets import BaseAdapter  # noqa: F401  (registers the adapters)
    from benchmark.registry import DATASETS, lookup
    from .progress import track

    cls = lookup(DATASETS, dataset)
    if not Path(root).exists():
        raise DataError(str(root), "dataset root does not exist")
    available = cls.splits(root)
    if not available:
        raise BenchError(f"{root}: no split of the {dataset} layout found")
    wanted = splits or available
    unknown = [s for s in wanted if s not in available]
    if unknown:
        raise BenchError(f"{root}: no split {', '.join(unknown)} (found: {', '.join(available)})")
    report = None
    for split in wanted:
        adapter = cls(root, split=split, strict=False, **adapter_args)
        if report is None:
            report = CheckReport(dataset, str(root), adapter.generators)
        report.splits[split] = SplitStats()
        report.errors += [str(p) for p in adapter.problems]
        for record in track(adapter.records, f"checking {split}", enabled=progress):
            try:
                report.add(split, adapter.load(record))
            except DataError as exc:
                report.errors.append(str(exc))
    return report
