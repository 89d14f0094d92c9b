"""Reading a predictions folder or zip (`spec.py` describes the format) without decoding a mask:
the manifest and the file list are checked when it is opened, every other problem is collected
in `problems` (each with its code, `problems.py`), and masks are decoded one at a time by the
scorer (`read_mask`), which finds what only decoding can."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import zipfile
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np

from benchmark.datasets.base import canonical_split
from benchmark.datasets.ids import id_problem
from benchmark.datasets.stores import DirStore, ZipStore
from benchmark.errors import BenchError, DataError
from benchmark.hashing import sha256_hex
from benchmark.limits import (MAX_COMPRESSION_RATIO, MAX_FIELD_CHARS, MAX_LIST_ITEMS, MAX_MANIFEST_BYTES,
                              MAX_MEMBER_BYTES, RATIO_CHECKED_ABOVE)
from benchmark.tasks import LOCALIZATION_TASKS, TASKS

from .codecs import decode_mask_png, decode_rle, rle_size
from .problems import Problem, ProblemError
from .spec import EXTRA_FIELDS, MANIFEST, MASK_DIR, OWN_FIELDS, REQUIRED, RLE, SCORES, TEXT_FIELDS

HASH_MISMATCH = "SHA-256 does not match the manifest (file changed after packing)"


class Predictions:
    """A predictions folder or zip, opened without decoding any mask.

    Structural problems (manifest fields, missing/extra/duplicate files, hashes of scores.csv and
    masks.json, bad scores) are collected in `problems`; per-mask problems (unreadable PNG, wrong
    mode, hash mismatch, values) come from `read_mask`, so that scoring finds them while decoding.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.problems: list[Problem] = []
        if self.path.is_dir():
            self.store = DirStore(self.path)
        elif self.path.is_file() and zipfile.is_zipfile(self.path):
            self.store = ZipStore(self.path)
        elif self.path.exists():
            raise ProblemError("invalid_predictions", str(self.path), "predictions must be a folder or a .zip archive")
        else:
            raise ProblemError("invalid_predictions", str(self.path), "predictions not found")
        try:
            names = self.store.names()
        except DataError as exc:
            raise ProblemError("truncated_archive", exc.file, exc.problem) from None
        manifests = [n for n in names if n == MANIFEST or n.endswith("/" + MANIFEST)]
        # A zip made of the folder itself holds `name/manifest.json`: read below that prefix.
        top = min(manifests, key=len, default=None)
        if top is None:
            raise ProblemError("invalid_predictions", self.store.where(MANIFEST), "no manifest.json in the predictions")
        self.prefix = top[: -len(MANIFEST)]
        self.names = [n[len(self.prefix):] for n in names if n.startswith(self.prefix)]
        self.manifest = self._read_manifest()
        self.task: str = self.manifest["task"]
        self.dataset: str = self.manifest["dataset"]
        # Older manifests name the dataset only: its spec is then the adapter with no options.
        self.dataset_spec: str = str(self.manifest.get("dataset_spec", self.dataset))
        self.split: str = canonical_split(self.manifest["split"])
        self.method: str = self.manifest["method"]
        self.distortion: str = self._read_distortion()
        self.generators: list[str] = self._read_generators()
        self.hashes: dict[str, str] = {str(k): str(v) for k, v in self.manifest["files"].items()}
        self.masks: dict[str, str] = {}
        self.rle: dict[str, dict] = {}
        self.scores: dict[str, float] = {}
        self._index()

    # -- structure ------------------------------------------------------------------------
    def where(self, name: str) -> str:
        return self.store.where(self.prefix + name)

    def read(self, name: str, max_bytes: int = MAX_MEMBER_BYTES) -> bytes:
        """A member's bytes, refused before inflating when its declared size or ratio is over the caps."""
        member, where = self.prefix + name, self.where(name)
        if isinstance(self.store, ZipStore):
            try:
                info = self.store.zip.getinfo(member)
            except KeyError:
                raise ProblemError("truncated_archive", where, "not in the archive") from None
            if info.file_size > max_bytes:
                raise ProblemError("member_too_large", where, f"member of {info.file_size} bytes (uncompressed) is "
                                                              f"over the cap of {max_bytes}")
            if info.file_size > RATIO_CHECKED_ABOVE and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
                raise ProblemError("compression_ratio", where,
                                   f"member inflates {info.file_size / max(info.compress_size, 1):.0f}-fold, over the "
                                   f"cap of {MAX_COMPRESSION_RATIO:g} (a zip bomb?)")
            code = "truncated_archive"
        else:
            try:
                size = (self.path / member).stat().st_size
            except OSError as exc:
                raise ProblemError("invalid_predictions", where, f"cannot read ({exc.strerror})") from None
            if size > max_bytes:
                raise ProblemError("member_too_large", where, f"file of {size} bytes is over the cap of {max_bytes}")
            code = "invalid_predictions"
        try:
            return self.store.read(member)
        except DataError as exc:
            raise ProblemError(code, exc.file, exc.problem) from None

    def _problem(self, code: str, name: str, problem: str) -> None:
        self.problems.append(Problem(code, self.where(name), problem))

    def _read_manifest(self) -> dict:
        where = self.where(MANIFEST)
        manifest = load_json(self.read(MANIFEST, MAX_MANIFEST_BYTES), where)

        def bad(problem: str) -> ProblemError:
            return ProblemError("invalid_predictions", where, problem)

        if not isinstance(manifest, dict):
            raise bad("must hold a JSON object")
        missing = [k for k in REQUIRED if k not in manifest]
        if missing:
            raise bad(f"missing field(s) {', '.join(missing)}")
        for key in TEXT_FIELDS:
            if key in manifest and not (isinstance(manifest[key], str) and 0 < len(manifest[key]) <= MAX_FIELD_CHARS):
                raise bad(f"'{key}' must be a text of 1 to {MAX_FIELD_CHARS} characters")
        if manifest["task"] not in TASKS:
            raise bad(f"task '{manifest['task']}' (known: {', '.join(TASKS)})")
        files = manifest["files"]
        if not isinstance(files, dict) or not all(
                isinstance(k, str) and len(k) <= MAX_FIELD_CHARS and isinstance(v, str) and len(v) == 64
                for k, v in files.items()):
            raise bad("'files' must map each file name to its SHA-256 (64 hex digits)")
        self.ignored_fields = sorted(k for k in manifest if k not in OWN_FIELDS and k not in EXTRA_FIELDS)
        for key, kind in EXTRA_FIELDS.items():
            if key in manifest and not _fits(manifest[key], kind):
                raise bad(f"'{key}' must be {'a list of short texts' if kind is list else kind.__name__} "
                          f"(at most {MAX_FIELD_CHARS} characters, {MAX_LIST_ITEMS} items)")
        return manifest

    def _read_distortion(self) -> str:
        """The manifest's distortion as its canonical spec ('clean' when it names none)."""
        from benchmark.distortions.base import canonical

        try:
            return canonical(self.manifest.get("distortion"))
        except BenchError as exc:
            raise ProblemError("invalid_predictions", self.where(MANIFEST), f"'distortion': {exc}") from None

    def _read_generators(self) -> list[str]:
        raw = self.manifest["generators"]
        where = self.where(MANIFEST)
        if not _fits(raw, list) and not (isinstance(raw, dict) and len(raw) <= MAX_LIST_ITEMS
                                         and _fits(list(raw.values()), list)):
            raise ProblemError("invalid_predictions", where, "'generators' must map class ids to names (or list the names)")
        if isinstance(raw, list):
            return list(raw)
        try:
            ids = sorted(int(k) for k in raw if int(k) != 0)
        except (TypeError, ValueError, AttributeError):
            raise ProblemError("invalid_predictions", where, "'generators' must map class ids to names") from None
        if ids != list(range(1, len(ids) + 1)):
            raise ProblemError("invalid_predictions", where, f"generator ids must run 1..K without gaps, got {ids}")
        return [str(raw[str(i)]) for i in ids]

    def _index(self) -> None:
        counts = Counter(self.names)
        for name, n in counts.items():
            if n > 1:
                self._problem("duplicate_member", name, f"stored {n} times in the archive")
        present = set(counts)
        for name in sorted(set(self.hashes) - present):
            self._problem("invalid_predictions", name, "listed in the manifest but missing")
        for name in sorted(present - set(self.hashes) - {MANIFEST}):
            self._problem("invalid_predictions", name, "present but not listed in the manifest (extra file)")
        pngs = [n for n in sorted(present) if n.startswith(MASK_DIR)]
        if pngs and RLE in present:
            self._problem("invalid_predictions", RLE, "give masks either as masks/*.png or as masks.json, not both")
        seen: dict[str, str] = {}
        for name in pngs:
            stem, ext = os.path.splitext(name[len(MASK_DIR):])
            if ext.lower() != ".png":
                self._problem("invalid_predictions", name, "unexpected file under masks/ (expected masks/{image_id}.png)")
            elif id_problem(stem):
                self._problem("invalid_predictions", name, id_problem(stem))
            elif stem.lower() in seen:
                self._problem("duplicate_member", name, f"duplicate image id (also {seen[stem.lower()]})")
            else:
                seen[stem.lower()] = name
                self.masks[stem] = name
        if RLE in present:
            self._index_rle()
        if SCORES in present:
            self._read_scores()
        if self.task != "detection" and not (self.masks or self.rle):
            self._problem("invalid_predictions", MASK_DIR, f"no masks for a {self.task} task")
        if self.task == "detection" and not self.scores:
            self._problem("invalid_predictions", SCORES, "a detection task needs scores.csv")

    def checked(self, name: str) -> bytes:
        """A listed member's bytes, its SHA-256 checked against the manifest (a ProblemError otherwise)."""
        data = self.read(name)
        if name in self.hashes and sha256_hex(data) != self.hashes[name]:
            raise ProblemError("hash_mismatch", self.where(name), HASH_MISMATCH)
        return data

    def _checked_bytes(self, name: str) -> bytes | None:
        try:
            return self.checked(name)
        except ProblemError as exc:
            self.problems.append(exc.problem_line)
            return None

    def _index_rle(self) -> None:
        data = self._checked_bytes(RLE)
        if data is None:
            return
        if self.task != "binary":
            self._problem("invalid_predictions", RLE, f"RLE masks are hard binary masks; the {self.task} task needs PNG masks")
            return
        try:
            entries = load_json(data, self.where(RLE))
        except ProblemError as exc:
            self.problems.append(exc.problem_line)
            return
        if not isinstance(entries, list):
            self._problem("invalid_predictions", RLE, "must hold a list of {\"image_id\", \"segmentation\"} objects")
            return
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "image_id" not in entry or "segmentation" not in entry:
                self._problem("invalid_predictions", RLE, f"entry {i} lacks image_id or segmentation")
                continue
            image_id = entry["image_id"]
            if id_problem(image_id):
                self._problem("invalid_predictions", RLE, f"entry {i}: {id_problem(image_id)}")
                continue
            try:
                rle_size(entry["segmentation"])
            except ValueError as exc:
                self._problem("invalid_predictions", RLE, f"entry {i} ({image_id}): {exc}")
                continue
            if image_id in self.rle:
                self._problem("duplicate_member", RLE, f"duplicate image id {image_id} (entry {i})")
            else:
                self.rle[image_id] = entry["segmentation"]

    def _read_scores(self) -> None:
        data = self._checked_bytes(SCORES)
        if data is None:
            return
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        except UnicodeDecodeError:
            self._problem("invalid_predictions", SCORES, "not UTF-8 text")
            return
        except csv.Error as exc:  # a field over the csv module's limit, a NUL byte, stray CR line ends
            self._problem("invalid_predictions", SCORES, f"not a readable CSV ({exc})")
            return
        if not rows or rows[0][:2] != ["image_id", "score"]:
            self._problem("invalid_predictions", SCORES, "header must start with image_id,score")
            return
        if not any(rows[1:]):
            self._problem("invalid_predictions", SCORES, "holds its header only: no scores (leave the file out to have "
                                                         "the scorer derive image scores from the maps)")
            return
        for line, row in enumerate(rows[1:], 2):
            if not row:
                continue
            if len(row) != len(rows[0]):
                self._problem("invalid_predictions", SCORES, f"line {line}: {len(row)} fields, the header has {len(rows[0])}")
                continue
            image_id, text = row[0], row[1]
            if id_problem(image_id):
                self._problem("invalid_predictions", SCORES, f"line {line}: {id_problem(image_id)}")
                continue
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or not 0.0 <= value <= 1.0:
                self._problem("bad_score", SCORES, f"line {line} ({image_id}): score '{text}' is not a probability in [0, 1]")
            if image_id in self.scores:
                self._problem("duplicate_member", SCORES, f"line {line}: duplicate image id {image_id}")
                continue
            self.scores[image_id] = value

    # -- contents -------------------------------------------------------------------------
    @property
    def maps(self) -> bool:
        """Whether the task stores a map per image (binary, semantic); detection stores scores only."""
        return self.task in LOCALIZATION_TASKS

    @property
    def ids(self) -> list[str]:
        return sorted(self.masks or self.rle or self.scores)

    def check_ids(self, expected: Iterable[str]) -> None:
        """Record every image id missing from, or not part of, the expected split."""
        expected = set(expected)
        if self.task != "detection":
            have, where = set(self.masks or self.rle), (MASK_DIR if self.masks else RLE)
            self._compare_ids(where, have, expected, "mask")
        if self.scores:
            self._compare_ids(SCORES, set(self.scores), expected, "score")

    def _compare_ids(self, where: str, have: set, expected: set, what: str) -> None:
        for kind, ids in (("missing", expected - have), ("extra", have - expected)):
            if ids:
                shown = ", ".join(sorted(ids)[:5]) + (", ..." if len(ids) > 5 else "")
                verb = "no prediction for" if kind == "missing" else "not in the split:"
                self._problem("wrong_ids", where, f"{len(ids)} {kind} {what}(s), {verb} {shown}")

    def read_mask(self, image_id: str, gt_shape: tuple[int, int] | None = None) -> np.ndarray:
        """The stored uint8 map of one image (hash and PNG mode checked), or a ProblemError. With
        `gt_shape` the map's declared size is checked against it before decoding."""
        if self.rle:
            return decode_rle(self.rle[image_id], f"{self.where(RLE)}[{image_id}]", gt_shape)
        name = self.masks[image_id]
        mask = decode_mask_png(self.checked(name), self.where(name), gt_shape)
        if self.task == "semantic" and mask.max(initial=0) > len(self.generators):
            raise ProblemError("invalid_predictions", self.where(name),
                               f"class id {int(mask.max())} is outside the generator map (0..{len(self.generators)})")
        return mask

    def extra_manifest(self) -> dict:
        """The optional fields the format defines (training info such as train_generators)."""
        return {k: v for k, v in self.manifest.items() if k in EXTRA_FIELDS}

    def describe(self) -> dict:
        """What a result records of the submission: the manifest's SHA-256 and its extra fields."""
        return {"manifest_sha256": sha256_hex(self.read(MANIFEST)), **self.extra_manifest()}


def load_json(data: bytes, where: str):
    """Parse JSON, or raise a ProblemError naming the file (also for nesting deep enough to
    overflow the parser's recursion)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ProblemError("invalid_predictions", where,
                           f"not valid JSON ({type(exc).__name__}: {str(exc)[:200]})") from None


def _fits(value, kind) -> bool:
    """A manifest value of `kind` within the size limits (lists hold short texts)."""
    if kind is list:
        return (isinstance(value, list) and len(value) <= MAX_LIST_ITEMS
                and all(isinstance(v, str) and len(v) <= MAX_FIELD_CHARS for v in value))
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str) and len(value) <= MAX_FIELD_CHARS
