"""Figures from result files and per-image CSVs (matplotlib, Agg): robustness curves, the
generator confusion matrix, and per-image scores against the edited area."""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .errors import BenchError
from .outputs import new_file
from .results import field, label


def _figure(ncols: int = 1, width: float = 5.0, height: float = 4.0):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, list(axes[0])


def _save(fig, out: str | os.PathLike) -> Path:
    import matplotlib.pyplot as plt

    out = new_file(out)
    fig.tight_layout()
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out


def _metric(result: Mapping, metric: str, where: str) -> float:
    value = result.get("metrics", {}).get(metric)
    if metric not in result.get("metrics", {}):
        raise BenchError(f"{where}: no metric '{metric}'")
    return float("nan") if value is None else float(value)


# -- robustness -------------------------------------------------------------------------------
def robustness_curves(results: Sequence[Mapping], metric: str, by: str = "method",
                      paths: Sequence[str] | None = None) -> dict:
    """{group: {"clean": value | None, family: [(severity, value), ...] sorted}} from results whose
    `distortion` is clean or a one-step spec; chains are skipped (they have no severity axis)."""
    from .distortions import severity

    paths = paths or [f"result {i + 1}" for i in range(len(results))]
    curves: dict = defaultdict(lambda: defaultdict(list))
    for result, path in zip(results, paths):
        family, param = severity(result.get("distortion"))
        group = label(field(result, by))
        value = _metric(result, metric, path)
        if family == "clean":
            curves[group]["clean"] = value
        elif param is not None:
            curves[group][family].append((param, value))
    return {g: {f: (sorted(v) if f != "clean" else v) for f, v in fams.items()} for g, fams in curves.items()}


def robustness_summary(curves: Mapping) -> list[dict]:
    """Per group and family: clean value, worst value, relative drop over the family's severities
    (`metrics.robustness.relative_drop`) and the normalised area under the curve (mean metric over
    the severity range, clean included where the family has an identity value such as jpeg100 or
    blur0)."""
    from .metrics.robustness import relative_drop
    from .registry import DISTORTIONS

    rows = []
    for group, fams in curves.items():
        clean = fams.get("clean")
        for family, points in fams.items():
            if family == "clean":
                continue
            identity = DISTORTIONS.get(family).identity
            pts = sorted(points + ([(identity, clean)] if clean is not None and identity is not None else []))
            x, y = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
            span = x[-1] - x[0] if len(x) > 1 else 0
            area = float(((y[1:] + y[:-1]) / 2 * np.diff(x)).sum() / span) if span > 0 else float(y.mean())
            worst = float(np.nanmin(y))
            rows.append({"group": group, "family": family, "clean": clean, "worst": worst,
                         "relative_drop": relative_drop(clean, [v for _, v in points]), "area": area})
    return rows


def plot_robustness(results: Sequence[Mapping], metric: str, out: str | os.PathLike, by: str = "method",
                    paths: Sequence[str] | None = None) -> tuple[Path, list[dict]]:
    from .registry import DISTORTIONS

    curves = robustness_curves(results, metric, by, paths)
    families = sorted({f for fams in curves.values() for f in fams if f != "clean"})
    if not families:
        raise BenchError("no distorted result (distortion such as jpeg60) among the inputs: nothing to plot")
    fig, axes = _figure(len(families))
    for ax, family in zip(axes, families):
        cls = DISTORTIONS.get(family)
        for i, (group, fams) in enumerate(sorted(curves.items())):
            colour = f"C{i % 10}"
            pts = list(fams.get(family, []))
            clean = fams.get("clean")
            if clean is not None and cls.identity is not None:
                pts = sorted(pts + [(cls.identity, clean)])
            elif clean is not None:
                ax.axhline(clean, color=colour, linestyle="--", linewidth=1)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=colour, label=group)
        if cls.stronger_when_lower:
            ax.invert_xaxis()  # severity grows to the right
        ax.set_xlabel(f"{family} parameter" + (" (dashed: clean)" if cls.identity is None else ""))
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} under {family}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", title=by)
    return _save(fig, out), robustness_summary(curves)


# -- attribution ------------------------------------------------------------------------------
def plot_confusion(result: Mapping, out: str | os.PathLike, where: str = "result") -> Path:
    """Row-normalised generator confusion matrix over GT-edited pixels (rows GT generator)."""
    conf = result.get("metrics", {}).get("generator_confusion")
    if not conf:
        raise BenchError(f"{where}: no generator_confusion in the metrics")
    counts = np.array(conf["counts"], float)
    share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    n_rows, n_cols = share.shape
    fig, (ax,) = _figure(1, width=max(4.5, 2.0 + 0.7 * n_cols), height=max(3.5, 1.8 + 0.6 * n_rows))
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n_cols), conf["cols"], rotation=45, ha="right")
    ax.set_yticks(range(n_rows), conf["rows"])
    for i in range(n_rows):
        for j in range(n_cols):
            ax.text(j, i, f"{share[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if share[i, j] > 0.6 else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("GT generator")
    ax.set_title(f"{label(result.get('method'))}\nshare of each GT generator's edited pixels", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _save(fig, out)


# -- area -------------------------------------------------------------------------------------
def plot_area(frame, metric: str, out: str | os.PathLike, title: str = "", bins: int = 10,
              where: str = "per-image table") -> Path:
    """Per-image `metric` against the edited share of the image (edited images only), with the
    mean per area decile. `where` names the table's file in messages."""
    missing = [c for c in ("edited_area", "label", metric) if c not in frame.columns]
    if missing:
        raise BenchError(f"{where}: lacks column(s) {', '.join(missing)} (write it with bench score --per-image)")
    edited = frame[(frame["label"] == 1) & frame[metric].notna()]
    if edited.empty:
        raise BenchError(f"{where}: no edited image with a {metric} value")
    area, value = edited["edited_area"].to_numpy(float), edited[metric].to_numpy(float)
    fig, (ax,) = _figure(1, width=6)
    ax.scatter(area, value, s=8, alpha=0.4, label="images")
    edges = np.unique(np.quantile(area, np.linspace(0, 1, min(bins, len(area)) + 1)))
    if len(edges) > 1:
        idx = np.clip(np.searchsorted(edges, area, side="right") - 1, 0, len(edges) - 2)
        centres = [area[idx == k].mean() for k in range(len(edges) - 1) if (idx == k).any()]
        means = [value[idx == k].mean() for k in range(len(edges) - 1) if (idx == k).any()]
        ax.plot(centres, means, "o-", color="C3", label="mean per area bin")
    ax.set_xscale("log" if area.min() > 0 and area.max() / area.min() > 50 else "linear")
    ax.set_xlabel("edited share of the image")
    ax.set_ylabel(metric)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title or f"{metric} vs edited area")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return _save(fig, out)


def plot_area_bins(result: Mapping, metric: str, out: str | os.PathLike, key: str = "area_bin",
                   where: str = "result") -> Path:
    """`metric` per edited-area group of a result's breakdown (when no per-image CSV is at hand)."""
    groups = result.get("breakdowns", {}).get(key)
    if not groups:
        raise BenchError(f"{where}: no '{key}' breakdown (score with --per-image for a scatter plot)")
    names = [g for g in groups if g != "authentic" and groups[g].get(metric) is not None]
    if not names:
        raise BenchError(f"{where}: the '{key}' breakdown has no {metric} values")
    fig, (ax,) = _figure(1, width=6)
    ax.bar(range(len(names)), [groups[g][metric] for g in names], color="C0")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_xlabel("edited share of the image")
    ax.set_ylabel(metric)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{label(result.get('method'))}: {metric} by edited area")
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, out)
