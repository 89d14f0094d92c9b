"""The unified sample every adapter yields (see the dataset spec)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

IGNORE_INDEX = 255


@dataclass
class Sample:
    """One image with its per-pixel generator-label mask.

    `mask` is a uint8 label map: 0 untouched, k >= 1 last edited by generator k of the dataset's
    generator list (1-based), 255 ignore. `generators` lists the ids present in the mask, or, for
    fully generated images without a mask, the generator that made the image.
    """

    image_id: str
    image: np.ndarray
    mask: np.ndarray
    label: int
    generators: tuple[int, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.image.dtype != np.uint8 or self.image.ndim != 3 or self.image.shape[2] != 3:
            raise ValueError(f"{self.image_id}: image must be uint8 HxWx3, got {self.image.dtype} {self.image.shape}")
        if self.mask.dtype != np.uint8 or self.mask.shape != self.image.shape[:2]:
            raise ValueError(f"{self.image_id}: mask must be uint8 {self.image.shape[:2]}, got {self.mask.dtype} {self.mask.shape}")

    @property
    def edited_fraction(self) -> float:
        valid = self.mask != IGNORE_INDEX
        return float(((self.mask > 0) & valid).sum() / max(int(valid.sum()), 1))


def generator_ids(mask: np.ndarray) -> tuple[int, ...]:
    """Generator ids present in a label mask (0 and the ignore index excluded)."""
    counts = np.bincount(mask.ravel(), minlength=256)
    counts[0] = counts[IGNORE_INDEX] = 0
    return tuple(int(i) for i in np.flatnonzero(counts))
