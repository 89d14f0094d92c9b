"""Writing the predictions format (`spec.py`): `bench predict`, `bench pack` and anyone's code
through `write_predictions`."""
from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from benchmark import __version__
from benchmark.datasets.ids import check_id
from benchmark.errors import BenchError
from benchmark.hashing import sha256_hex
from benchmark.outputs import is_zip_name, new_output
from benchmark.tasks import TASKS

from .codecs import encode_mask_png, encode_rle, to_mask_bytes
from .spec import EXTRA_FIELDS, MANIFEST, RLE, SCHEMA, SCORES, generator_map


class MemberWriter:
    """Writes members into a new folder or a new .zip (stored: PNG is already compressed), then
    the manifest with every member's SHA-256."""

    def __init__(self, out: Path):
        self.out, self.hashes = new_output(out), {}
        self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) if is_zip_name(out) else None

    def add(self, name: str, data: bytes, listed: bool = True) -> None:
        if listed:
            self.hashes[name] = sha256_hex(data)
        if self.zip is not None:
            self.zip.writestr(name, data)
        else:
            (self.out / name).parent.mkdir(parents=True, exist_ok=True)
            (self.out / name).write_bytes(data)

    def close(self, manifest: dict) -> None:
        manifest["files"] = dict(sorted(self.hashes.items()))
        self.add(MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode(), listed=False)
        if self.zip is not None:
            self.zip.close()

    def abort(self) -> None:
        if self.zip is not None:
            self.zip.close()


def scores_csv(scores: Mapping[str, float]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["image_id", "score"])
    for image_id in sorted(scores):
        w.writerow([image_id, repr(float(scores[image_id]))])
    return buf.getvalue().encode()


def write_predictions(out: str | os.PathLike, task: str, dataset, split: str,
                      generators: list[str], method: str,
                      masks: Iterable[tuple[str, np.ndarray]] = (),
                      scores: Mapping[str, float] | bytes | None = None,
                      extra_manifest: Mapping | None = None, mask_format: str = "png",
                      raw_masks: Iterable[tuple[str, bytes]] = ()) -> Path:
    """Write a predictions folder (or `.zip` when `out` ends so) and return its path.

    `masks` yields (image_id, array) at any resolution, see `to_mask_bytes`; `raw_masks` yields
    already-encoded mask PNGs (bench pack copies them without re-encoding). `scores` maps
    image_id -> P(edited), or is the bytes of a scores.csv written elsewhere. `mask_format='rle'`
    stores binary masks as COCO RLE (hard masks: p > 0.5). `extra_manifest` carries training info
    such as train_generators or distortion; it never replaces the format's own fields. `dataset` is
    a DatasetSpec or an adapter name.
    """
    from benchmark.datasets.spec import DatasetSpec

    if task not in TASKS:
        raise BenchError(f"task '{task}' (known: {', '.join(TASKS)})")
    if mask_format not in ("png", "rle") or (mask_format == "rle" and task != "binary"):
        raise BenchError(f"mask format '{mask_format}': png for every task, rle for binary only")
    out = Path(out)
    writer = MemberWriter(out)
    rle = []
    try:
        for image_id, data in raw_masks:
            writer.add(f"masks/{check_id(image_id)}.png", data)
        for image_id, mask in masks:
            check_id(image_id)
            stored = to_mask_bytes(task, mask)
            if mask_format == "rle":
                rle.append({"image_id": image_id, "segmentation": encode_rle(stored > 127)})
            else:
                writer.add(f"masks/{image_id}.png", encode_mask_png(stored))
        if rle:
            writer.add(RLE, json.dumps(rle).encode())
        if isinstance(scores, bytes):
            writer.add(SCORES, scores)
        elif scores:
            writer.add(SCORES, scores_csv(scores))
        spec = DatasetSpec.of(dataset)
        extra = dict(extra_manifest or {})
        unknown = sorted(set(extra) - set(EXTRA_FIELDS) - {"distortion"})
        if unknown:
            raise BenchError(f"manifest field(s) {', '.join(unknown)} are not part of the predictions format "
                             f"(optional fields: distortion, {', '.join(EXTRA_FIELDS)})")
        manifest = {**extra, "schema": SCHEMA, "task": task, "dataset": spec.name, "dataset_spec": str(spec),
                    "split": split, "generators": generator_map(generators), "method": method,
                    "toolkit_version": __version__}
        writer.close(manifest)
    except BaseException:
        writer.abort()
        raise
    return out
