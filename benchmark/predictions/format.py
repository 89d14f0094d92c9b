"""The predictions format: a folder or `.zip` holding

    manifest.json   task, dataset (and dataset_spec), split, generator map, method, toolkit version,
                    SHA-256 per file
    masks/{id}.png  8-bit grey PNG, any resolution: binary = round(255 * P(edited)), semantic = class id;
                    ids follow `benchmark.datasets.ids` (`/` makes subfolders)
    masks.json      (instead of masks/, binary only) COCO-style RLE list [{"image_id", "segmentation"}]
    scores.csv      optional: image_id,score[,<generator name> ...] image-level probabilities

`bench predict` writes it with `write_predictions`, external detectors with `bench pack`, and the
scorer and the leaderboard read it with `Predictions`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import zipfile
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping

import cv2
import numpy as np

from benchmark import __version__
from benchmark.datasets.base import canonical_split
from benchmark.datasets.ids import check_id, id_problem
from benchmark.datasets.imageio import png_truncated
from benchmark.datasets.stores import DirStore, ZipStore
from benchmark.errors import BenchError, DataError
from benchmark.outputs import is_zip_name, new_output

SCHEMA = "bench.predictions/1"
TASKS = ("binary", "semantic", "detection")
MANIFEST = "manifest.json"
SCORES = "scores.csv"
RLE = "masks.json"
MASK_DIR = "masks/"
REQUIRED = ("task", "dataset", "split", "generators", "method", "files")
# The format's own fields; anything else in a manifest is carried along but can never replace them.
OWN_FIELDS = REQUIRED + ("schema", "toolkit_version", "dataset_spec", "distortion")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def generator_map(generators: Iterable[str]) -> dict[str, str]:
    """The manifest's generator map: class id (as text) -> name, 0 being unedited."""
    return {"0": "unedited", **{str(i): name for i, name in enumerate(generators, 1)}}


def png_header_problem(data: bytes) -> str | None:
    """Why `data` is not an 8-bit single-channel PNG (read from the IHDR chunk, no decoding)."""
    if data[:8] != PNG_SIGNATURE or len(data) < 33 or data[12:16] != b"IHDR":
        return "not a PNG file"
    depth, colour = data[24], data[25]
    kinds = {0: "grey", 2: "RGB", 3: "palette", 4: "grey+alpha", 6: "RGBA"}
    if colour != 0 or depth != 8:
        return (f"PNG is {depth}-bit {kinds.get(colour, f'colour type {colour}')}; masks must be "
                "8-bit single-channel grey (mode L)")
    if png_truncated(data):
        return "truncated PNG (no IEND chunk)"
    return None


def decode_mask_png(data: bytes, name: str) -> np.ndarray:
    """Decode one mask PNG to uint8 HxW, or raise a DataError naming the file."""
    problem = png_header_problem(data)
    if problem is None:
        arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if arr is not None and arr.ndim == 2 and arr.dtype == np.uint8:
            return arr
        problem = "unreadable PNG"
    raise DataError(name, problem)


def encode_mask_png(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(mask), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise BenchError(f"cannot encode a {mask.dtype} {mask.shape} mask as PNG")
    return buf.tobytes()


def to_mask_bytes(task: str, mask: np.ndarray) -> np.ndarray:
    """Encode a prediction as the uint8 map the format stores.

    binary: float arrays are probabilities in [0, 1] (stored as round(255 p)), bool arrays hard
    masks, uint8 arrays are taken as already stored values; semantic: integer class ids.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise BenchError(f"a mask must be 2-D HxW, got shape {mask.shape}")
    if task == "binary":
        if mask.dtype == bool:
            return mask.astype(np.uint8) * 255
        if np.issubdtype(mask.dtype, np.floating):
            if not np.isfinite(mask).all() or mask.min(initial=0) < 0 or mask.max(initial=0) > 1:
                raise BenchError("binary probabilities must be finite and in [0, 1]")
            return np.rint(mask * 255).astype(np.uint8)
    if mask.dtype == np.uint8:
        return mask
    if np.issubdtype(mask.dtype, np.integer) and mask.min(initial=0) >= 0 and mask.max(initial=0) <= 255:
        return mask.astype(np.uint8)
    raise BenchError(f"cannot store a {mask.dtype} mask for the {task} task")


# -- COCO RLE -------------------------------------------------------------------------------
def encode_rle(mask: np.ndarray) -> dict:
    """COCO RLE of a hard binary mask (nonzero = edited), counts as text."""
    from pycocotools import mask as cocomask

    rle = cocomask.encode(np.asfortranarray(mask > 0, dtype=np.uint8))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def decode_rle(rle: object, name: str) -> np.ndarray:
    """Decode one COCO RLE (compressed text or uncompressed list counts) to a 0/255 uint8 map."""
    from pycocotools import mask as cocomask

    try:
        h, w = (int(v) for v in rle["size"])
        counts = rle["counts"]
        if isinstance(counts, list):
            if sum(counts) != h * w:
                raise ValueError(f"counts sum to {sum(counts)}, size is {h}x{w}")
            rle = cocomask.frPyObjects({"size": [h, w], "counts": counts}, h, w)
        else:
            rle = {"size": [h, w], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
        arr = cocomask.decode(rle)
    except Exception as exc:  # pycocotools raises bare Exceptions/TypeErrors on malformed input
        raise DataError(name, f"malformed COCO RLE ({exc})") from None
    return arr.astype(np.uint8) * 255


# -- reading ----------------------------------------------------------------------------------
class Predictions:
    """A predictions folder or zip, opened without decoding any mask.

    Structural problems (manifest fields, missing/extra/duplicate files, hashes of scores.csv and
    masks.json, bad scores) are collected in `problems`; per-mask problems (unreadable PNG, wrong
    mode, hash mismatch, values) come from `read_mask`, so that scoring finds them while decoding.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.problems: list[str] = []
        if self.path.is_dir():
            self.store = DirStore(self.path)
        elif self.path.is_file() and zipfile.is_zipfile(self.path):
            self.store = ZipStore(self.path)
        elif self.path.exists():
            raise DataError(str(self.path), "predictions must be a folder or a .zip archive")
        else:
            raise DataError(str(self.path), "predictions not found")
        names = self.store.names()
        manifests = [n for n in names if n == MANIFEST or n.endswith("/" + MANIFEST)]
        # A zip made of the folder itself holds `name/manifest.json`: read below that prefix.
        top = min(manifests, key=len, default=None)
        if top is None:
            raise DataError(self.store.where(MANIFEST), "no manifest.json in the predictions")
        self.prefix = top[: -len(MANIFEST)]
        self.names = [n[len(self.prefix):] for n in names if n.startswith(self.prefix)]
        self.manifest = self._read_manifest()
        self.task: str = self.manifest["task"]
        self.dataset: str = str(self.manifest["dataset"])
        # Older manifests name the dataset only: its spec is then the adapter with no options.
        self.dataset_spec: str = str(self.manifest.get("dataset_spec", self.dataset))
        self.split: str = canonical_split(self.manifest["split"])
        self.method: str = str(self.manifest["method"])
        self.generators: list[str] = self._read_generators()
        self.hashes: dict[str, str] = {str(k): str(v) for k, v in self.manifest["files"].items()}
        self.masks: dict[str, str] = {}
        self.rle: dict[str, dict] = {}
        self.scores: dict[str, float] = {}
        self.gen_probs: dict[str, dict[str, float]] = {}
        self._index()

    # -- structure ------------------------------------------------------------------------
    def where(self, name: str) -> str:
        return self.store.where(self.prefix + name)

    def read(self, name: str) -> bytes:
        return self.store.read(self.prefix + name)

    def _problem(self, name: str, problem: str) -> None:
        self.problems.append(f"{self.where(name)}: {problem}")

    def _read_manifest(self) -> dict:
        where = self.where(MANIFEST)
        try:
            manifest = json.loads(self.read(MANIFEST))
        except ValueError as exc:
            raise DataError(where, f"not valid JSON ({exc})") from None
        if not isinstance(manifest, dict):
            raise DataError(where, "must hold a JSON object")
        missing = [k for k in REQUIRED if k not in manifest]
        if missing:
            raise DataError(where, f"missing field(s) {', '.join(missing)}")
        if manifest["task"] not in TASKS:
            raise DataError(where, f"task '{manifest['task']}' (known: {', '.join(TASKS)})")
        if not isinstance(manifest["files"], dict):
            raise DataError(where, "'files' must map each file to its SHA-256")
        return manifest

    def _read_generators(self) -> list[str]:
        raw = self.manifest["generators"]
        if isinstance(raw, list):
            return [str(x) for x in raw]
        try:
            ids = sorted(int(k) for k in raw if int(k) != 0)
        except (TypeError, ValueError, AttributeError):
            raise DataError(self.where(MANIFEST), "'generators' must map class ids to names") from None
        if ids != list(range(1, len(ids) + 1)):
            raise DataError(self.where(MANIFEST), f"generator ids must run 1..K without gaps, got {ids}")
        return [str(raw[str(i)]) for i in ids]

    def _index(self) -> None:
        counts = Counter(self.names)
        for name, n in counts.items():
            if n > 1:
                self._problem(name, f"stored {n} times in the archive")
        present = set(counts)
        for name in sorted(set(self.hashes) - present):
            self._problem(name, "listed in the manifest but missing")
        for name in sorted(present - set(self.hashes) - {MANIFEST}):
            self._problem(name, "present but not listed in the manifest (extra file)")
        pngs = [n for n in sorted(present) if n.startswith(MASK_DIR)]
        if pngs and RLE in present:
            self._problem(RLE, "give masks either as masks/*.png or as masks.json, not both")
        seen: dict[str, str] = {}
        for name in pngs:
            stem, ext = os.path.splitext(name[len(MASK_DIR):])
            if ext.lower() != ".png":
                self._problem(name, "unexpected file under masks/ (expected masks/{image_id}.png)")
            elif id_problem(stem):
                self._problem(name, id_problem(stem))
            elif stem.lower() in seen:
                self._problem(name, f"duplicate image id (also {seen[stem.lower()]})")
            else:
                seen[stem.lower()] = name
                self.masks[stem] = name
        if RLE in present:
            self._index_rle()
        if SCORES in present:
            self._read_scores()
        if self.task != "detection" and not (self.masks or self.rle):
            self._problem(MASK_DIR, f"no masks for a {self.task} task")
        if self.task == "detection" and not self.scores:
            self._problem(SCORES, "a detection task needs scores.csv")

    def _checked_bytes(self, name: str) -> bytes | None:
        data = self.read(name)
        if name in self.hashes and sha256(data) != self.hashes[name]:
            self._problem(name, "SHA-256 does not match the manifest (file changed after packing)")
            return None
        return data

    def _index_rle(self) -> None:
        data = self._checked_bytes(RLE)
        if data is None:
            return
        if self.task != "binary":
            self._problem(RLE, f"RLE masks are hard binary masks; the {self.task} task needs PNG masks")
            return
        try:
            entries = json.loads(data)
        except ValueError as exc:
            self._problem(RLE, f"not valid JSON ({exc})")
            return
        if not isinstance(entries, list):
            self._problem(RLE, "must hold a list of {\"image_id\", \"segmentation\"} objects")
            return
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "image_id" not in entry or "segmentation" not in entry:
                self._problem(RLE, f"entry {i} lacks image_id or segmentation")
                continue
            image_id = str(entry["image_id"])
            if image_id in self.rle:
                self._problem(RLE, f"duplicate image id {image_id} (entry {i})")
            else:
                self.rle[image_id] = entry["segmentation"]

    def _read_scores(self) -> None:
        data = self._checked_bytes(SCORES)
        if data is None:
            return
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        except UnicodeDecodeError:
            self._problem(SCORES, "not UTF-8 text")
            return
        if not rows or rows[0][:2] != ["image_id", "score"]:
            self._problem(SCORES, "header must start with image_id,score")
            return
        extra = rows[0][2:]
        unknown = [c for c in extra if c not in self.generators]
        if unknown:
            self._problem(SCORES, f"column(s) {', '.join(unknown)} are not generators of the manifest "
                                  f"({', '.join(self.generators)})")
            return
        for line, row in enumerate(rows[1:], 2):
            if not row:
                continue
            if len(row) != len(rows[0]):
                self._problem(SCORES, f"line {line}: {len(row)} fields, the header has {len(rows[0])}")
                continue
            image_id, values = row[0], []
            for column, text in zip(rows[0][1:], row[1:]):
                try:
                    value = float(text)
                except ValueError:
                    value = math.nan
                if not math.isfinite(value) or not 0.0 <= value <= 1.0:
                    self._problem(SCORES, f"line {line} ({image_id}): {column} '{text}' is not a probability in [0, 1]")
                values.append(value)
            if image_id in self.scores:
                self._problem(SCORES, f"line {line}: duplicate image id {image_id}")
                continue
            self.scores[image_id] = values[0]
            if extra:
                self.gen_probs[image_id] = dict(zip(extra, values[1:]))

    # -- contents -------------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        return sorted(self.masks or self.rle or self.scores)

    def check_ids(self, expected: Iterable[str]) -> None:
        """Record every image id missing from, or not part of, the expected split."""
        expected = set(expected)
        if self.task != "detection":
            have, where = set(self.masks or self.rle), (MASK_DIR if self.masks else RLE)
            _compare_ids(self, where, have, expected, "mask")
        if self.scores:
            _compare_ids(self, SCORES, set(self.scores), expected, "score")

    def read_mask(self, image_id: str) -> np.ndarray:
        """The stored uint8 map of one image (hash and PNG mode checked), or a DataError."""
        if self.rle:
            return decode_rle(self.rle[image_id], f"{self.where(RLE)}[{image_id}]")
        name = self.masks[image_id]
        data = self.read(name)
        if name in self.hashes and sha256(data) != self.hashes[name]:
            raise DataError(self.where(name), "SHA-256 does not match the manifest (file changed after packing)")
        mask = decode_mask_png(data, self.where(name))
        if self.task == "semantic" and mask.max(initial=0) > len(self.generators):
            raise DataError(self.where(name), f"class id {int(mask.max())} is outside the generator map "
                                              f"(0..{len(self.generators)})")
        return mask

    def mask_where(self, image_id: str) -> str:
        return self.where(self.masks[image_id]) if self.masks else f"{self.where(RLE)}[{image_id}]"

    def extra_manifest(self) -> dict:
        """Manifest fields beyond the format's own (training info such as train_generators)."""
        return {k: v for k, v in self.manifest.items() if k not in OWN_FIELDS}

    def describe(self) -> dict:
        """What a result records of the submission: the manifest's SHA-256 and its extra fields."""
        return {"manifest_sha256": sha256(self.read(MANIFEST)), **self.extra_manifest()}


def _compare_ids(preds: Predictions, where: str, have: set, expected: set, what: str) -> None:
    for kind, ids in (("missing", expected - have), ("extra", have - expected)):
        if ids:
            shown = ", ".join(sorted(ids)[:5]) + (", ..." if len(ids) > 5 else "")
            verb = "no prediction for" if kind == "missing" else "not in the split:"
            preds._problem(where, f"{len(ids)} {kind} {what}(s), {verb} {shown}")


# -- writing ----------------------------------------------------------------------------------
class _Writer:
    """Writes members into a new folder or a new .zip (stored: PNG is already compressed)."""

    def __init__(self, out: Path):
        self.out, self.hashes = new_output(out), {}
        self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) if is_zip_name(out) else None

    def add(self, name: str, data: bytes, listed: bool = True) -> None:
        if listed:
            self.hashes[name] = sha256(data)
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


def scores_csv(scores: Mapping[str, float], gen_probs: Mapping[str, Mapping[str, float]] | None,
               generators: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    columns = generators if gen_probs else []
    w.writerow(["image_id", "score", *columns])
    for image_id in sorted(scores):
        probs = gen_probs.get(image_id, {}) if gen_probs else {}
        w.writerow([image_id, repr(float(scores[image_id])), *(repr(float(probs[c])) for c in columns)])
    return buf.getvalue().encode()


def write_predictions(out: str | os.PathLike, task: str, dataset, split: str,
                      generators: list[str], method: str,
                      masks: Iterable[tuple[str, np.ndarray]] = (),
                      scores: Mapping[str, float] | bytes | None = None,
                      extra_manifest: Mapping | None = None, mask_format: str = "png",
                      gen_probs: Mapping[str, Mapping[str, float]] | None = None,
                      raw_masks: Iterable[tuple[str, bytes]] = ()) -> Path:
    """Write a predictions folder (or `.zip` when `out` ends so) and return its path.

    `masks` yields (image_id, array) at any resolution, see `to_mask_bytes`; `raw_masks` yields
    already-encoded mask PNGs (bench pack copies them without re-encoding). `scores` maps
    image_id -> P(edited), or is the bytes of a scores.csv written elsewhere. `mask_format='rle'`
    stores binary masks as COCO RLE (hard masks: p > 0.5). `gen_probs` maps image_id -> {generator:
    probability} and adds those columns to scores.csv. `extra_manifest` carries training info such
    as train_generators or distortion; it never replaces the format's own fields. `dataset` is a
    DatasetSpec or an adapter name.
    """
    from benchmark.datasets.spec import DatasetSpec

    if task not in TASKS:
        raise BenchError(f"task '{task}' (known: {', '.join(TASKS)})")
    if mask_format not in ("png", "rle") or (mask_format == "rle" and task != "binary"):
        raise BenchError(f"mask format '{mask_format}': png for every task, rle for binary only")
    out = Path(out)
    writer = _Writer(out)
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
            writer.add(SCORES, scores_csv(scores, gen_probs, list(generators)))
        spec = DatasetSpec.of(dataset)
        extra = {k: v for k, v in dict(extra_manifest or {}).items() if k not in OWN_FIELDS or k == "distortion"}
        manifest = {**extra, "schema": SCHEMA, "task": task, "dataset": spec.name, "dataset_spec": str(spec),
                    "split": split, "generators": generator_map(generators), "method": method,
                    "toolkit_version": __version__}
        writer.close(manifest)
    except BaseException:
        if writer.zip is not None:
            writer.zip.close()
        raise
    return out
