"""Screening an uploaded submission before it is queued: first the archive itself, read from its
central directory alone (names that leave their folder, links, duplicates, declared sizes and
ratios, a cut-off file), then each part through the hardened predictions reader against the
track's GT pack (manifest, ids, scores, hashes, and every mask's declared size against its ground
truth image, read from the PNG header without decoding). The first problem found is refused with
its code; the archive is never extracted, so nothing of it is written anywhere."""
from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from benchmark.errors import BenchError
from benchmark.limits import MAX_COMPRESSION_RATIO, MAX_MEMBER_BYTES, RATIO_CHECKED_ABOVE

from .codes import Rejected
from .gtpack import GTPack

PNG_HEADER_BYTES = 33  # signature + IHDR: enough for width, height, depth and colour type


@dataclass(frozen=True)
class Caps:
    """What one upload may hold; the server's defaults suit masks of a few thousand images."""

    upload_bytes: int = 256 << 20     # the multipart body as sent
    archive_bytes: int = 2 << 30      # one archive, every member uncompressed
    members: int = 200_000            # members of one archive
    files: int = 16                   # archives of one submission (one per part)


def screen_archive(path: Path, caps: Caps, shown: str) -> None:
    """Refuse an archive whose structure is hostile or broken; `shown` names it in messages."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4)
    if not zipfile.is_zipfile(path):
        if head == b"PK\x03\x04":
            raise Rejected("truncated_archive", f"{shown}: the zip archive is cut off (no central directory)")
        raise Rejected("not_a_zip", f"{shown}: not a zip archive (bench pack --out NAME.zip writes one)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Rejected("truncated_archive", f"{shown}: unreadable zip archive ({exc})") from None
    if len(infos) > caps.members:
        raise Rejected("too_many_members", f"{shown}: {len(infos)} members, over the cap of {caps.members}")
    seen: Counter = Counter()
    total = compressed = 0
    for info in infos:
        name = info.filename
        parts = re.split(r"[\\/]", name)
        if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
            raise Rejected("absolute_path", f"{shown}: member '{_short(name)}' has an absolute path")
        if ".." in parts or "\x00" in name:
            raise Rejected("path_traversal", f"{shown}: member '{_short(name)}' leaves its folder")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise Rejected("symlink", f"{shown}: member '{_short(name)}' is a symbolic link")
        key = "/".join(p for p in parts if p not in ("", ".")).casefold()
        seen[key] += 1
        if seen[key] > 1:
            raise Rejected("duplicate_member", f"{shown}: member '{_short(name)}' is stored more than once")
        if info.header_offset + info.compress_size > size:
            raise Rejected("truncated_archive", f"{shown}: member '{_short(name)}' runs past the end of the file")
        if info.file_size > MAX_MEMBER_BYTES:
            raise Rejected("member_too_large", f"{shown}: member '{_short(name)}' of {info.file_size} bytes "
                                               f"(uncompressed) is over the cap of {MAX_MEMBER_BYTES}")
        if info.file_size > RATIO_CHECKED_ABOVE and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise Rejected("compression_ratio", f"{shown}: member '{_short(name)}' inflates "
                                                f"{info.file_size / max(info.compress_size, 1):.0f}-fold, over the cap "
                                                f"of {MAX_COMPRESSION_RATIO} (a zip bomb?)")
        total += info.file_size
        compressed += info.compress_size
    if total > caps.archive_bytes:
        raise Rejected("archive_too_large", f"{shown}: {total} bytes uncompressed, over the cap of {caps.archive_bytes}")
    if total > RATIO_CHECKED_ABOVE and total > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise Rejected("compression_ratio", f"{shown}: the archive inflates {total / max(compressed, 1):.0f}-fold, "
                                            f"over the cap of {MAX_COMPRESSION_RATIO} (a zip bomb?)")


class Screener:
    """Checks uploads against one track's GT pack (its ids and each ground truth's size, read once)."""

    def __init__(self, pack: GTPack):
        from benchmark.datasets.ids import id_path
        from benchmark.predictions.codecs import png_size

        self.pack = pack
        self.ids = [r.image_id for r in pack.records]
        self.shapes: dict[str, tuple[int, int]] = {}
        for image_id in self.ids:
            with open(id_path(pack.path / "masks", image_id, ".png"), "rb") as f:
                size = png_size(f.read(PNG_HEADER_BYTES))
            if size is None:
                raise BenchError(f"GT pack {pack.path}: the mask of {image_id} is not a PNG")
            self.shapes[image_id] = size

    def check(self, paths: Sequence[Path], caps: Caps, split_hash: str | None = None) -> str:
        """Refuse the submission unless every part fits the track; return its method."""
        track = self.pack.track
        if split_hash is not None and split_hash != self.pack.split_hash:
            raise Rejected("wrong_split_hash", f"made for split hash {split_hash[:12]}, track {track.name} is frozen "
                                               f"at {self.pack.split_hash[:12]} (an old or another bundle?)")
        shown = {path: f"file {k + 1}" for k, path in enumerate(paths)}
        for path in paths:
            screen_archive(path, caps, shown[path])
        parts: dict[str, Path] = {}
        methods = set()
        for path in paths:
            part, method = self._check_part(path, shown[path])
            if part in parts:
                raise Rejected("wrong_track", f"{shown[path]}: a second part for '{part}' (also {shown[parts[part]]})")
            parts[part] = path
            methods.add(method)
        missing = [p for p in track.parts if p not in parts]
        if missing:
            raise Rejected("wrong_track", f"partial submission: no predictions for {', '.join(missing)} "
                                          f"(track {track.name} scores {', '.join(track.parts)})")
        if len(methods) > 1:
            raise Rejected("wrong_track", f"the parts name different methods: {', '.join(sorted(methods))}")
        return methods.pop()

    def _check_part(self, path: Path, shown: str) -> tuple[str, str]:
        from benchmark.predictions.problems import PredictionsError, ProblemError
        from benchmark.predictions.reader import Predictions
        from benchmark.predictions.validate import check_against

        track = self.pack.track
        try:
            preds = Predictions(path)
            part = preds.distortion
        except ProblemError as exc:
            raise Rejected(exc.code, _shown(str(exc), path, shown)) from None
        if part not in track.parts:
            raise Rejected("wrong_track", f"{shown}: made under distortion '{part}'; track {track.name} takes "
                                          f"{', '.join(track.parts)}")
        if preds.task not in track.accepts:
            raise Rejected("wrong_track", f"{shown}: a {preds.task} submission; track {track.name} takes "
                                          f"{', '.join(track.accepts)}")
        check_against(preds, self.pack.spec, self.pack.split, self.pack.generators, self.ids)
        if preds.problems:
            # The most specific problem speaks for the part: a hostile score before a missing id.
            error = PredictionsError(path, preds.problems)
            message = f"{shown}: {len(preds.problems)} problem(s); {_shown(error.first, path, shown)}"
            raise Rejected(error.code, message)
        self._check_sizes(preds, path, shown)
        return part, preds.method

    def _check_sizes(self, preds, path: Path, shown: str) -> None:
        from benchmark.predictions.codecs import map_size_problem, png_size, rle_size

        if preds.task == "detection":
            return
        try:
            with zipfile.ZipFile(path) as archive:
                for image_id in preds.ids:
                    if preds.rle:
                        size = rle_size(preds.rle[image_id])
                    else:
                        with archive.open(preds.prefix + preds.masks[image_id]) as f:
                            size = png_size(f.read(PNG_HEADER_BYTES))
                    if size is None:
                        raise Rejected("invalid_predictions", f"{shown}: the mask of {image_id} is not a PNG file")
                    problem = map_size_problem(size, self.shapes[image_id])
                    if problem:
                        raise Rejected(problem[0], f"{shown}: mask of {image_id}: {problem[1]}")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise Rejected("truncated_archive", f"{shown}: cannot read a mask ({type(exc).__name__}: {exc})") from None


def _shown(message: str, path: Path, shown: str) -> str:
    """A message without the server's job folder: the part is named as the participant sent it."""
    return message.replace(f"{path}:", f"{shown}:").replace(str(path), shown).replace(str(path.parent), "job")


def _short(name: str) -> str:
    return name if len(name) <= 80 else name[:77] + "..."
