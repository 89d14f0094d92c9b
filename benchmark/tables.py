"""Paper-style tables built from result files only: any two keys as rows and columns.

Each result is flattened into entries (key values + one metric value). Keys are top-level, policy,
provenance or submission fields (method, distortion, dataset_spec, split, train_generators,
preset, pixel_threshold, ...), `metric`
(the metric names), `class` (the entries of per-class metrics such as iou_per_generator) and
breakdown keys (turns, area_bin, any meta field the results were broken down by).
"""
from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from .errors import BenchError
from .results import field as result_field
from .results import label

DEFAULT_METRICS = ("pixel_acc", "miou", "bf1", "iou", "pbca", "f1", "ap", "auc", "image_acc")
# Policy fields that do not change a number (the rules' prose follows the fields).
VARYING = {"rules"}
FORMATS = ("rich", "markdown", "latex", "csv")
MAX_DIGITS = 17  # a float64 holds 17 significant digits


@dataclass
class Grid:
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], float | None]
    row_key: str
    col_key: str
    warnings: list[str] = field(default_factory=list)


def entries(result: Mapping) -> Iterator[tuple[dict[str, Any], set[str], str, Any]]:
    """(keys, free keys, metric, value): free keys exist only for part of the result (a class or
    a breakdown group) and must appear in the table for the entry to be used."""
    for name, value in result.get("metrics", {}).items():
        if isinstance(value, Mapping):
            for cls, v in value.items():
                if v is None or isinstance(v, (int, float)):
                    yield {"class": cls}, {"class"}, name, v
        elif value is None or isinstance(value, (int, float)):
            yield {}, set(), name, value
    for key, groups in result.get("breakdowns", {}).items():
        for group, metrics in groups.items():
            for name, v in metrics.items():
                yield {key: group}, {key}, name, v


def _value(result: Mapping, key: str, keys: Mapping[str, Any], metric: str) -> Any:
    if key == "metric":
        return metric
    return keys[key] if key in keys else result_field(result, key)


def build_grid(results: Sequence[Mapping], rows: str, cols: str, metrics: Sequence[str] | None = None,
               paths: Sequence[str] | None = None) -> Grid:
    """Lay `results` out with key `rows` down and key `cols` across. Without `metric` among the
    keys exactly one metric is shown. Two results landing in one cell is an error."""
    if rows == cols:
        raise BenchError(f"rows and columns are both '{rows}'")
    paths = list(paths or [f"result {i + 1}" for i in range(len(results))])
    known = table_keys(results)
    for key in (rows, cols):
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.5)
            raise BenchError(f"'{key}' is not a key of {paths[0] if len(paths) == 1 else f'{len(paths)} results'}"
                             + (f" (did you mean {', '.join(close)}?)" if close else "")
                             + ": keys are result, policy, provenance or submission fields, 'metric', 'class' or a "
                               "breakdown key; a predictions manifest's own keys never reach a result")
    if metrics:
        wanted = list(metrics)
    else:
        present = {name for r in results for _, _, name, _ in entries(r)}
        wanted = [m for m in DEFAULT_METRICS if m in present]
    if "metric" not in (rows, cols):
        if len(wanted) != 1:
            if metrics:
                raise BenchError(f"neither rows nor columns is 'metric': give one metric, not {', '.join(metrics)}")
            wanted = wanted[:1]
    if not wanted:
        raise BenchError("no metric to show (use --metrics)")
    used = {rows, cols} - {"metric"}
    cells: dict[tuple[str, str], float | None] = {}
    origin: dict[tuple[str, str], str] = {}
    row_labels, col_labels = [], []
    for result, path in zip(results, paths):
        for keys, free, name, value in entries(result):
            if name not in wanted or not free <= used:
                continue
            r, c = (_value(result, k, keys, name) for k in (rows, cols))
            if r is None or c is None:
                continue
            r, c = label(r), label(c)
            if (r, c) in cells and cells[(r, c)] != value:
                raise BenchError(f"{path} and {origin[(r, c)]} both fill the cell {rows}={r}, {cols}={c}"
                                 f"{'' if 'metric' in (rows, cols) else f' ({name})'}: choose keys that tell them apart")
            cells[(r, c)], origin[(r, c)] = value, path
            for lab, seen in ((r, row_labels), (c, col_labels)):
                if lab not in seen:
                    seen.append(lab)
    if not cells:
        raise BenchError(f"no result has both '{rows}' and '{cols}' with metric(s) {', '.join(wanted)}")
    if rows == "metric":
        row_labels = [m for m in wanted if m in row_labels]
    if cols == "metric":
        col_labels = [m for m in wanted if m in col_labels]
    title = wanted[0] if "metric" not in (rows, cols) else ""
    grid = Grid(row_labels, col_labels, cells, rows, cols if not title else f"{cols} ({title})")
    grid.warnings = comparability_warnings(results, paths, used)
    return grid


def table_keys(results: Sequence[Mapping]) -> set[str]:
    """Every key a table can use for these results."""
    keys = {"metric", "class"}
    for r in results:
        keys |= set(r) - {"metrics", "breakdowns", "policy", "provenance", "submission"}
        keys |= set(r.get("breakdowns", {}))
        for block in ("policy", "provenance", "submission"):
            keys |= set(r.get(block, {}))
    return keys


def comparability_warnings(results: Sequence[Mapping], paths: Sequence[str], used: set[str]) -> list[str]:
    """Say when the results of one table were scored under different policies or split contents."""
    out = []
    keys = sorted({k for r in results for k in r.get("policy", {})} - VARYING - used)
    for key in keys:
        values = {label(r.get("policy", {}).get(key)) for r in results}
        if len(values) > 1:
            out.append(f"results mix policy {key} = {', '.join(sorted(values))}: their numbers are not comparable")
    splits: dict[tuple, set] = {}
    for r in results:
        splits.setdefault((r.get("dataset_spec", r.get("dataset")), r.get("split")), set()).add(
            r.get("provenance", {}).get("split_manifest_hash"))
    for (dataset, split), hashes in splits.items():
        if len(hashes - {None}) > 1:
            out.append(f"{dataset} {split}: results come from {len(hashes)} different split contents (split_manifest_hash)")
    return out


def render(grid: Grid, fmt: str = "rich", digits: int = 3, scale: float = 1.0):
    """A rich Table (fmt 'rich') or the text of the table in markdown, LaTeX or CSV."""
    if fmt not in FORMATS:
        raise BenchError(f"table format '{fmt}' (known: {', '.join(FORMATS)})")
    if not isinstance(digits, int) or not 0 <= digits <= MAX_DIGITS:
        raise BenchError(f"--digits {digits}: give a number of decimals from 0 to {MAX_DIGITS}")

    def cell(r: str, c: str) -> str:
        v = grid.cells.get((r, c))
        if v is None:
            return "–" if (r, c) in grid.cells else ""
        return f"{v * scale:.{digits}f}" if isinstance(v, float) else str(v)

    header = [f"{grid.row_key} \\ {grid.col_key}"] + grid.cols
    body = [[r] + [cell(r, c) for c in grid.cols] for r in grid.rows]
    if fmt == "rich":
        from rich.table import Table

        table = Table(*header)
        for row in body:
            table.add_row(*row)
        return table
    if fmt == "csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header] + body)
        return buf.getvalue()
    from tabulate import tabulate

    return tabulate(body, headers=header, tablefmt="github" if fmt == "markdown" else "latex_booktabs",
                    disable_numparse=True)
