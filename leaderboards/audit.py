"""The leak audit of a participant bundle (`bench leaderboard audit BUNDLE --gt PACK`, also run by
`freeze` on every hidden track's bundle): simple attacks that read no pixels, and the pair
difference attack, each scored by its AP against the pack's truth.

Attacks that read no pixels (each part of the bundle), every one a detector of "edited":
    name tokens       the words of each file's path (split at / _ . - + = and spaces), each
                      word's share of edited images learnt on the other folds of a 5-fold split,
                      averaged per file
    file size         the size in bytes (either direction), and each exact size as a category
    format            the container and its encoding: PNG header fields, chunk sequence and zlib
                      header, JPEG markers and quantisation tables, or the magic bytes
    image size        width x height as a category, and the pixel count (either direction)
    listing position  the position in the listing sorted by name (either direction)
    file times        the modification time (either direction)
Categories and tokens are learnt out of fold, so a name unique to one file teaches nothing.

The pair difference attack (clean part; every part shows the same images): each image's nearest
neighbour of the same size by a 16 x 16 grey thumbnail; where at least half of their pixels agree
within 8 grey levels they are a pair, and max over channels |image - neighbour| is the attack's
map of the image. Its pixel AP against the edited pixels of the truth, over every image with
per-pixel truth (no pair: a map of zeros).

At chance: an attack is a leak when its AP exceeds chance (the share of edited images; of edited
pixels for the pair attack) by more than TOLERANCE = 0.02 and, for the attacks that read no
pixels, a permutation test tells it from chance at the 0.1 % level: its AP is above that of the
same attack, learnt again, on every one of 999 random relabellings of the files. An attack whose
feature is the same for every file scores exactly chance.
"""
from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from benchmark.errors import BenchError

from .gtpack import GTPack

TOLERANCE = 0.02
ALPHA = 0.001
PERMUTATIONS = 999
FOLDS = 5
SEED = 0
SAME_LEVELS = 8     # a pixel agrees with its neighbour's within this many grey levels (max over channels)
SAME_SHARE = 0.5    # two images of which this share of pixels agree are an original and its edit
THUMB = 16
BATCH = 200         # relabellings learnt at once (bounds the memory of the token tables)
FILE_ATTACKS = ("name tokens", "file size", "format", "image size", "listing position", "file times")
PAIR_ATTACK = "pair difference"


@dataclass(frozen=True)
class Finding:
    part: str
    attack: str
    ap: float | None      # None: undefined (one label only)
    chance: float | None
    p_value: float | None  # None for the pair attack (no permutation) and undefined APs
    leak: bool
    detail: str = ""

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class BundleFile:
    path: Path
    rel: str          # path below the part's folder, as a participant lists it
    image_id: str
    label: int


def audit(bundle: str | os.PathLike, pack: GTPack, progress: bool = False) -> list[Finding]:
    """Every attack on every part of `bundle`, judged against `pack`'s truth."""
    bundle = Path(bundle)
    parts = [d for d in sorted(bundle.iterdir()) if (d / "images").is_dir()] if bundle.is_dir() else []
    if not parts:
        raise BenchError(f"{bundle}: not a participant bundle (no PART/images/ folders)")
    findings = []
    for part in parts:
        files = bundle_files(part, pack)
        findings += file_attacks(part.name, files)
        if part.name == "clean" or ("clean" not in {p.name for p in parts} and part == parts[0]):
            findings.append(pair_attack(part.name, files, pack, progress))
    return findings


def leaks(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.leak]


def bundle_files(part: Path, pack: GTPack) -> list[BundleFile]:
    """The images of one part, each with its id and label; every image of the pack once."""
    labels = {r.image_id: r.label for r in pack.records}
    images = part / "images"
    out, seen = [], set()
    for path in sorted(p for p in images.rglob("*") if p.is_file()):
        stem = path.relative_to(images).with_suffix("").as_posix()
        image_id = pack.ids_by_name.get(stem) if pack.ids_by_name is not None else stem
        if image_id not in labels:
            raise BenchError(f"{path}: not an image of the GT pack {pack.path} (another bundle?)")
        seen.add(image_id)
        out.append(BundleFile(path, path.relative_to(part).as_posix(), image_id, labels[image_id]))
    if len(seen) != len(labels) or len(out) != len(labels):
        raise BenchError(f"{part}: holds {len(out)} image(s) for the pack's {len(labels)} (another bundle?)")
    return out


# -- attacks that read no pixels ------------------------------------------------------------
def file_attacks(part: str, files: Sequence[BundleFile]) -> list[Finding]:
    y = np.array([f.label for f in files], bool)
    stats = [f.path.stat() for f in files]
    heads = [_header(f.path) for f in files]
    sizes = np.array([s.st_size for s in stats], float)
    pixels = np.array([h[1][0] * h[1][1] if h[1] else -1 for h in heads], float)
    position = np.argsort(np.argsort([f.rel for f in files], kind="stable")).astype(float)
    times = np.array([s.st_mtime_ns for s in stats], float)
    candidates: dict[str, list[Callable[[np.ndarray], np.ndarray]]] = {
        "name tokens": [_learnt([[t for t in re.split(r"[/_.\-+= ]+", f.rel) if t] for f in files])],
        "file size": [*_either_way(sizes), _learnt([[str(int(s))] for s in sizes])],
        "format": [_learnt([[h[0]] for h in heads])],
        "image size": [_learnt([[f"{h[1][1]}x{h[1][0]}" if h[1] else "?"] for h in heads]), *_either_way(pixels)],
        "listing position": _either_way(position),
        "file times": _either_way(times),
    }
    return [_judge(part, attack, candidates[attack], y) for attack in FILE_ATTACKS]


def _judge(part: str, attack: str, candidates: list[Callable[[np.ndarray], np.ndarray]], y: np.ndarray) -> Finding:
    """The attack's AP (the best of its candidates) on the true labels, and its permutation p-value."""
    chance = float(y.mean()) if y.size else None
    if y.size == 0 or y.all() or not y.any():
        return Finding(part, attack, None, chance, None, False, "one label only: AP undefined")
    rng = np.random.default_rng(SEED)
    labels = np.stack([y] + [rng.permutation(y) for _ in range(PERMUTATIONS)], axis=1)
    best = np.concatenate([np.max([_aps(score(batch), batch) for score in candidates], axis=0)
                           for batch in np.array_split(labels, range(BATCH, labels.shape[1], BATCH), axis=1)])
    observed = float(best[0])
    p = float((1 + np.count_nonzero(best[1:] >= observed - 1e-12)) / (1 + PERMUTATIONS))
    leak = observed - chance > TOLERANCE and p <= ALPHA
    return Finding(part, attack, observed, chance, p, leak)


def _either_way(values: np.ndarray) -> list[Callable[[np.ndarray], np.ndarray]]:
    """The feature as a score, higher or lower meaning edited (labels do not change it)."""
    return [lambda labels, v=values: v[:, None], lambda labels, v=values: -v[:, None]]


def _learnt(tokens: Sequence[Sequence[str]]) -> Callable[[np.ndarray], np.ndarray]:
    """Out-of-fold target encoding: each file scores the mean, over its tokens, of the token's
    share of edited files in the other folds (smoothed towards the share of edited files overall).
    A token of one file is never seen out of fold, and one of every file tells nothing: both count
    as that overall share, so a feature the files do not differ in scores them all alike."""
    from scipy import sparse

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, toks in enumerate(tokens):
        for t in set(toks):
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
    n = len(tokens)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(vocab)))
    per_file = np.asarray(matrix.sum(1)).ravel()[:, None]
    files_with = np.asarray(matrix.sum(0)).ravel()
    matrix = matrix[:, np.flatnonzero((files_with > 1) & (files_with < n))].tocsr()
    folds = np.random.default_rng(SEED).permutation(np.arange(n) % FOLDS)

    def score(labels: np.ndarray) -> np.ndarray:
        overall = labels.mean(0)  # the same for every relabelling: a constant, which ranks no file
        out = np.zeros(labels.shape, float)
        for k in range(FOLDS):
            test, train = folds == k, folds != k
            if not test.any():
                continue
            count = np.asarray(matrix[train].sum(0)).ravel()[:, None]
            share = (matrix[train].T @ labels[train].astype(float) + overall) / (count + 1)
            seen = np.asarray(matrix[test].sum(1)).ravel()[:, None]
            out[test] = (matrix[test] @ share + (per_file[test] - seen) * overall) / np.maximum(per_file[test], 1)
        return np.round(out, 12)  # a mean of equal shares is the same number whatever the count of tokens
    return score


def _aps(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """AP (sklearn's, ties sharing a step) of each column of `scores` against the same column of
    `labels`; a score column shared by all label columns is sorted once."""
    if scores.shape[1] == 1:
        order = np.argsort(-scores[:, 0], kind="mergesort")
        s = scores[order, 0]
        ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
        tps = np.cumsum(labels[order], axis=0)[ends]
        return _ap_from_steps(tps, (ends + 1)[:, None] - tps)
    out = np.empty(labels.shape[1])
    for b in range(labels.shape[1]):
        order = np.argsort(-scores[:, b], kind="mergesort")
        s = scores[order, b]
        ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
        tps = np.cumsum(labels[order, b])[ends]
        out[b] = _ap_from_steps(tps[:, None], (ends + 1)[:, None] - tps[:, None])[0]
    return out


def _ap_from_steps(tps: np.ndarray, fps: np.ndarray) -> np.ndarray:
    precision = tps / np.maximum(tps + fps, 1)
    recall = np.vstack([np.zeros((1, tps.shape[1])), tps / np.maximum(tps[-1], 1)])
    return np.sum(np.diff(recall, axis=0) * precision, axis=0)


def _header(path: Path) -> tuple[str, tuple[int, int] | None]:
    """(the file's format and encoding as one text, its (height, width) if the header says it),
    read from the header and chunk or segment boundaries only: no pixel is decoded."""
    with open(path, "rb") as f:
        head = f.read(8)
        if head == b"\x89PNG\r\n\x1a\n":
            return _png_header(f)
        if head[:2] == b"\xff\xd8":
            f.seek(2)
            return _jpeg_header(f)
    return f"magic {head.hex()}", None


def _png_header(f) -> tuple[str, tuple[int, int] | None]:
    kinds, size, fields, zhead = [], None, "", ""
    while True:
        top = f.read(8)
        if len(top) < 8:
            break
        length, kind = struct.unpack(">I4s", top)
        kind = kind.decode("latin-1")
        if kind == "IHDR":
            data = f.read(length)
            w, h, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", data[:13])
            size, fields = (h, w), f"{depth}-bit colour {colour} compression {comp} filter {filt} interlace {interlace}"
            f.seek(4, 1)
        elif kind == "IDAT" and not zhead:
            zhead = f.read(2).hex()
            f.seek(length - 2 + 4, 1)
        else:
            f.seek(length + 4, 1)
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
        if kind == "IEND":
            break
    return f"png {fields} chunks {'-'.join(kinds)} zlib {zhead}", size


def _jpeg_header(f) -> tuple[str, tuple[int, int] | None]:
    import hashlib

    markers, size, tables = [], None, hashlib.sha256()
    while True:
        top = f.read(4)
        if len(top) < 4 or top[0] != 0xFF:
            break
        marker, length = top[1], struct.unpack(">H", top[2:])[0]
        markers.append(f"{marker:02x}")
        data = f.read(length - 2)
        if marker == 0xDB:
            tables.update(data)  # the quantisation tables: the encoder's quality, not the pixels
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and len(data) >= 5:
            size = struct.unpack(">HH", data[1:5])
        if marker == 0xDA:
            break
    return f"jpeg markers {'-'.join(markers)} tables {tables.hexdigest()[:16]}", size


# -- the pair difference attack -------------------------------------------------------------
def pair_attack(part: str, files: Sequence[BundleFile], pack: GTPack, progress: bool = False) -> Finding:
    """Pixel AP of |image - its near-duplicate| against the truth's edited pixels."""
    import cv2

    from benchmark.metrics.ranking import average_precision_from_cumulative, cumulative_from_histograms
    from benchmark.progress import track

    by_id = {r.image_id: r for r in pack.records}
    targets = pack.targets()
    thumbs, shapes = [], []
    for f in track(files, f"pair attack {part}: thumbnails", enabled=progress):
        image = _read(f.path)
        shapes.append(image.shape[:2])
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        thumbs.append(cv2.resize(grey, (THUMB, THUMB), interpolation=cv2.INTER_AREA).ravel())
    partner = _nearest(np.array(thumbs), shapes)
    pos, neg = np.zeros(256, np.int64), np.zeros(256, np.int64)
    pairs = 0
    for i, f in enumerate(track(files, f"pair attack {part}: differences", enabled=progress)):
        mask = targets.load_target(by_id[f.image_id]).mask
        diff = None
        if partner[i] >= 0:
            a, b = _read(f.path), _read(files[partner[i]].path)
            d = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(2).astype(np.uint8)
            if np.mean(d <= SAME_LEVELS) >= SAME_SHARE:
                diff, pairs = d, pairs + 1
        if diff is None:
            diff = np.zeros(mask.shape, np.uint8)
        elif diff.shape != mask.shape:
            diff = cv2.resize(diff, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_NEAREST)
        edited, real = (mask >= 1) & (mask < 255), mask == 0
        pos += np.bincount(diff[edited], minlength=256)
        neg += np.bincount(diff[real], minlength=256)
    total = pos.sum() + neg.sum()
    if pos.sum() == 0 or total == 0:
        return Finding(part, PAIR_ATTACK, None, None, None, False, "no edited pixels in the truth: AP undefined")
    ap = average_precision_from_cumulative(*cumulative_from_histograms(pos, neg))
    chance = float(pos.sum() / total)
    return Finding(part, PAIR_ATTACK, ap, chance, None, ap - chance > TOLERANCE,
                   f"{pairs} image(s) with a near-duplicate")


def _read(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise BenchError(f"{path}: not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _nearest(thumbs: np.ndarray, shapes: Sequence[tuple[int, int]]) -> np.ndarray:
    """Each image's nearest other image of the same size by thumbnail (-1 when it is alone)."""
    partner = np.full(len(shapes), -1)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, shape in enumerate(shapes):
        groups.setdefault(tuple(shape), []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        idx = np.array(members)
        x = thumbs[idx]
        norms = (x * x).sum(1)
        for start in range(0, len(idx), 1024):
            block = x[start:start + 1024]
            dist = norms[start:start + 1024, None] + norms[None, :] - 2 * block @ x.T
            dist[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf
            partner[idx[start:start + len(block)]] = idx[np.argmin(dist, axis=1)]
    return partner

