"""Base class of the dataset adapters: an index of records plus loaders of a record's target
(the truth, without decoding the image) and of the whole sample."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, Sequence

import numpy as np

from benchmark.errors import BenchError, DataError

from .ids import id_problem
from .sample import Sample, Target, generator_ids

SPLITS = ("train", "val", "test")
# Names the datasets themselves use (DOLOS `valid`, DiffSeg30k `validation`) and common spellings.
SPLIT_ALIASES = {"valid": "val", "validation": "val", "dev": "val", "training": "train", "testing": "test"}


def canonical_split(name: str) -> str:
    low = str(name).strip().lower()
    return SPLIT_ALIASES.get(low, low)


# -- option parsers: values arrive as text from the command line or as Python values from code ----
def text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        raise ValueError("expected one value, not a list")
    return str(value)


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    low = str(value).strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def names(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    out = [str(v).strip() for v in items if str(v).strip()]
    if not out:
        raise ValueError("expected one or more comma-separated names")
    return out


def numbers(value: Any) -> list[float]:
    return [float(v) for v in names(value)]


class BaseAdapter:
    """Subclasses set `name`, declare their keyword `options` (name -> parser) and implement
    `splits`, `index` and `load` (and `load_target` where the target can be read without
    decoding the image).

    Splits are always named `train`, `val`, `test` (`SPLIT_ALIASES` are accepted too); a split the
    data does not hold is an error listing those it does. `index` returns the records of the split
    and the problems found while pairing files; with `strict` the first problem is raised at once,
    otherwise problems are kept for `bench data check` to list them all.
    """

    name: ClassVar[str] = ""
    default_generators: ClassVar[tuple[str, ...]] = ()
    layout: ClassVar[str] = ""  # what the root should hold, for the message when it holds nothing
    # `generators` renames the generator map; `editors` keeps the images edited by these only
    # (`editors.py`), `unpaired` one image per original (`pairs.py`); both applied by `DatasetSpec.build`.
    options: ClassVar[dict[str, Callable[[Any], Any]]] = {"generators": names, "editors": names, "unpaired": int}
    # Notes for `bench data check` that are not errors (e.g. files no metadata row refers to).
    warnings: list[str]
    # False where the spec trains on image labels alone (DOLOS setups A and B withhold the fake
    # masks): `bench train` then gives models with supervision="auto" weak supervision.
    use_masks: bool = True

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 generators: Sequence[str] | None = None, strict: bool = True):
        self.root = Path(root)
        if not self.root.exists():
            raise DataError(str(self.root), "dataset root does not exist")
        self.split = canonical_split(split)
        found = self.splits(self.root)
        if not found:
            raise DataError(str(self.root), f"no {self.name} data here (expected {self.layout})")
        if self.split not in found:
            raise DataError(str(self.root), f"no split '{split}' in this {self.name} data (splits found: "
                                            f"{', '.join(found)}; 'valid' and 'validation' mean 'val')")
        self.warnings = []
        self.generators: list[str] = list(generators) if generators else self.find_generators()
        records, self.problems = self.index()
        self.records = self._with_valid_ids(records)
        if strict and self.problems:
            raise self.problems[0]

    # -- to implement -------------------------------------------------------------------
    @classmethod
    def splits(cls, root: str | os.PathLike) -> list[str]:
        """The canonical splits present at `root`, in train, val, test order."""
        raise NotImplementedError

    def index(self) -> tuple[list[Any], list[DataError]]:
        raise NotImplementedError

    def load(self, record: Any) -> Sample:
        raise NotImplementedError

    def load_target(self, record: Any) -> Target:
        """The record's truth. Scoring needs no pixels of the image: adapters override this to
        skip decoding it."""
        return self.load(record).target

    def find_generators(self) -> list[str]:
        return list(self.default_generators)

    def record_file(self, record: Any) -> str:
        """The file a record comes from, for messages."""
        return str(self.root)

    def origin(self, record: Any) -> tuple[str, bool] | None:
        """(the original image this record shows or was edited from, whether it is that original);
        None where the dataset pairs no images. Edits of one original share its key."""
        return None

    # -- shared -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> Sample:
        return self.load(self.records[i])

    def __iter__(self) -> Iterator[Sample]:
        return (self.load(r) for r in self.records)

    def targets(self) -> Iterator[Target]:
        return (self.load_target(r) for r in self.records)

    @property
    def ids(self) -> list[str]:
        return [r.image_id for r in self.records]

    @property
    def num_classes(self) -> int:
        """Classes of the semantic task: unedited plus one per generator."""
        return len(self.generators) + 1

    @classmethod
    def parse_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """Declared options parsed to their types; an unknown or malformed one is a BenchError."""
        out = {}
        for key, value in options.items():
            if key not in cls.options:
                raise BenchError(f"{cls.name} has no option '{key}' (options: {', '.join(sorted(cls.options))})")
            try:
                out[key] = cls.options[key](value)
            except (TypeError, ValueError) as exc:
                raise BenchError(f"{cls.name} option {key}={value!r}: {exc}") from None
        return out

    def _with_valid_ids(self, records: list) -> list:
        """Records whose id follows the grammar, once each; the others become problems."""
        kept, seen = [], {}
        for record in records:
            problem = id_problem(record.image_id)
            if problem is None and record.image_id.lower() in seen:
                problem = f"image id '{record.image_id}' repeats (also {seen[record.image_id.lower()]})"
            if problem:
                self.problems.append(DataError(self.record_file(record), problem))
                continue
            seen[record.image_id.lower()] = self.record_file(record)
            kept.append(record)
        return kept

    def check_labels(self, mask: np.ndarray, mask_file: str) -> tuple[int, ...]:
        """Return the generator ids present in `mask`; raise if one is outside the generator map."""
        ids = generator_ids(mask)
        if ids and ids[-1] > len(self.generators):
            bad = [i for i in ids if i > len(self.generators)]
            raise DataError(mask_file, f"label id {bad[0]} is outside the generator map "
                                       f"(1..{len(self.generators)}: {', '.join(self.generators)})")
        return ids

    def make_target(self, image_id: str, mask: np.ndarray, mask_file: str, meta: dict | None = None,
                    label: int | None = None, generator: int | None = None) -> Target:
        """Validate a label map against the generator map and wrap it with the image's truth.

        `label` is the dataset's own image label; None (DiffSeg30k, whose only truth is the mask)
        takes it from the mask. `generator` is the generator behind an edited image whose mask
        names none (fully synthesised, edited without a known region, or an empty edit region).
        """
        ids = self.check_labels(mask, mask_file)
        label = int(bool(ids)) if label is None else int(label)
        if label and not ids and generator:
            ids = (int(generator),)
        return Target(image_id=image_id, mask=mask, label=label, generators=ids, meta=dict(meta or {}))

    @staticmethod
    def check_size(mask_shape: tuple[int, ...], image_shape: tuple[int, ...], mask_file: str) -> None:
        if tuple(mask_shape[:2]) != tuple(image_shape[:2]):
            raise DataError(mask_file, f"mask is {mask_shape[1]}x{mask_shape[0]} but its image is "
                                       f"{image_shape[1]}x{image_shape[0]}")

    def make_sample(self, target: Target, image: np.ndarray, mask_file: str, **meta) -> Sample:
        """The target with its decoded image (sizes checked); `meta` adds image-only fields."""
        self.check_size(target.mask.shape, image.shape, mask_file)
        return Sample(image_id=target.image_id, mask=target.mask, label=target.label,
                      generators=target.generators, meta={**target.meta, **meta}, image=image,
                      image_meta=tuple(k for k in meta if k not in target.meta))
