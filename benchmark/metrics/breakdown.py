"""Groups of images for breakdown tables: edit turns, mask-area bins, any meta field."""
from __future__ import annotations

import numpy as np

AREA_EDGES = (0.0, 0.01, 0.05, 0.10, 0.25, 0.50, 1.0)  # fixed bins, comparable across splits
AREA_QUANTILES = 5                                    # Semi-Truths: quintiles of the edited area


def area_bin_labels(areas: np.ndarray, labels: np.ndarray) -> list[str | None]:
    """Fixed bins of the edited share; authentic images form their own group."""
    names = [f"{lo:.0%}-{hi:.0%}" for lo, hi in zip(AREA_EDGES[:-1], AREA_EDGES[1:])]
    idx = np.clip(np.searchsorted(AREA_EDGES, areas, side="right") - 1, 0, len(names) - 1)
    return [None if np.isnan(a) else ("authentic" if lab == 0 else names[i]) for a, lab, i in zip(areas, labels, idx)]


def area_quantile_labels(areas: np.ndarray, labels: np.ndarray) -> list[str | None]:
    """Quantile bins over the edited images only (authentic images have no area to rank)."""
    out: list[str | None] = [None] * len(areas)
    edited = np.flatnonzero((labels == 1) & ~np.isnan(areas))
    if edited.size == 0:
        return out
    a = areas[edited]
    edges = np.unique(np.quantile(a, np.linspace(0, 1, AREA_QUANTILES + 1)))
    if edges.size < 2:  # every edited image has the same area: one bin
        edges = np.array([edges[0], edges[0]])
    codes = np.clip(np.searchsorted(edges, a, side="left") - 1, 0, edges.size - 2)
    for i, code in zip(edited, codes):
        out[i] = f"Q{code + 1} ({edges[code]:.3f}-{edges[code + 1]:.3f}]"
    return out


def group_masks(columns: dict[str, list], keys: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """key -> value -> boolean mask over images; images without the key are left out of that table."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key in keys:
        values = columns.get(key)
        if values is None:
            continue
        groups: dict[str, np.ndarray] = {}
        for name in sorted({str(v) for v in values if v is not None}, key=_natural):
            groups[name] = np.array([v is not None and str(v) == name for v in values])
        if groups:
            out[key] = groups
    return out


def _natural(s: str) -> tuple:
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s)
