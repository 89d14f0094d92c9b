"""The accumulated per-image counts of a split, stacked into arrays; JSON-able and mergeable."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .counting import ImageCounts
from .pixel_histogram import BINS

_SCALARS = ("score", "label", "localized", "edited_area", "pixel_auc", "f1_oracle")


@dataclass
class Records:
    """Per-image counts in lists (cheap appends); `stack` pads the ragged confusion rows."""
    image_ids: list[str] = field(default_factory=list)
    meta: list[dict] = field(default_factory=list)
    conf: list[np.ndarray] = field(default_factory=list)
    conf_inv: list[np.ndarray] = field(default_factory=list)
    boundary: list[np.ndarray] = field(default_factory=list)
    scalars: list[tuple[float, ...]] = field(default_factory=list)
    histogram: np.ndarray = field(default_factory=lambda: np.zeros((2, BINS), np.int64))

    def append(self, image_id: str, counts: ImageCounts, meta: dict) -> None:
        self.image_ids.append(image_id)
        self.meta.append(dict(meta))
        self.conf.append(counts.conf.astype(np.int64))
        if counts.conf_inv is not None:
            self.conf_inv.append(counts.conf_inv.astype(np.int64))
        self.boundary.append(counts.boundary)
        self.scalars.append(tuple(getattr(counts, k) for k in _SCALARS))
        if counts.histogram is not None:
            self.histogram += counts.histogram

    def extend(self, other: "Records") -> None:
        self.image_ids += other.image_ids
        self.meta += other.meta
        self.conf += other.conf
        self.conf_inv += other.conf_inv
        self.boundary += other.boundary
        self.scalars += other.scalars
        self.histogram += other.histogram

    def __len__(self) -> int:
        return len(self.image_ids)

    def stack(self, min_rows: int) -> "Stacked":
        rows = max([min_rows] + [c.shape[0] for c in self.conf])
        n = len(self)
        scal = np.array(self.scalars, np.float64).reshape(n, len(_SCALARS))
        ids = np.array(self.image_ids, dtype=object)
        return Stacked(
            image_ids=list(self.image_ids), id_rank=np.argsort(np.argsort(ids, kind="stable"), kind="stable"),
            meta=self.meta, conf=_pad_rows(self.conf, rows),
            conf_inv=_pad_rows(self.conf_inv, rows) if self.conf_inv else None,
            boundary=np.stack(self.boundary) if n else np.zeros((0, 0, 4), np.int64),
            histogram=self.histogram, **{k: scal[:, i] for i, k in enumerate(_SCALARS)})

    def state_dict(self) -> dict:
        return {"image_ids": self.image_ids, "meta": self.meta,
                "conf": [c.tolist() for c in self.conf], "conf_inv": [c.tolist() for c in self.conf_inv],
                "boundary": [b.tolist() for b in self.boundary],
                "scalars": [[None if np.isnan(v) else v for v in s] for s in self.scalars],
                "histogram": {"edited_bins": _sparse(self.histogram[1]), "unedited_bins": _sparse(self.histogram[0])}}

    @classmethod
    def from_state_dict(cls, state: dict) -> "Records":
        hist = np.zeros((2, BINS), np.int64)
        for row, key in ((0, "unedited_bins"), (1, "edited_bins")):
            for b, v in state["histogram"][key]:
                hist[row, b] = v
        return cls(image_ids=list(state["image_ids"]), meta=[dict(m) for m in state["meta"]],
                   conf=[np.array(c, np.int64) for c in state["conf"]],
                   conf_inv=[np.array(c, np.int64) for c in state["conf_inv"]],
                   boundary=[np.array(b, np.int64).reshape(-1, 4) for b in state["boundary"]],
                   scalars=[tuple(np.nan if v is None else float(v) for v in s) for s in state["scalars"]],
                   histogram=hist)


@dataclass
class Stacked:
    image_ids: list[str]
    id_rank: np.ndarray        # (N,) each image's position in sorted-id order (DOLOS's balanced AP draws from it)
    meta: list[dict]
    conf: np.ndarray           # (N, R, P)
    conf_inv: np.ndarray | None
    boundary: np.ndarray       # (N, C, 4)
    histogram: np.ndarray      # (2, BINS) pooled over the split
    score: np.ndarray
    label: np.ndarray
    localized: np.ndarray      # 1 where the GT has per-pixel truth; 0: detection only
    edited_area: np.ndarray
    pixel_auc: np.ndarray
    f1_oracle: np.ndarray


def _pad_rows(mats: list[np.ndarray], rows: int) -> np.ndarray:
    if not mats:
        return np.zeros((0, rows, 1), np.int64)
    out = np.zeros((len(mats), rows, mats[0].shape[1]), np.int64)
    for i, m in enumerate(mats):
        out[i, : m.shape[0]] = m
    return out


def _sparse(row: np.ndarray) -> list[list[int]]:
    nz = np.flatnonzero(row)
    return [[int(b), int(row[b])] for b in nz]
