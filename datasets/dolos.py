"""DOLOS / WFake (WACV 2024): folders `{source}/real/{split}`, `{source}/fake/p2/{split}` (fully
generated) and `{source}/fake/{generator}/{images,masks}/{split}` (inpainted, masks inverted: 255 =
real pixel, anything else in channel 0 = fake). The directory is the split (train, valid, test).

Mask value k = generator k of `GENERATORS` (the subset folder names). A p2 image is synthesised
whole and has no real counterpart, so its mask is all ignore (255) with label 1 and
`meta["mask"] = "none"`: marking every pixel as edited would flood the pixel metrics with trivially
"localised" images, while ignore keeps the image label and leaves pixel losses/metrics untouched.
Real images have an all-0 mask. Setups A and B train with image labels only, so their fake masks
are withheld the same way (`meta["mask"] = "withheld"`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from benchmark.errors import BenchError, DataError
from benchmark.registry import DATASETS
from benchmark.tasks import IGNORE

from .base import BaseAdapter, flag, names, text
from .imageio import decode_image, decode_inverted_mask, image_encoding, image_shape
from .sample import Sample, Target
from .stores import read_file

SOURCES = ("celebahq", "ffhq")
FULL = "p2"
LOCAL = ("repaint-p2", "repaint-p2-9k", "ldm", "lama", "pluralistic")
GENERATORS = (FULL,) + LOCAL
# The cross-generator study trains on one inpainter (or all but one); repaint-p2-9k is a smaller
# training set of repaint-p2, not another generator, so it is not in that rotation.
CROSS = ("repaint-p2", "ldm", "lama", "pluralistic")
# Canonical split -> the folder DOLOS names it by.
FOLDERS = {"train": "train", "val": "valid", "test": "test"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def setups() -> dict[str, dict]:
    """Named training setups: A, B, C of the paper, `only-{g}` and `all-but-{g}` for g in CROSS."""
    named = {
        "A": {"fakes": (FULL,), "reals": True, "masks": False},
        "B": {"fakes": ("repaint-p2-9k",), "reals": True, "masks": False},
        "C": {"fakes": ("repaint-p2",), "reals": False, "masks": True},
    }
    for g in CROSS:
        named[f"only-{g}"] = {"fakes": (g,), "reals": False, "masks": True}
        named[f"all-but-{g}"] = {"fakes": tuple(x for x in CROSS if x != g), "reals": False, "masks": True}
    return named


@dataclass(frozen=True)
class Record:
    image_id: str
    image: Path
    mask: Path | None
    generator: int  # 0 for real images
    source: str
    subset: str


@DATASETS.register_module(name="dolos")
class Dolos(BaseAdapter):
    """`setup` picks a named subset (see `setups()`); otherwise `fakes` (generator folders, default
    all), `reals` and `masks` (False withholds fake masks) select directly; `sources` picks
    celebahq and/or ffhq (default: those present)."""

    name = "dolos"
    default_generators = GENERATORS
    layout = "celebahq/ or ffhq/ with real/{split} and fake/..."
    options = {**BaseAdapter.options, "setup": text, "fakes": names, "reals": flag, "masks": flag,
               "sources": names}

    def __init__(self, root, split="train", generators=None, strict=True, *, setup: str | None = None,
                 fakes: Sequence[str] | None = None, reals: bool | None = None, masks: bool | None = None,
                 sources: Sequence[str] | None = None):
        named = setups()
        if setup is not None and setup not in named:
            raise BenchError(f"unknown DOLOS setup '{setup}' (known: {', '.join(named)})")
        chosen = named.get(setup, {"fakes": GENERATORS, "reals": True, "masks": True})
        self.fakes = tuple([fakes] if isinstance(fakes, str) else fakes or chosen["fakes"])
        unknown = [f for f in self.fakes if f not in GENERATORS]
        if unknown:
            raise BenchError(f"unknown DOLOS generator '{unknown[0]}' (known: {', '.join(GENERATORS)})")
        self.reals = chosen["reals"] if reals is None else reals
        self.use_masks = chosen["masks"] if masks is None else masks
        self.sources = [sources] if isinstance(sources, str) else sources
        super().__init__(root, split, generators, strict)

    @staticmethod
    def source_dirs(root: str | Path) -> dict[str, Path]:
        """Source name -> folder: `root/celebahq`, `root/ffhq`, or `root` itself if it is one."""
        root = Path(root)
        if (root / "real").is_dir() or (root / "fake").is_dir():
            return {root.name.lower(): root}
        return {s: root / s for s in SOURCES if (root / s).is_dir()}

    @classmethod
    def splits(cls, root) -> list[str]:
        found = set()
        for src in cls.source_dirs(root).values():
            for parent in [src / "real", src / "fake" / FULL] + [src / "fake" / g / "images" for g in LOCAL]:
                found.update(s for s, folder in FOLDERS.items() if (parent / folder).is_dir())
        return [s for s in FOLDERS if s in found]

    def index(self):
        dirs = self.source_dirs(self.root)
        if not dirs:
            raise DataError(str(self.root), "no DOLOS layout here (expected celebahq/ or ffhq/ with real/ and fake/)")
        records: list[Record] = []
        problems: list[DataError] = []
        self.folder = FOLDERS[self.split]
        for source, src in dirs.items():
            if self.sources and source not in self.sources:
                continue
            if self.reals:
                records += self._plain(src / "real" / self.folder, source, "real", 0)
            for fake in self.fakes:
                if fake not in self.generators:
                    problems.append(DataError(str(src / "fake" / fake), f"generator {fake} is not in the "
                                                                        f"generator list ({', '.join(self.generators)})"))
                    continue
                k = self.generators.index(fake) + 1
                if fake == FULL:
                    records += self._plain(src / "fake" / FULL / self.folder, source, fake, k)
                else:
                    records += self._paired(src / "fake" / fake, source, fake, k, problems)
        return records, problems

    def _plain(self, folder: Path, source: str, subset: str, k: int) -> list[Record]:
        return [Record(f"{source}/{subset}/{p.stem}", p, None, k, source, subset) for p in _images(folder)]

    def _paired(self, folder: Path, source: str, subset: str, k: int, problems: list) -> list[Record]:
        images = {p.name: p for p in _images(folder / "images" / self.folder)}
        masks = {p.name: p for p in _images(folder / "masks" / self.folder)}
        problems += [DataError(str(masks[n]), "mask has no image of the same name") for n in sorted(masks.keys() - images.keys())]
        records = []
        for name, image in sorted(images.items()):
            if name not in masks:
                problems.append(DataError(str(image), f"image has no mask {folder / 'masks' / self.folder / name}"))
            else:
                records.append(Record(f"{source}/{subset}/{image.stem}", image, masks[name], k, source, subset))
        return records

    def record_file(self, record: Record) -> str:
        return str(record.image)

    def origin(self, record: Record) -> tuple[str, bool] | None:
        """An inpainted face and the real face of the same source and file name are one face (the
        layout names an image's mask by the image's file name the same way); a fully generated
        face has no original."""
        if record.subset == FULL:
            return None
        return f"{record.source}/{record.image.stem}", record.generator == 0

    def load_target(self, record: Record, data: bytes | None = None) -> Target:
        """Real images and fakes without a usable mask need only the image's size (its header)."""
        meta = {"source": record.source, "subset": record.subset, "file": str(record.image)}
        if record.generator and record.mask is not None and self.use_masks:
            fake = decode_inverted_mask(read_file(record.mask), str(record.mask))
            return self.make_target(record.image_id, fake.astype(np.uint8) * np.uint8(record.generator),
                                    str(record.mask), dict(meta, mask="source"), label=1)
        shape = image_shape(read_file(record.image) if data is None else data, str(record.image))
        if record.generator == 0:
            return self.make_target(record.image_id, np.zeros(shape, np.uint8), str(record.image),
                                    dict(meta, mask="real"), label=0)
        meta["mask"] = "none" if record.mask is None else "withheld"
        return self.make_target(record.image_id, np.full(shape, IGNORE, np.uint8),
                                str(record.mask or record.image), meta, label=1, generator=record.generator)

    def load(self, record: Record) -> Sample:
        data = read_file(record.image)
        target = self.load_target(record, data)
        return self.make_sample(target, decode_image(data, str(record.image)), str(record.mask or record.image),
                                encoding=image_encoding(data))


def _images(folder: Path) -> list[Path]:
    """Image files of one split folder, sorted (the reference code's `os.listdir` order is arbitrary)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)

