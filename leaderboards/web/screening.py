"""Screening an uploaded submission before it is queued. First each archive itself: its central
directory's entry count, read from the end record and capped before any entry is built (then the
records counted one by one, so a lying end record gains nothing), names that leave their folder,
links, duplicates, declared sizes and ratios, a cut-off file. Then the submission through the
track's rules (fit.py): its parts, then each part translated to the split's ids (a hidden track's
bundle names images opaquely), which reads every member once and checks its SHA-256, then its
ids, scores and every mask's declared size against its ground truth, read from the PNG header
without decoding. The first problem found is refused with its code; the archive is never
extracted, and nothing of it is kept but the upload itself."""
from __future__ import annotations

import re
import struct
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from benchmark.errors import BenchError
from benchmark.limits import MAX_COMPRESSION_RATIO, MAX_MEMBER_BYTES, RATIO_CHECKED_ABOVE

from ..fit import check_contents, check_split_hash, open_parts, scorable_parts
from ..gtpack import GTPack
from ..values import Rejected

EOCD = b"PK\x05\x06"
EOCD64 = b"PK\x06\x06"
LOCATOR64 = b"PK\x06\x07"
CENTRAL = b"PK\x01\x02"


@dataclass(frozen=True)
class Caps:
    """What one upload may hold; the server's defaults suit masks of a few thousand images."""

    upload_bytes: int = 256 << 20     # the multipart body as sent
    archive_bytes: int = 2 << 30      # one archive, every member uncompressed
    members: int = 200_000            # members of one archive
    files: int = 16                   # archives of one submission (one per part)


def central_directory(path: Path, shown: str) -> tuple[int, int, int]:
    """(entries, size, offset) of the archive's central directory, from its end record (and the
    ZIP64 one when it points there); no entry is read."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - (22 + 0xFFFF)))
        tail = f.read()
        at = tail.rfind(EOCD)
        if at < 0 or len(tail) - at < 22:
            with open(path, "rb") as g:
                head = g.read(4)
            if head == b"PK\x03\x04":
                raise Rejected("truncated_archive", f"{shown}: the zip archive is cut off (no central directory)")
            raise Rejected("not_a_zip", f"{shown}: not a zip archive (bench pack --out NAME.zip writes one)")
        entries, cd_size, cd_offset = struct.unpack("<HII", tail[at + 10: at + 20])
        if 0xFFFF in (entries,) or 0xFFFFFFFF in (cd_size, cd_offset):
            locator = at - 20
            if locator < 0 or tail[locator: locator + 4] != LOCATOR64:
                raise Rejected("truncated_archive", f"{shown}: a ZIP64 archive without its ZIP64 end record")
            f.seek(struct.unpack("<Q", tail[locator + 8: locator + 16])[0])
            record = f.read(56)
            if record[:4] != EOCD64:
                raise Rejected("truncated_archive", f"{shown}: a ZIP64 archive without its ZIP64 end record")
            entries, cd_size, cd_offset = struct.unpack("<QQQ", record[32:56])
    if cd_offset + cd_size > size:
        raise Rejected("truncated_archive", f"{shown}: the central directory runs past the end of the file")
    return entries, cd_size, cd_offset


def count_entries(path: Path, cd_size: int, cd_offset: int, cap: int, shown: str) -> int:
    """The records of the central directory, walked one header at a time (no entry is built);
    refused as soon as there are more than `cap`."""
    count = 0
    with open(path, "rb") as f:
        f.seek(cd_offset)
        end = cd_offset + cd_size
        while f.tell() < end:
            head = f.read(46)
            if len(head) < 46 or head[:4] != CENTRAL:
                break  # past the records: the ZIP64 end record, or a damaged directory zipfile reports
            count += 1
            if count > cap:
                raise Rejected("too_many_members", f"{shown}: more than {cap} members, over the cap")
            names, extra, comment = struct.unpack("<HHH", head[28:34])
            f.seek(names + extra + comment, 1)
    return count


def screen_archive(path: Path, caps: Caps, shown: str) -> None:
    """Refuse an archive whose structure is hostile or broken; `shown` names it in messages."""
    size = path.stat().st_size
    entries, cd_size, cd_offset = central_directory(path, shown)
    if entries > caps.members:
        raise Rejected("too_many_members", f"{shown}: {entries} members, over the cap of {caps.members}")
    count_entries(path, cd_size, cd_offset, caps.members, shown)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Rejected("truncated_archive", f"{shown}: unreadable zip archive ({exc})") from None
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
        from benchmark.predictions.codecs import PNG_HEADER_BYTES, png_size

        self.pack = pack
        self.shapes: dict[str, tuple[int, int]] = {}
        for record in pack.records:
            with open(id_path(pack.path / "masks", record.image_id, ".png"), "rb") as f:
                size = png_size(f.read(PNG_HEADER_BYTES))
            if size is None:
                raise BenchError(f"GT pack {pack.path}: the mask of {record.image_id} is not a PNG")
            self.shapes[record.image_id] = size

    def check(self, paths: Sequence[Path], caps: Caps, split_hash: str | None = None) -> str:
        """Refuse the submission unless every part fits the track; return its method."""
        check_split_hash(self.pack, split_hash)
        names = {str(path): f"file {k + 1}" for k, path in enumerate(paths)}
        for path in paths:
            screen_archive(path, caps, names[str(path)])
        job = str(Path(paths[0]).parent) if paths else ""

        with tempfile.TemporaryDirectory(prefix="screen-", dir=job or None) as workdir:
            translated = {str(Path(workdir) / f"part-{k}.zip"): name for k, name in enumerate(names.values())}

            def shown(text: str) -> str:
                """A message without the server's job folder: each part named as the participant sent it."""
                for where, name in sorted({**names, **translated}.items(), key=lambda kv: -len(kv[0])):
                    text = text.replace(where, name)
                return text.replace(job, "job") if job else text

            opened = open_parts(self.pack, paths, shown)
            if self.pack.ids_by_name is None:
                for path, preds in opened.values():
                    _check_members(preds, shown)
            scorable = scorable_parts(self.pack, opened, workdir, shown)
            for part, path in scorable.items():
                self._check_part(path, shown)
            return next(iter(opened.values()))[1].method

    def _check_part(self, path: Path, shown) -> None:
        from benchmark.predictions.reader import Predictions

        preds = Predictions(path)
        check_contents(self.pack, str(path), preds, shown)
        self._check_sizes(preds, path, shown)

    def _check_sizes(self, preds, path: Path, shown) -> None:
        from benchmark.predictions.codecs import PNG_HEADER_BYTES, map_size_problem, png_size, rle_size

        if not preds.maps:
            return
        for image_id in preds.ids:
            if preds.rle:
                size = rle_size(preds.rle[image_id])
            else:
                size = png_size(preds.read(preds.masks[image_id])[:PNG_HEADER_BYTES])
            if size is None:
                raise Rejected("invalid_predictions", f"{shown(str(path))}: the mask of {image_id} is not a PNG file")
            problem = map_size_problem(size, self.shapes[image_id])
            if problem:
                raise Rejected(problem[0], f"{shown(str(path))}: mask of {image_id}: {problem[1]}")


def _check_members(preds, shown) -> None:
    """Every listed member read once and its SHA-256 checked (a changed mask is refused at the door)."""
    from benchmark.predictions.problems import ProblemError

    try:
        for member in preds.masks.values():
            preds.checked(member)
    except ProblemError as exc:
        raise Rejected(exc.code, shown(str(exc))) from None


def _short(name: str) -> str:
    return name if len(name) <= 80 else name[:77] + "..."
