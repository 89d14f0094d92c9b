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
from benchmark.datasets.imageio import png_stream_problem
from benchmark.datasets.stores import DirStore, ZipStore
from benchmark.errors import BenchError, DataError
from benchmark.hashing import sha256_hex
from benchmark.tasks import TASKS
from benchmark.limits import (MAP_PIXELS_PER_GT_PIXEL, MAX_COMPRESSION_RATIO, MAX_MAP_PIXELS, MAX_FIELD_CHARS, MAX_LIST_ITEMS,
                              MAX_MANIFEST_BYTES, MAX_MEMBER_BYTES, RATIO_CHECKED_ABOVE)
from benchmark.outputs import is_zip_name, new_output

SCHEMA = "bench.predictions/1"
MANIFEST = "manifest.json"
SCORES = "scores.csv"
RLE = "masks.json"
MASK_DIR = "masks/"
REQUIRED = ("task", "dataset", "split", "generators", "method", "files")
# The format's own fields, and the optional ones it defines (what `bench predict` and `bench pack`
# record about the method). Any other key is ignored: nothing else from a manifest reaches a result.
OWN_FIELDS = REQUIRED + ("schema", "toolkit_version", "dataset_spec", "distortion")
EXTRA_FIELDS = {"baseline": str, "train_dataset_spec": str, "train_generators": list, "holdout_generators": list,
                "size": int, "score_rule": str, "checkpoint": str, "explanation": str, "experiment_run": str}
TEXT_FIELDS = ("task", "dataset", "dataset_spec", "split", "method", "schema", "toolkit_version", "distortion")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def generator_map(generators: Iterable[str]) -> dict[str, str]:
    """The manifest's generator map: class id (as text) -> name, 0 being unedited."""
    return {"0": "unedited", **{str(i): name for i, name in enumerate(generators, 1)}}


def png_size(data: bytes) -> tuple[int, int] | None:
    """(height, width) declared by a PNG's IHDR chunk, or None when `data` is not a PNG."""
    if data[:8] != PNG_SIGNATURE or len(data) < 33 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[20:24], "big"), int.from_bytes(data[16:20], "big")


def png_header_problem(data: bytes) -> str | None:
    """Why `data` is not an 8-bit single-channel PNG (read from the IHDR chunk, no decoding)."""
    size = png_size(data)
    if size is None:
        return "not a PNG file"
    if 0 in size:
        return f"PNG declares an empty {size[1]}x{size[0]} image"
    depth, colour = data[24], data[25]
    kinds = {0: "grey", 2: "RGB", 3: "palette", 4: "grey+alpha", 6: "RGBA"}
    if colour != 0 or depth != 8:
        return (f"PNG is {depth}-bit {kinds.get(colour, f'colour type {colour}')}; masks must be "
                "8-bit single-channel grey (mode L)")
    return png_stream_problem(data)


def map_size_problem(size: tuple[int, int], gt_shape: tuple[int, int] | None) -> str | None:
    """Why a submitted map of `size` (h, w) cannot be scored against a GT of `gt_shape`: more
    than `MAP_PIXELS_PER_GT_PIXEL` times its pixels (refused before decoding), or another aspect
    ratio than the GT's unless square (a network resolution): swapped height and width would
    otherwise be stretched silently."""
    h, w = size
    if h <= 0 or w <= 0:
        return f"map size {w}x{h} is empty"
    if gt_shape is None:
        return (f"map of {w}x{h} pixels is over the cap of {MAX_MAP_PIXELS} pixels: refused before decoding"
                if h * w > MAX_MAP_PIXELS else None)
    gh, gw = gt_shape
    if h * w > MAP_PIXELS_PER_GT_PIXEL * gh * gw:
        return (f"map of {w}x{h} pixels is over the cap of {MAP_PIXELS_PER_GT_PIXEL}x the ground truth's "
                f"{gw}x{gh}: refused before decoding")
    same_aspect = abs(h * gw - w * gh) <= max(h, w, gh, gw)  # within a pixel of rounding either way
    if not (same_aspect or h == w):
        return (f"map is {w}x{h} but the ground truth is {gw}x{gh}: another aspect ratio "
                + ("(height and width swapped?)" if abs(h * gh - w * gw) <= max(h, w, gh, gw) else "")
                + "; store maps at the GT's aspect ratio or square")
    return None


def decode_mask_png(data: bytes, name: str, gt_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Decode one mask PNG to uint8 HxW, or raise a DataError naming the file. With `gt_shape`
    the declared size is checked (`map_size_problem`) before any pixel is decoded."""
    problem = png_header_problem(data)
    if problem is None:
        problem = map_size_problem(png_size(data), gt_shape)
    if problem is None:
        try:
            arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        except cv2.error:  # over OpenCV's own pixel cap, or a corrupt stream
            arr = None
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


def rle_counts(text: str) -> list[int]:
    """The run lengths of a compressed COCO RLE string (pycocotools' `rleFrString`), so that
    they can be checked before pycocotools decodes them without a length check."""
    counts: list[int] = []
    p, n = 0, len(text)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                raise ValueError("counts string ends inside a run length")
            c = ord(text[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"character {text[p]!r} is not part of a compressed RLE")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p, k = p + 1, k + 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def rle_size(rle: object) -> tuple[int, int]:
    """(h, w) an RLE declares; ValueError when it declares none."""
    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        raise ValueError("expected an object with 'size' [h, w] and 'counts'")
    size = rle["size"]
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in size)):
        raise ValueError(f"size {str(size)[:40]} is not two integers [h, w]")
    return int(size[0]), int(size[1])


def decode_rle(rle: object, name: str, gt_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Decode one COCO RLE (compressed text or uncompressed list counts) to a 0/255 uint8 map.
    Its size is checked first (`map_size_problem`), and its runs must cover exactly h x w pixels:
    pycocotools would leave the rest of the map uninitialised."""
    from pycocotools import mask as cocomask

    try:
        h, w = rle_size(rle)
        problem = map_size_problem((h, w), gt_shape)
        if problem:
            raise DataError(name, problem)
        counts = rle["counts"]
        runs = rle_counts(counts) if isinstance(counts, str) else counts
        if not isinstance(runs, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in runs):
            raise ValueError("counts must be a compressed string or a list of integers")
        if any(v < 0 for v in runs):
            raise ValueError("a run length is negative")
        if sum(runs) != h * w:
            raise ValueError(f"runs cover {sum(runs)} pixels, size {h}x{w} has {h * w}")
        arr = cocomask.decode(cocomask.frPyObjects({"size": [h, w], "counts": runs}, h, w))
    except DataError:
        raise
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
        self.dataset: str = self.manifest["dataset"]
        # Older manifests name the dataset only: its spec is then the adapter with no options.
        self.dataset_spec: str = str(self.manifest.get("dataset_spec", self.dataset))
        self.split: str = canonical_split(self.manifest["split"])
        self.method: str = self.manifest["method"]
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

    def read(self, name: str, max_bytes: int = MAX_MEMBER_BYTES) -> bytes:
        """A member's bytes, refused before inflating when its declared size or ratio is over the caps."""
        if isinstance(self.store, ZipStore):
            return self.store.read(self.prefix + name, max_bytes, MAX_COMPRESSION_RATIO, RATIO_CHECKED_ABOVE)
        return self.store.read(self.prefix + name, max_bytes)

    def _problem(self, name: str, problem: str) -> None:
        self.problems.append(f"{self.where(name)}: {problem}")

    def _read_manifest(self) -> dict:
        where = self.where(MANIFEST)
        manifest = load_json(self.read(MANIFEST, MAX_MANIFEST_BYTES), where)
        if not isinstance(manifest, dict):
            raise DataError(where, "must hold a JSON object")
        missing = [k for k in REQUIRED if k not in manifest]
        if missing:
            raise DataError(where, f"missing field(s) {', '.join(missing)}")
        for key in TEXT_FIELDS:
            if key in manifest and not (isinstance(manifest[key], str) and 0 < len(manifest[key]) <= MAX_FIELD_CHARS):
                raise DataError(where, f"'{key}' must be a text of 1 to {MAX_FIELD_CHARS} characters")
        if manifest["task"] not in TASKS:
            raise DataError(where, f"task '{manifest['task']}' (known: {', '.join(TASKS)})")
        files = manifest["files"]
        if not isinstance(files, dict) or not all(
                isinstance(k, str) and len(k) <= MAX_FIELD_CHARS and isinstance(v, str) and len(v) == 64
                for k, v in files.items()):
            raise DataError(where, "'files' must map each file name to its SHA-256 (64 hex digits)")
        self.ignored_fields = sorted(k for k in manifest if k not in OWN_FIELDS and k not in EXTRA_FIELDS)
        for key, kind in EXTRA_FIELDS.items():
            if key in manifest and not _fits(manifest[key], kind):
                raise DataError(where, f"'{key}' must be {'a list of short texts' if kind is list else kind.__name__} "
                                       f"(at most {MAX_FIELD_CHARS} characters, {MAX_LIST_ITEMS} items)")
        return manifest

    def _read_generators(self) -> list[str]:
        raw = self.manifest["generators"]
        if not _fits(raw, list) and not (isinstance(raw, dict) and len(raw) <= MAX_LIST_ITEMS
                                         and _fits(list(raw.values()), list)):
            raise DataError(self.where(MANIFEST), "'generators' must map class ids to names (or list the names)")
        if isinstance(raw, list):
            return list(raw)
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
        if name in self.hashes and sha256_hex(data) != self.hashes[name]:
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
            entries = load_json(data, self.where(RLE))
        except DataError as exc:
            self._problem(RLE, exc.problem)
            return
        if not isinstance(entries, list):
            self._problem(RLE, "must hold a list of {\"image_id\", \"segmentation\"} objects")
            return
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "image_id" not in entry or "segmentation" not in entry:
                self._problem(RLE, f"entry {i} lacks image_id or segmentation")
                continue
            image_id = entry["image_id"]
            if id_problem(image_id):
                self._problem(RLE, f"entry {i}: {id_problem(image_id)}")
                continue
            try:
                rle_size(entry["segmentation"])
            except ValueError as exc:
                self._problem(RLE, f"entry {i} ({image_id}): {exc}")
                continue
            if image_id in self.rle:
                self._problem(RLE, f"duplicate image id {image_id} (entry {i})")
            else:
                self.rle[image_id] = entry["segmentation"]

    def _read_scores(self) -> None:
        data = self._checked_bytes(SCORES)
        if data is None:
            return
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        except UnicodeDecodeError:
            self._problem(SCORES, "not UTF-8 text")
            return
        except csv.Error as exc:  # a field over the csv module's limit, a NUL byte, stray CR line ends
            self._problem(SCORES, f"not a readable CSV ({exc})")
            return
        if not rows or rows[0][:2] != ["image_id", "score"]:
            self._problem(SCORES, "header must start with image_id,score")
            return
        if not any(rows[1:]):
            self._problem(SCORES, "holds its header only: no scores (leave the file out to have the scorer "
                                  "derive image scores from the maps)")
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
            if id_problem(image_id):
                self._problem(SCORES, f"line {line}: {id_problem(image_id)}")
                continue
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

    def read_mask(self, image_id: str, gt_shape: tuple[int, int] | None = None) -> np.ndarray:
        """The stored uint8 map of one image (hash and PNG mode checked), or a DataError. With
        `gt_shape` the map's declared size is checked against it before decoding."""
        if self.rle:
            return decode_rle(self.rle[image_id], f"{self.where(RLE)}[{image_id}]", gt_shape)
        name = self.masks[image_id]
        data = self.read(name)
        if name in self.hashes and sha256_hex(data) != self.hashes[name]:
            raise DataError(self.where(name), "SHA-256 does not match the manifest (file changed after packing)")
        mask = decode_mask_png(data, self.where(name), gt_shape)
        if self.task == "semantic" and mask.max(initial=0) > len(self.generators):
            raise DataError(self.where(name), f"class id {int(mask.max())} is outside the generator map "
                                              f"(0..{len(self.generators)})")
        return mask

    def mask_where(self, image_id: str) -> str:
        return self.where(self.masks[image_id]) if self.masks else f"{self.where(RLE)}[{image_id}]"

    def extra_manifest(self) -> dict:
        """The optional fields the format defines (training info such as train_generators)."""
        return {k: v for k, v in self.manifest.items() if k in EXTRA_FIELDS}

    def describe(self) -> dict:
        """What a result records of the submission: the manifest's SHA-256 and its extra fields."""
        return {"manifest_sha256": sha256_hex(self.read(MANIFEST)), **self.extra_manifest()}


def load_json(data: bytes, where: str):
    """Parse JSON, or raise a DataError naming the file (also for nesting deep enough to overflow
    the parser's recursion)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise DataError(where, f"not valid JSON ({type(exc).__name__}: {str(exc)[:200]})") from None


def _fits(value, kind) -> bool:
    """A manifest value of `kind` within the size limits (lists hold short texts)."""
    if kind is list:
        return (isinstance(value, list) and len(value) <= MAX_LIST_ITEMS
                and all(isinstance(v, str) and len(v) <= MAX_FIELD_CHARS for v in value))
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str) and len(value) <= MAX_FIELD_CHARS


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
        if writer.zip is not None:
            writer.zip.close()
        raise
    return out
