"""The unified sample every adapter yields (see the dataset spec), and its target: the same truth
without the image, which scoring, detection metrics and editor filters read."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmark.tasks import IGNORE


@dataclass
class Target:
    """The dataset's truth about one image: what every consumer reads, never re-derived from pixels.

    `mask` is a uint8 label map: 0 untouched, k >= 1 last edited by generator k of the dataset's
    generator list (1-based), 255 ignore. `label` is the image-level truth (0 real, 1 edited or
    fake) as the dataset states it; it is not recomputed from the mask, because fully generated
    images and edits without a known region carry an all-ignore mask. `generators` lists the ids
    present in the mask, or the generator that made an image without a usable mask.
    """

    image_id: str
    mask: np.ndarray
    label: int
    generators: tuple[int, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def localized(self) -> bool:
        """Whether the mask says anything per pixel; images without it count for detection only."""
        return bool((self.mask != IGNORE).any())

    @property
    def edited_fraction(self) -> float:
        valid = self.mask != IGNORE
        return float(((self.mask > 0) & valid).sum() / max(int(valid.sum()), 1))


@dataclass
class Sample(Target):
    """A target plus its decoded image (uint8 RGB, H×W×3, native resolution). `image_meta` names
    the meta fields read from the image file (e.g. its encoding), which the target leaves out."""

    image: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    image_meta: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.image is None or self.image.dtype != np.uint8 or self.image.ndim != 3 or self.image.shape[2] != 3:
            shape = None if self.image is None else (self.image.dtype, self.image.shape)
            raise ValueError(f"{self.image_id}: image must be uint8 HxWx3, got {shape}")
        if self.mask.dtype != np.uint8 or self.mask.shape != self.image.shape[:2]:
            raise ValueError(f"{self.image_id}: mask must be uint8 {self.image.shape[:2]}, got {self.mask.dtype} {self.mask.shape}")

    @property
    def target(self) -> Target:
        """The truth as `load_target` gives it, from the one decoding of the mask."""
        meta = {k: v for k, v in self.meta.items() if k not in self.image_meta}
        return Target(self.image_id, self.mask, self.label, self.generators, meta)


def generator_ids(mask: np.ndarray) -> tuple[int, ...]:
    """Generator ids present in a label mask (0 and the ignore index excluded)."""
    counts = np.bincount(mask.ravel(), minlength=256)
    counts[0] = counts[IGNORE] = 0
    return tuple(int(i) for i in np.flatnonzero(counts))
