"""`bench data check`: load every sample of every split, list every broken file, summarise."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.datasets.base import canonical_split
from benchmark.tasks import IGNORE
from benchmark.datasets.spec import DatasetSpec
from benchmark.errors import BenchError, DataError


@dataclass
class SplitStats:
    images: int = 0
    edited: int = 0
    real: int = 0


@dataclass
class CheckReport:
    dataset: str
    dataset_spec: str
    root: str
    generators: list[str]
    splits: dict[str, SplitStats] = field(default_factory=dict)
    pixels: np.ndarray = field(default_factory=lambda: np.zeros(256, np.int64))
    areas: list[float] = field(default_factory=list)
    turns: Counter = field(default_factory=Counter)
    sizes: Counter = field(default_factory=Counter)
    encodings: dict[str, Counter] = field(default_factory=lambda: {"real": Counter(), "edited": Counter()})
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, split: str, sample) -> None:
        stats = self.splits[split]
        stats.images += 1
        stats.edited += sample.label
        stats.real += 1 - sample.label
        self.pixels += np.bincount(sample.mask.ravel(), minlength=256)
        self.sizes[f"{sample.image.shape[1]}x{sample.image.shape[0]}"] += 1
        if "encoding" in sample.meta:
            self.encodings["edited" if sample.label else "real"][sample.meta["encoding"]] += 1
        if sample.label:
            self.turns[len(sample.generators)] += 1
            if (sample.mask != IGNORE).any():  # fully generated images have no edited area
                self.areas.append(sample.edited_fraction)

    def to_json(self) -> dict:
        total = max(int(self.pixels.sum()), 1)
        areas = np.asarray(self.areas, float)
        return {
            "dataset": self.dataset,
            "dataset_spec": self.dataset_spec,
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
            "encodings": {k: dict(v.most_common()) for k, v in self.encodings.items()},
            "errors": list(dict.fromkeys(self.errors)),  # a broken shard is reported by every split
            "warnings": list(self.warnings),
        }


def check_dataset(dataset: str | DatasetSpec, root: str, splits: list[str] | None = None,
                  progress: bool = True) -> CheckReport:
    from .progress import track

    spec = DatasetSpec.of(dataset)
    if not Path(root).exists():
        raise DataError(str(root), "dataset root does not exist")
    available = spec.splits(root)
    if not available:
        raise BenchError(f"{root}: no split of the {spec.name} layout found")
    wanted = list(dict.fromkeys(canonical_split(s) for s in splits)) if splits else available
    unknown = [s for s in wanted if s not in available]
    if unknown:
        raise BenchError(f"{root}: no split {', '.join(unknown)} (splits found: {', '.join(available)})")
    report = None
    for split in wanted:
        adapter = spec.build(root, split, strict=False)
        if report is None:
            report = CheckReport(spec.name, str(spec), str(root), adapter.generators)
        report.splits[split] = SplitStats()
        report.errors += [str(p) for p in adapter.problems]
        report.warnings += [w for w in adapter.warnings if w not in report.warnings]
        for record in track(adapter.records, f"checking {split}", enabled=progress):
            try:
                report.add(split, adapter.load(record))
            except DataError as exc:
                report.errors.append(str(exc))
    for audit in AUDITS:
        report.warnings += audit(report)
    return report


def polarity_warnings(report: CheckReport) -> list[str]:
    """Local edits cover a minority of the image; a majority marked edited means 0/1 are swapped."""
    if not report.areas:
        return []
    median = float(np.median(report.areas))
    if median <= 0.5:
        return []
    return [f"masks look inverted: the median edited image has {median:.0%} of its pixels marked edited "
            "(edited must be >= 1, untouched 0; check the mask polarity)"]


def format_only_accuracy(real: Counter, edited: Counter) -> float | None:
    """Balanced accuracy of the best classifier that sees only the file encoding (format and JPEG
    quality) of real vs edited images: 0.5 + TV / 2, TV the total variation distance of the two
    encoding distributions (a gap in a minority format matters as much as a different majority)."""
    if not real or not edited:
        return None
    n_real, n_edited = sum(real.values()), sum(edited.values())
    tv = sum(abs(real[k] / n_real - edited[k] / n_edited) for k in real.keys() | edited.keys()) / 2
    return 0.5 + tv / 2


def encoding_warnings(report: CheckReport) -> list[str]:
    """Real and edited images stored in different formats or JPEG qualities let a detector learn
    the file format instead of the edit."""
    real, edited = report.encodings["real"], report.encodings["edited"]
    accuracy = format_only_accuracy(real, edited)
    if accuracy is None or accuracy - 0.5 < SHORTCUT_TV / 2:
        return []
    n_real, n_edited = sum(real.values()), sum(edited.values())
    gaps = {k: real[k] / n_real - edited[k] / n_edited for k in real.keys() | edited.keys()}
    tv = 2 * (accuracy - 0.5)
    k = max(sorted(gaps), key=lambda key: abs(gaps[key]))
    return [f"file format shortcut: {k} is {real[k] / n_real:.0%} of real images but {edited[k] / n_edited:.0%} "
            f"of edited ones; the encoding alone tells them apart with {0.5 + tv / 2:.0%} balanced accuracy, "
            "so a detector can learn the format instead of the edit (re-encode both alike before training "
            "or testing)"]


SHORTCUT_TV = 0.1
AUDITS = (polarity_warnings, encoding_warnings)
