"""COCO-Glide (TruFor's test set): `fake/glide_inpainting_val2017_{cocoid}_up.png`,
`mask/{category}_{cocoid}_mask.png` (1 or 255 = forged), `real/{category}_{cocoid}.png`, paired on
the COCO id; category names may contain spaces. One split, `test`; one generator, Glide.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.errors import DataError
from benchmark.registry import DATASETS

from .base import BaseAdapter
from .imageio import decode_binary_mask, decode_image, image_encoding, image_shape
from .sample import Sample, Target
from .stores import read_file

FAKE_RE = re.compile(r"^glide_inpainting_val2017_(?P<id>\d+)_up$")
MASK_RE = re.compile(r"^(?P<category>.+)_(?P<id>\d+)_mask$")
REAL_RE = re.compile(r"^(?P<category>.+)_(?P<id>\d+)$")


@dataclass(frozen=True)
class Record:
    image_id: str
    image: Path
    mask: Path | None  # None for real images
    category: str
    coco_id: str


@DATASETS.register_module(name="cocoglide")
class CocoGlide(BaseAdapter):
    name = "cocoglide"
    default_generators = ("glide",)
    layout = "CocoGlide/ with fake/, mask/ and real/"

    @staticmethod
    def base(root: str | Path) -> Path:
        root = Path(root)
        return root / "CocoGlide" if (root / "CocoGlide").is_dir() else root

    @classmethod
    def splits(cls, root) -> list[str]:
        return ["test"] if (cls.base(root) / "fake").is_dir() else []

    def index(self):
        base = self.base(self.root)
        fakes, problems = _by_id(base / "fake", FAKE_RE)
        masks, more = _by_id(base / "mask", MASK_RE)
        reals, most = _by_id(base / "real", REAL_RE)
        problems += more + most
        records = []
        for coco_id, (image, _) in sorted(fakes.items()):
            if coco_id not in masks:
                problems.append(DataError(str(image), f"no mask/*_{coco_id}_mask.png for this fake"))
                continue
            mask, category = masks[coco_id]
            records.append(Record(f"fake/{coco_id}", image, mask, category, coco_id))
        problems += [DataError(str(m), "mask has no fake image") for i, (m, _) in sorted(masks.items()) if i not in fakes]
        records += [Record(f"real/{i}", p, None, c, i) for i, (p, c) in sorted(reals.items())]
        return records, problems

    def record_file(self, record: Record) -> str:
        return str(record.image)

    def origin(self, record: Record) -> tuple[str, bool]:
        """A fake is GLIDE's inpainting of the real image with the same COCO id."""
        return record.coco_id, record.mask is None

    def load_target(self, record: Record, data: bytes | None = None) -> Target:
        meta = {"category": record.category, "coco_id": record.coco_id}
        if record.mask is None:
            shape = image_shape(read_file(record.image) if data is None else data, str(record.image))
            return self.make_target(record.image_id, np.zeros(shape, np.uint8), str(record.image), meta, label=0)
        forged = decode_binary_mask(read_file(record.mask), str(record.mask), zero_one=True)
        return self.make_target(record.image_id, forged.astype(np.uint8), str(record.mask), meta, label=1, generator=1)

    def load(self, record: Record) -> Sample:
        data = read_file(record.image)
        target = self.load_target(record, data)
        return self.make_sample(target, decode_image(data, str(record.image)), str(record.mask or record.image),
                                encoding=image_encoding(data))


def _by_id(folder: Path, pattern: re.Pattern) -> tuple[dict[str, tuple[Path, str]], list[DataError]]:
    """COCO id -> (file, category) of the PNGs in `folder`; unexpected names are problems."""
    found, problems = {}, []
    for path in sorted(folder.glob("*.png")) if folder.is_dir() else []:
        m = pattern.match(path.stem)
        if m is None:
            problems.append(DataError(str(path), f"file name does not match {pattern.pattern}"))
        elif m["id"] in found:
            problems.append(DataError(str(path), f"second file for COCO id {m['id']} (first: {found[m['id']][0]})"))
        else:
            found[m["id"]] = (path, m.groupdict().get("category") or "")
    return found, problems
