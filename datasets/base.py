"""Base class of the dataset adapters: an index of records plus a loader per record."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np

from benchmark.errors import DataError

from .sample import IGNORE_INDEX, Sample, generator_ids


class BaseAdapter:
    """Subclasses set `name` and implement `splits`, `index` and `load`.

    `index` returns the records of the split and the problems found while pairing files
    (missing partner, unknown names); with `strict` the first problem is raised at once,
    otherwise problems are kept for `bench data check` to list them all.
    """

    name: ClassVar[str] = ""
    default_generators: ClassVar[tuple[str, ...]] = ()
    # Notes for `bench data check` that are not errors (e.g. files no metadata row refers to).
    warnings: list[str]

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 generators: Sequence[str] | None = None, strict: bool = True):
        self.root = Path(root)
        if not self.root.exists():
            raise DataError(str(self.root), "dataset root does not exist")
        self.split = split
        self.warnings = []
        self.generators: list[str] = list(generators) if generators else self.find_generators()
        self.records, self.problems = self.index()
        if strict and self.problems:
            raise self.problems[0]

    # -- to implement -------------------------------------------------------------------
    @classmethod
    def splits(cls, root: str | os.PathLike) -> list[str]:
        raise NotImplementedError

    def index(self) -> tuple[list[Any], list[DataError]]:
        raise NotImplementedError

    def load(self, record: Any) -> Sample:
        raise NotImplementedError

    def find_generators(self) -> list[str]:
        return list(self.default_generators)

    def load_mask(self, record: Any) -> tuple[np.ndarray, dict]:
        """The label mask and meta of a record. Scoring needs no pixels of the image: adapters
        that store masks apart override this to skip decoding the image."""
        sample = self.load(record)
        return sample.mask, sample.meta

    # -- shared -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> Sample:
        return self.load(self.records[i])

    def __iter__(self) -> Iterator[Sample]:
        return (self.load(r) for r in self.records)

    @property
    def ids(self) -> list[str]:
        return [r.image_id for r in self.records]

    @property
    def num_classes(self) -> int:
        """Classes of the semantic task: unedited plus one per generator."""
        return len(self.generators) + 1

    def check_labels(self, mask: np.ndarray, mask_file: str) -> tuple[int, ...]:
        """Return the generator ids present in `mask`; raise if one is outside the generator map."""
        ids = generator_ids(mask)
        if ids and ids[-1] > len(self.generators):
            bad = [i for i in ids if i > len(self.generators)]
            raise DataError(mask_file, f"label id {bad[0]} is outside the generator map "
                                       f"(1..{len(self.generators)}: {', '.join(self.generators)})")
        return ids

    def make_sample(self, image_id: str, image: np.ndarray, mask: np.ndarray, mask_file: str,
                    meta: dict | None = None, unmasked_generator: int | None = None) -> Sample:
        """Validate a decoded pair against the generator map and wrap it as a Sample.

        `unmasked_generator` is the generator behind an image whose mask carries no per-pixel
        information (fully synthesised, or edited without a known region: mask all ignore); the
        label and generators then come from it instead of the mask.
        """
        if mask.shape != image.shape[:2]:
            raise DataError(mask_file, f"mask is {mask.shape[1]}x{mask.shape[0]} but its image is "
                                       f"{image.shape[1]}x{image.shape[0]}")
        ids = self.check_labels(mask, mask_file)
        if unmasked_generator is not None:
            ids = (unmasked_generator,)
        return Sample(image_id=image_id, image=image, mask=mask, label=int(bool(ids)),
                      generators=ids, meta=dict(meta or {}))
