"""Frozen ground truth: `freeze` reads a track's split from the raw dataset once and writes

    GT/gt.json          the track definition, dataset spec, split, generator map, split hash and,
                        per image in the adapter's order, its id, label, generator ids, meta and
                        the SHA-256 of its label map
    GT/masks/{id}.png   the label maps as the adapter gives them (0 untouched, k generator, 255 ignore)

and the participant bundle (the split's images, clean and under each distortion of the track, as
`bench data export` writes them, without any ground truth). `GTPack(GT).targets()` serves the
same records and targets as the dataset's adapter, so the one scorer gives the same result bytes
from the pack as from the raw dataset.

With `public_fraction` the header also keeps a public/private split of the ids (phases.py),
`"public": {"fraction", "seed", "n_public", "ids_sha256", "ids"}`, in the pack only: the seed and
the ids would tell a participant which images are hidden.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from benchmark import __version__
from benchmark.datasets.ids import id_path, id_problem, write_id_file
from benchmark.datasets.imageio import decode_label_mask
from benchmark.datasets.sample import Target
from benchmark.datasets.spec import DatasetSpec
from benchmark.datasets.stores import read_file
from benchmark.errors import BenchError, DataError
from benchmark.outputs import check_new, new_folder

from .track import Track

SCHEMA = "bench.gtpack/1"
BUNDLE_SCHEMA = "bench.bundle/1"
HEADER = "gt.json"
_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class PackRecord:
    image_id: str
    sha256: str
    label: int
    generators: tuple[int, ...]
    meta: dict = field(hash=False)


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
                                  dict(i["meta"])) for i in header["images"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(str(header_path), f"malformed GT pack header ({type(exc).__name__}: {exc})") from None
        bad = next((p for p in map(id_problem, (r.image_id for r in records)) if p), None)
        if bad:
            raise DataError(str(header_path), bad)
        self.records = records
        self.public_ids: list[str] | None = _public_ids(header, {r.image_id for r in records}, header_path)

    def targets(self) -> PackTargets:
        return PackTargets(self.path, self.split, self.generators, self.records)


def freeze(track: Track, root: str | os.PathLike, out: str | os.PathLike, bundle: str | os.PathLike,
           workers: int | None = None, progress: bool = True, public_fraction: float | None = None,
           public_seed: int | None = None) -> dict:
    """Write the GT pack of `track` from the dataset at `root` to `out` and the participant
    bundle to `bundle` (both new or empty folders); return the pack header without its images.
    With `public_fraction` the pack keeps that share of the ids as the public part of a
    public/private split, drawn with `public_seed` (default: a random one, recorded in the pack)."""
    from benchmark.export import export_split
    from benchmark.parallel import run_chunks
    from benchmark.scoring import split_hash

    from .phases import check_fraction

    if public_fraction is not None:
        check_fraction(public_fraction)  # before the freezing, which takes a while
    out, bundle = Path(out), Path(bundle)
    if out.resolve() == bundle.resolve() or bundle.resolve().is_relative_to(out.resolve()) \
            or out.resolve().is_relative_to(bundle.resolve()):
        raise BenchError(f"{bundle}: the participant bundle must live apart from the GT pack {out}")
    for path in (out, bundle):
        check_new(path, folder=True)
    spec = DatasetSpec.of(track.dataset)
    adapter = spec.build(root, track.split)
    new_folder(out)
    images, digests, problems = [], [], []
    for chunk, chunk_problems in run_chunks(_freeze_chunk, adapter.records, workers, _init, (adapter, out),
                                            f"freezing {len(adapter)} targets", progress):
        for entry, digest in chunk:
            images.append(entry)
            digests.append((entry["id"], digest))
        problems += chunk_problems
    if problems:
        raise BenchError(f"{len(problems)} target(s) could not be read: " + "; ".join(sorted(problems)[:20]))
    header = {"schema": SCHEMA, "track": track.to_json(), "dataset_spec": str(spec), "split": adapter.split,
              "generators": adapter.generators, "split_manifest_hash": split_hash(digests), "n_images": len(images),
              "toolkit_version": __version__}
    if public_fraction is not None:
        header["public"] = _public_split([i["id"] for i in images], [i["label"] for i in images], public_fraction,
                                         public_seed)
    (out / HEADER).write_text(json.dumps({**header, "images": images}, indent=1, allow_nan=True) + "\n")

    new_folder(bundle)
    for part in track.parts:
        export_split(spec, root, track.split, bundle / part, distortion=part, seed=track.seed, workers=workers,
                     progress=progress)
    public = {"schema": BUNDLE_SCHEMA, "track": track.name, "title": track.title, "dataset_spec": str(spec),
              "split": adapter.split, "tasks": list(track.accepts), "parts": list(track.parts),
              "generators": adapter.generators, "split_manifest_hash": header["split_manifest_hash"],
              "n_images": len(images), "toolkit_version": __version__,
              "submit": "one predictions folder/zip per part: bench pack --masks PART/masks --task TASK "
                        "--method NAME --out PART.zip (dataset, split and distortion come from PART/export.json)"}
    (bundle / "track.json").write_text(json.dumps(public, indent=1) + "\n")
    return header


def _public_split(ids: list[str], labels: list[int], fraction: float, seed: int | None) -> dict:
    import secrets

    from .phases import draw_public, ids_sha256

    # A secret seed by default: the track's own seed is public, and with the bundle's ids it would
    # let anyone redraw the split.
    seed = secrets.randbits(63) if seed is None else int(seed)
    public = draw_public(ids, labels, fraction, seed)
    return {"fraction": fraction, "seed": seed, "n_public": len(public), "ids_sha256": ids_sha256(public),
            "ids": public}


def _public_ids(header: dict, ids: set[str], where: Path) -> list[str] | None:
    """The pack's public ids, checked against their recorded hash and the split; None without a split."""
    from .phases import ids_sha256

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


def _init(adapter, out: Path) -> None:
    import cv2

    cv2.setNumThreads(1)
    _WORKER.update(adapter=adapter, out=out)


def _freeze_chunk(records: Sequence) -> tuple[list[tuple[dict, str]], list[str]]:
    from benchmark.hashing import sha256_hex
    from benchmark.predictions.codecs import encode_mask_png
    from benchmark.scoring import target_digest

    adapter, out = _WORKER["adapter"], _WORKER["out"]
    rows, problems = [], []
    for record in records:
        try:
            target = adapter.load_target(record)
            meta = _plain_meta(target.meta, target.image_id)
        except BenchError as exc:  # returned, not raised: a DataError does not survive the trip between processes
            problems.append(str(exc))
            continue
        data = encode_mask_png(target.mask)
        write_id_file(out / "masks", target.image_id, ".png", data)
        rows.append(({"id": target.image_id, "label": int(target.label), "generators": [int(g) for g in target.generators],
                      "meta": meta, "mask_sha256": sha256_hex(data)},
                     target_digest(target)))
    return rows, problems


def _plain_meta(meta: dict, image_id: str) -> dict:
    """Meta as JSON that reads back equal: text, numbers, booleans and None only (a tuple would come
    back a list and could change a breakdown's groups, and so the result's bytes)."""
    for key, value in meta.items():
        if not (value is None or isinstance(value, (str, bool, int, float))):
            raise BenchError(f"{image_id}: meta field '{key}' is a {type(value).__name__}; a GT pack keeps "
                             "text, numbers, booleans and None")
    return dict(meta)
