"""A hidden track's participant bundle, from which nothing but the pixels tells real from edited
or names the editor:

    BUNDLE/track.json                what to submit (no ids, no labels)
    BUNDLE/{part}/export.json        dataset spec, split, distortion (what `bench pack` reads)
    BUNDLE/{part}/images/{name}.png  every image of the split, clean or under the part's distortion

- names are opaque and keyed: the first 20 hex digits of HMAC-SHA256(key, image id), the key (32
  random bytes) and the names kept in the GT pack only; the same image has the same name in every
  part, and a listing sorted by name is in keyed-random order;
- one encoding for every image, whatever the dataset stored (JPEG originals, PNG edits): 8-bit RGB
  PNG, no interlace, filter 0 on every row, one zlib stream of stored blocks, no chunk but IHDR,
  IDAT and IEND. Lossless, and its file size is a function of the image size alone;
- files are written in name order (so inode numbers and change times follow the keyed order, not
  the dataset's) and every modification time is set to one instant.

An original and its edit are never both in a bundle: that is the dataset spec's `unpaired` option
(datasets/pairs.py), which the hidden tracks that pair images set; `audit.py` checks all of it."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
import zlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchmark import __version__
from benchmark.errors import BenchError, DataError

SCHEMA = "bench.bundle/1"
EXPORT_SCHEMA = "bench.export/1"
NAME_HEX = 20
FILE_TIME = 946684800  # 2000-01-01T00:00:00Z: every image's modification time
_WORKER: dict[str, Any] = {}


def new_key() -> str:
    import secrets

    return secrets.token_hex(32)


def keyed_names(key: str, ids: Sequence[str]) -> dict[str, str]:
    """image id -> its opaque name under `key` (distinct for every id of the split)."""
    names = {i: hmac.new(bytes.fromhex(key), i.encode(), hashlib.sha256).hexdigest()[:NAME_HEX] for i in ids}
    if len(set(names.values())) != len(names):  # 80 bits: never for any split, but a collision must not pass
        raise BenchError("two images got the same bundle name: freeze again (a new key is drawn)")
    return names


def canonical_png(image: np.ndarray) -> bytes:
    """`image` (uint8 HxWx3 RGB) as the bundle's one PNG encoding: its size depends on H and W only."""
    h, w, _ = image.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), np.ascontiguousarray(image).reshape(h, w * 3)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 0)) + chunk(b"IEND", b""))


def write_bundle(track, spec, root: str | os.PathLike, adapter, names: dict[str, str], out: Path,
                 split_hash: str, workers: int | None = None, progress: bool = True) -> None:
    """Write the hidden bundle of `track` (the adapter's records, each as `names[id]`) to the new
    folder `out`."""
    from benchmark.distortions.base import describe_distortion
    from benchmark.parallel import run_chunks

    order = sorted(adapter.records, key=lambda r: names[r.image_id])
    for part in track.parts:
        images = out / part / "images"
        images.mkdir(parents=True)
        problems: list[str] = []
        for chunk_problems in run_chunks(_bundle_chunk, order, workers, _init, (adapter, images, part, track.seed, names),
                                         f"bundle {part}: {len(order)} images", progress):
            problems += chunk_problems
        if problems:
            raise BenchError(f"{len(problems)} image(s) could not be read: " + "; ".join(sorted(problems)[:20]))
        for path in sorted(images.iterdir()):
            os.utime(path, (FILE_TIME, FILE_TIME))
        export = {"schema": EXPORT_SCHEMA, "dataset": spec.name, "dataset_spec": str(spec), "split": adapter.split,
                  "task": None, "generators": adapter.generators, **describe_distortion(part), "seed": track.seed,
                  "n_images": len(order), "names": "keyed", "toolkit_version": __version__}
        (out / part / "export.json").write_text(json.dumps(export, indent=1) + "\n")
    write_track_json(out, track, spec, adapter, split_hash, "keyed")


def write_track_json(out: Path, track, spec, adapter, split_hash: str, names: str) -> None:
    """The bundle's `track.json`: what to submit, and nothing about the truth. `names`: keyed
    (opaque names) or ids."""
    named = ("named as the part's images: write PART/masks/{name}.png (or a scores.csv of name,score), then "
             if names == "keyed" else "")
    public = {"schema": SCHEMA, "track": track.name, "title": track.title, "dataset_spec": str(spec),
              "split": adapter.split, "tasks": list(track.accepts), "parts": list(track.parts),
              "generators": adapter.generators, "split_manifest_hash": split_hash, "n_images": len(adapter),
              "names": names, "toolkit_version": __version__,
              "submit": f"one predictions folder/zip per part, {named}bench pack --masks PART/masks --task TASK "
                        "--method NAME --out PART.zip (dataset, split and distortion come from PART/export.json)"}
    (out / "track.json").write_text(json.dumps(public, indent=1) + "\n")


def _init(adapter, images: Path, part: str, seed: int, names: dict[str, str]) -> None:
    import cv2

    cv2.setNumThreads(1)
    _WORKER.update(adapter=adapter, images=images, part=part, seed=seed, names=names)


def _bundle_chunk(records: Sequence) -> list[str]:
    from benchmark.distortions import apply_distortion, image_seed

    w = _WORKER
    problems = []
    for record in records:
        try:
            sample = w["adapter"].load(record)
        except DataError as exc:
            problems.append(str(exc))
            continue
        # The distortion's per-image seed is the one `bench data export` uses: the same pixels.
        image = apply_distortion(w["part"], sample.image, image_seed(sample.image_id, w["seed"]))
        with open(w["images"] / f"{w['names'][sample.image_id]}.png", "xb") as f:
            f.write(canonical_png(image))
    return problems
