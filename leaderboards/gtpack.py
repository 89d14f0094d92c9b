"""A frozen ground-truth pack (written by `freeze.py`), read back:

    GT/gt.json          the track definition, dataset spec, split, generator map, split hash and,
                        per image in the adapter's order, its id, label, generator ids, meta, the
                        SHA-256 of its label map and, for a hidden track, its name in the bundle
    GT/masks/{id}.png   the label maps as the adapter gives them (0 untouched, k generator, 255 ignore)

`GTPack(GT).targets()` serves the same records and targets as the dataset's adapter, so the one
scorer gives the same result bytes from the pack as from the raw dataset.

A hidden track's header keeps the key of the bundle's opaque names (`"bundle": {"names":
"keyed", "key"}`) and each image's name: only the pack maps names back to ids. With a public/
private split it also keeps `"public": {"fraction", "seed", "n_public", "ids_sha256", "ids"}`: the
seed and the ids would tell a participant which images are hidden.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.datasets.ids import id_path, id_problem
from benchmark.datasets.imageio import decode_label_mask
from benchmark.datasets.sample import Target
from benchmark.datasets.spec import DatasetSpec
from benchmark.datasets.stores import read_file
from benchmark.errors import DataError

from .track import Track
from .values import ids_sha256

SCHEMA = "bench.gtpack/1"
HEADER = "gt.json"


@dataclass(frozen=True)
class PackRecord:
    image_id: str
    sha256: str
    label: int
    generators: tuple[int, ...]
    meta: dict = field(hash=False)
    name: str | None = None  # the image's name in a hidden track's bundle


class PackTargets:
    """The scorer's view of a dataset split (split, generators, records, ids, `load_target`),
    served from a GT pack; picklable, so that scoring workers read the masks themselves."""

    def __init__(self, root: Path, split: str, generators: list[str], records: list[PackRecord]):
        self.root, self.split, self.generators, self.records = root, split, generators, records

    @property
    def ids(self) -> list[str]:
        return [r.image_id for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def load_target(self, record: PackRecord) -> Target:
        from benchmark.hashing import sha256_hex

        path = id_path(self.root / "masks", record.image_id, ".png")
        data = read_file(path)
        if sha256_hex(data) != record.sha256:
            raise DataError(str(path), f"SHA-256 does not match {HEADER} (the pack changed after freezing)")
        return Target(record.image_id, decode_label_mask(data, str(path)), record.label, record.generators,
                      dict(record.meta))


class GTPack:
    """A frozen ground-truth pack, opened and checked (header fields, ids)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        header_path = self.path / HEADER
        if not header_path.is_file():
            raise DataError(str(self.path), f"not a GT pack (no {HEADER}; write one with bench leaderboard freeze)")
        try:
            header = json.loads(read_file(header_path))
        except ValueError as exc:
            raise DataError(str(header_path), f"not valid JSON ({exc})") from None
        if not isinstance(header, dict) or header.get("schema") != SCHEMA:
            raise DataError(str(header_path), f"not a GT pack header (expected schema {SCHEMA})")
        try:
            self.track = Track.from_json(header["track"])
            self.spec = DatasetSpec.of(header["dataset_spec"])
            self.split: str = header["split"]
            self.generators: list[str] = list(header["generators"])
            self.split_hash: str = header["split_manifest_hash"]
            records = [PackRecord(i["id"], i["mask_sha256"], int(i["label"]), tuple(int(g) for g in i["generators"]),
                                  dict(i["meta"]), i.get("name")) for i in header["images"]]
            self.bundle: dict = dict(header.get("bundle") or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(str(header_path), f"malformed GT pack header ({type(exc).__name__}: {exc})") from None
        bad = next((p for p in map(id_problem, (r.image_id for r in records)) if p), None)
        if bad:
            raise DataError(str(header_path), bad)
        self.records = records
        self.public_ids: list[str] | None = _public_ids(header, {r.image_id for r in records}, header_path)
        self.ids_by_name: dict[str, str] | None = None
        if self.bundle.get("names") == "keyed":
            self.ids_by_name = {r.name: r.image_id for r in records}
            if None in self.ids_by_name or len(self.ids_by_name) != len(records):
                raise DataError(str(header_path), "a keyed bundle needs one distinct name per image")

    def targets(self) -> PackTargets:
        return PackTargets(self.path, self.split, self.generators, self.records)


def _public_ids(header: dict, ids: set[str], where: Path) -> list[str] | None:
    """The pack's public ids, checked against their recorded hash and the split; None without a split."""
    public = header.get("public")
    if public is None:
        return None
    try:
        listed = [str(i) for i in public["ids"]]
        recorded = public["ids_sha256"]
    except (KeyError, TypeError) as exc:
        raise DataError(str(where), f"malformed public split ({type(exc).__name__}: {exc})") from None
    if ids_sha256(listed) != recorded:
        raise DataError(str(where), "the public ids do not match their recorded SHA-256 (the pack changed after freezing)")
    if not set(listed) < ids:
        raise DataError(str(where), "the public ids are not a proper subset of the split's ids")
    return sorted(listed)
