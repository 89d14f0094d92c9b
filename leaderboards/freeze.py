"""`freeze` reads a track's split from the raw dataset once and writes its GT pack (gtpack.py) and
its participant bundle. A hidden track's bundle names its images opaquely and encodes them one way
(bundle.py) and is audited for leaks (audit.py): a bundle on which an attack beats chance is not
written. An open track's bundle is the split as `bench data export` writes it."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Sequence

from benchmark import __version__
from benchmark.datasets.ids import write_id_file
from benchmark.datasets.spec import DatasetSpec
from benchmark.errors import BenchError
from benchmark.outputs import check_new, new_folder

from .gtpack import HEADER, SCHEMA, GTPack
from .track import Track
from .values import ids_sha256

_WORKER: dict[str, Any] = {}


def freeze(track: Track, root: str | os.PathLike, out: str | os.PathLike, bundle: str | os.PathLike,
           workers: int | None = None, progress: bool = True, public_fraction: float | None = None,
           public_seed: int | None = None) -> dict:
    """Write the GT pack of `track` from the dataset at `root` to `out` and the participant
    bundle to `bundle` (both new or empty folders); return the pack header without its images
    (with the audit's findings under "audit" for a hidden track). With `public_fraction` the pack
    keeps that share of the ids as the public part of a public/private split, drawn with
    `public_seed` (default: a random one, recorded in the pack). A hidden track whose bundle
    leaks is refused, and neither folder is left behind."""
    from .phases import check_fraction

    if public_fraction is not None:
        check_fraction(public_fraction)  # before the freezing, which takes a while
    out, bundle = Path(out), Path(bundle)
    if out.resolve() == bundle.resolve() or bundle.resolve().is_relative_to(out.resolve()) \
            or out.resolve().is_relative_to(bundle.resolve()):
        raise BenchError(f"{bundle}: the participant bundle must live apart from the GT pack {out}")
    existed = {path: check_new(path, folder=True).exists() for path in (out, bundle)}
    try:
        return _freeze(track, root, out, bundle, workers, progress, public_fraction, public_seed)
    except BaseException:
        for path, was in existed.items():  # both were new or empty: what was written goes, nothing else
            if path.is_dir():
                shutil.rmtree(path)
                if was:
                    path.mkdir()
        raise


def _freeze(track: Track, root, out: Path, bundle: Path, workers, progress, public_fraction, public_seed) -> dict:
    from benchmark.parallel import run_chunks
    from benchmark.scoring import split_hash

    from .audit import audit, leaks
    from .bundle import keyed_names, new_key, write_bundle

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
    names = None
    if track.hidden:
        key = new_key()
        names = keyed_names(key, [i["id"] for i in images])
        header["bundle"] = {"names": "keyed", "key": key}
        images = [{**i, "name": names[i["id"]]} for i in images]
    (out / HEADER).write_text(json.dumps({**header, "images": images}, indent=1, allow_nan=True) + "\n")

    new_folder(bundle)
    if names is None:
        _export_bundle(track, spec, root, adapter, bundle, header, workers, progress)
        return header
    write_bundle(track, spec, root, adapter, names, bundle, header["split_manifest_hash"], workers, progress)
    findings = audit(bundle, GTPack(out), progress=progress)
    header["audit"] = [f.to_json() for f in findings]
    (out / HEADER).write_text(json.dumps({**header, "images": images}, indent=1, allow_nan=True) + "\n")
    found = leaks(findings)
    if found:
        raise BenchError(f"track {track.name}: the bundle leaks the truth, not written: " + "; ".join(
            f"{f.part} {f.attack} AP {f.ap:.3f} (chance {f.chance:.3f})" for f in found)
            + ("; an original and its edit are both in it: give the track's dataset spec the unpaired option"
               if any(f.attack == "pair difference" for f in found) else ""))
    return header


def _export_bundle(track: Track, spec: DatasetSpec, root, adapter, bundle: Path, header: dict, workers,
                   progress) -> None:
    """An open track's bundle: each part as `bench data export` writes it, named by the ids."""
    from benchmark.export import export_split

    from .bundle import write_track_json

    for part in track.parts:
        export_split(spec, root, track.split, bundle / part, distortion=part, seed=track.seed, workers=workers,
                     progress=progress)
    write_track_json(bundle, track, spec, adapter, header["split_manifest_hash"], "ids")


def _public_split(ids: list[str], labels: list[int], fraction: float, seed: int | None) -> dict:
    import secrets

    from .phases import draw_public

    # A secret seed by default: the track's own seed is public, and with the bundle's ids it would
    # let anyone redraw the split.
    seed = secrets.randbits(63) if seed is None else int(seed)
    public = draw_public(ids, labels, fraction, seed)
    return {"fraction": fraction, "seed": seed, "n_public": len(public), "ids_sha256": ids_sha256(public),
            "ids": public}


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
