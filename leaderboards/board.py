"""A track's board as rows and columns, read from the store: every value comes from a stored result
file (or a reported row's file), the interval from the stored bootstrap estimate, the position and
p-value from the newest ranking snapshot. Nothing is recomputed here. While a track's public phase
is open (phases.py) the values and intervals come from the stored public views instead, and no
result file is published."""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from benchmark.errors import BenchError
from benchmark.metrics.robustness import relative_drop

from .ranking import part_mean
from .store import Store
from .track import Track

METRIC_LABELS = {"miou": "mIoU", "bf1": "bF1", "pixel_acc": "Acc", "iou": "IoU", "pbca": "PBCA", "f1": "F1",
                 "ap": "AP", "auc": "AUC", "image_acc": "image acc", "pixel_auc": "pixel AUC",
                 "ap_balanced": "AP (balanced)", "ap_balanced_2std": "± 2σ"}
DEFAULT_SORT = ("rank", "asc")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "number"          # number or text
    better: str | None = "high"   # high, low or None (not a score)
    title: str = ""               # what the column means (header tooltip)


@dataclass
class Row:
    sid: int
    position: int | None
    tier: str
    method: str
    submitter: str
    values: dict[str, Any]
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    seed: int | None = None
    resamples: int | None = None
    checkpoint: str | None = None
    source: str | None = None
    submitted_at: str = ""
    results: dict[str, tuple[str, dict]] = field(default_factory=dict)  # part -> (SHA-256, result), as published
    shown: dict[str, dict] = field(default_factory=dict)  # part -> the result the values come from


@dataclass
class Board:
    track: Track
    split_hash: str
    columns: list[Column]
    rows: list[Row]
    phase: str | None = None  # None: no public/private split; 'public' until the freeze, then 'final'
    n_public: int | None = None

    def filters(self) -> dict[str, list[str]]:
        """Filter key -> the values present, for the page's filter links."""
        return {key: sorted({str(r.values[key]) for r in self.rows}) for key in FILTERS}

    def sorted_rows(self, key: str, direction: str, filt: tuple[str, str] | None = None) -> list[Row]:
        """Rows sorted by column `key` (undefined values last either way), optionally only those
        whose filter column `filt[0]` equals `filt[1]`."""
        if key not in {c.key for c in self.columns}:
            raise BenchError(f"no column '{key}' on board {self.track.name}")
        rows = [r for r in self.rows if filt is None or str(r.values.get(filt[0])) == filt[1]]
        kind = next(c.kind for c in self.columns if c.key == key)

        def value(r: Row):
            v = r.values.get(key)
            return str(v).casefold() if kind == "text" and v is not None else v

        present = sorted((r for r in rows if value(r) is not None), key=lambda r: (value(r), r.sid),
                         reverse=direction == "desc")
        return present + [r for r in rows if value(r) is None]

    def to_json(self) -> dict:
        phase = {} if self.phase is None else {"phase": {"name": self.phase, "public_images": self.n_public}}
        return {"schema": "bench.board/1", "track": self.track.to_json(), "split_manifest_hash": self.split_hash,
                **phase, "columns": [c.__dict__ for c in self.columns],
                "rows": [{"submission": r.sid, "rank": r.position, **{k: v for k, v in r.values.items()},
                          "ci95": [r.low, r.high] if r.low is not None else None, "p_vs_first": r.p_value,
                          "bootstrap": {"seed": r.seed, "resamples": r.resamples} if r.seed is not None else None,
                          "result_sha256": {p: sha for p, (sha, _) in r.results.items()}}
                         for r in self.sorted_rows(*DEFAULT_SORT)]}

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        keys = [c.key for c in self.columns]
        writer.writerow(keys + ["ci95_low", "ci95_high", "p_vs_first", "bootstrap_seed", "submission", "result_sha256"])
        for r in self.sorted_rows(*DEFAULT_SORT):
            shas = ";".join(f"{p}={sha}" for p, (sha, _) in r.results.items())
            writer.writerow([_csv(r.values.get(k)) for k in keys]
                            + [_csv(r.low), _csv(r.high), _csv(r.p_value), _csv(r.seed), r.sid, shas])
        return buf.getvalue()


FILTERS = {"tier": "provenance", "supervision": "supervision", "training_data": "training data"}


def load_board(store: Store, track_name: str) -> Board:
    """The board of a registered track, from the store."""
    registered = dict((t.name, (t, h)) for t, h in store.tracks())
    if track_name not in registered:
        raise BenchError(f"track {track_name} is not registered in this store (registered: "
                         f"{', '.join(registered) or 'none'})")
    track, split_hash = registered[track_name]
    ranking = store.latest_ranking(track.name)
    public_ids = store.public_ids(track.name)
    public = store.is_public(track.name)
    rows = []
    for sub in store.submissions(track.name):
        if sub["status"] != "scored":
            continue  # failed, queued and scoring submissions are never shown as entries
        stored = store.results(sub["id"])
        results = {part: (sha, json.loads(text)) for part, (sha, text) in stored.items()}
        position, p = ranking.get(sub["id"], (None, None))
        estimate = store.estimate(sub["id"])
        shown = {part: result for part, (_, result) in results.items()}
        view = store.public_result(sub["id"]) if public else None
        if view is not None:
            # Only numbers on the public ids: the result files (whole split) wait for the freeze.
            shown, estimate = view
            results = {}
        row = Row(sub["id"], position, sub["tier"], sub["method"], sub["submitter"], {}, p_value=p,
                  checkpoint=sub["checkpoint"], source=sub["source"], submitted_at=sub["submitted_at"], results=results,
                  shown=shown)
        if estimate is not None:
            row.low, row.high, row.seed, row.resamples = estimate.low, estimate.high, estimate.seed, estimate.resamples
        rows.append(row)
    columns = _columns(track, rows)
    for row in rows:
        row.values = _values(track, row, store.submission(row.sid))
    phase = None if public_ids is None else "public" if public else "final"
    return Board(track, split_hash, columns, rows, phase, None if public_ids is None else len(public_ids))


def _label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


def _columns(track: Track, rows: list[Row]) -> list[Column]:
    over = "" if track.rank_over == ("clean",) else f" (mean over {', '.join(track.rank_over)})"
    cols = [Column("rank", "#", better="low", title="rank; reported rows and undefined scores are not ranked"),
            Column("method", "method", "text", None),
            Column("score", _label(track.rank_by) + (" mean" if over else ""),
                   title=f"{track.rank_by}{over} with its 95 % bootstrap interval over images"),
            Column("p", "p vs #1", better=None, title="paired bootstrap p-value that the entry is not worse than the first")]
    clean = " clean" if track.distortions else ""
    cols += [Column(f"m-{m}", _label(m) + clean, title=f"{m}, clean") for m in track.columns
             if not (m == track.rank_by and not over)]
    for part in track.distortions:
        cols.append(Column(f"d-{part}", part, title=f"{track.rank_by} under {part}"))
    if track.distortions:
        cols.append(Column("drop", "relative drop", better="low",
                           title=f"1 - mean {track.rank_by} over the distortions / clean {track.rank_by} (the mean "
                                 "of each distortion's relative drop)"))
    for name in _generator_names(track, rows):
        cols.append(Column(f"g-{name}", name, title=f"{track.per_generator} of {name}, clean"))
    if track.per_group:
        key, metric = track.per_group
        for group in _group_names(track, rows):
            cols.append(Column(f"b-{group}", f"{key} {group}", title=f"{metric} for {key} = {group}, clean"))
    if track.localizes:
        cols.append(Column("fp_area", "FP area", better="low", title="false-positive area on authentic images (fp_area_real)"))
    cols += [Column("tier", "provenance", "text", None, "rescored: from submitted predictions; reproduced: bench re-ran "
                                                        "the checkpoint; reported: a paper's numbers, never ranked"),
             Column("supervision", "supervision", "text", None), Column("training_data", "training data", "text", None),
             Column("preset", "policy", "text", None, "the scoring policy preset"),
             Column("submitted", "submitted", "text", None)]
    return cols


def _clean(row: Row) -> dict:
    return row.shown.get("clean", {})


def _generator_names(track: Track, rows: list[Row]) -> list[str]:
    if not track.per_generator:
        return []
    names: dict[str, None] = {}
    for row in rows:
        names |= dict.fromkeys(k for k in _clean(row).get("metrics", {}).get(track.per_generator, {}) if k != "unedited")
    return list(names)


def _group_names(track: Track, rows: list[Row]) -> list[str]:
    key = track.per_group[0]
    names: dict[str, None] = {}
    for row in rows:
        names |= dict.fromkeys(_clean(row).get("breakdowns", {}).get(key, {}))
    return sorted(names, key=lambda g: (len(g), g))  # '2' before '10'


def _values(track: Track, row: Row, sub: Mapping[str, Any]) -> dict[str, Any]:
    results = row.shown
    clean = results.get("clean", {})
    metrics = clean.get("metrics", {})
    values: dict[str, Any] = {"rank": row.position, "method": row.method,
                              "score": part_mean(track, results, track.rank_by), "p": row.p_value}
    for m in track.columns:
        values[f"m-{m}"] = _number(metrics.get(m))
    for part in track.distortions:
        values[f"d-{part}"] = _number(results.get(part, {}).get("metrics", {}).get(track.rank_by))
    if track.distortions:
        values["drop"] = relative_drop(_number(metrics.get(track.rank_by)), [values[f"d-{p}"] for p in track.distortions])
    for key, v in metrics.get(track.per_generator or "", {}).items():
        values[f"g-{key}"] = _number(v)
    if track.per_group:
        key, metric = track.per_group
        for group, m in clean.get("breakdowns", {}).get(key, {}).items():
            values[f"b-{group}"] = _number(m.get(metric))
    if track.localizes:
        values["fp_area"] = _number(metrics.get("fp_area_real"))
    values |= {"tier": row.tier, "supervision": sub["supervision"], "training_data": sub["training_data"],
               "preset": clean.get("policy", {}).get("preset", "as reported"), "submitted": row.submitted_at[:10]}
    return values


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v) else None


def _csv(v: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula (OWASP: a cell starting with
    = + - @, a tab or a carriage return) is prefixed with a single quote."""
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return repr(v) if isinstance(v, float) else str(v)
    text = str(v)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
