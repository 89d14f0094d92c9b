"""Read members of `.tar.bz2` (or plain `.tar`) shards in place, without extracting them.

bzip2 has no random access of its own, so the first open of a shard decompresses it once and
records (a) each member's offset and size in the decompressed tar and (b) the bzip2 block
boundaries (via `indexed_bzip2`). Both go to a JSON index in the cache folder, keyed by the shard's
path, size and mtime; later opens load the index instead of decompressing, and reading one member
decompresses only the ~900 kB bzip2 block(s) that hold it.
"""
from __future__ import annotations

import hashlib
import json
import os
import tarfile
from pathlib import Path

from benchmark.errors import DataError

INDEX_VERSION = 1
TAR_SUFFIXES = (".tar.bz2", ".tbz2", ".tar")


def cache_dir() -> Path:
    """`$BENCH_CACHE` if set, else `~/.cache/bench`."""
    return Path(os.environ.get("BENCH_CACHE") or Path.home() / ".cache" / "bench")


def is_shard(path: Path) -> bool:
    return path.name.endswith(TAR_SUFFIXES)


class TarShardStore:
    """Store interface of `stores.py` (`names`, `read`, `where`) over one tar shard."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._members: dict[str, tuple[int, int]] | None = None
        self._blocks: dict[int, int] | None = None
        self._file = None
        self._pid = -1

    # -- index -----------------------------------------------------------------------------
    @property
    def index_file(self) -> Path:
        try:
            st = self.path.stat()
        except OSError as exc:
            raise DataError(str(self.path), f"cannot open shard ({exc.strerror})") from None
        key = f"{self.path.resolve()}|{st.st_size}|{st.st_mtime_ns}|v{INDEX_VERSION}"
        return cache_dir() / "tarindex" / f"{hashlib.sha1(key.encode()).hexdigest()}.json"

    @property
    def members(self) -> dict[str, tuple[int, int]]:
        """Member name -> (offset of its data in the decompressed tar, size)."""
        if self._members is None:
            self._load_index()
        return self._members

    def _load_index(self) -> None:
        index_file = self.index_file
        try:
            raw = json.loads(index_file.read_text())
            self._members = {name: (off, size) for name, off, size in raw["members"]}
            self._blocks = {int(bit): byte for bit, byte in raw["blocks"]}
            return
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no usable index yet: build one
        self._build_index()
        try:
            index_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = index_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({
                "shard": str(self.path), "members": [[n, o, s] for n, (o, s) in self._members.items()],
                "blocks": sorted(self._blocks.items())}))
            os.replace(tmp, index_file)
        except OSError:
            pass  # a read-only cache only costs speed on the next open

    def _build_index(self) -> None:
        members: dict[str, tuple[int, int]] = {}
        try:
            with self._open_raw(build=True) as f:
                with tarfile.open(fileobj=f, mode="r:") as tar:
                    for info in tar:
                        if info.isfile():
                            members[info.name] = (info.offset_data, info.size)
                    end = f.seek(0, os.SEEK_END)
                self._blocks = dict(f.block_offsets()) if self._bzip2 else {}
        except DataError:
            raise
        except Exception as exc:  # indexed_bzip2 and tarfile raise many types on corrupt input
            # indexed_bzip2 reports a stream that stops early as a bare "std::exception".
            detail = (f"{type(exc).__name__}: {exc}" if str(exc) not in ("", "std::exception")
                      else "the bzip2 stream is damaged or ends early")
            raise DataError(str(self.path), f"truncated or corrupt shard ({detail})") from None
        short = [n for n, (o, s) in members.items() if o + s > end]
        if short:
            raise DataError(str(self.path), f"truncated shard: member {short[0]} runs past the end")
        self._members = members

    # -- reading ---------------------------------------------------------------------------
    @property
    def _bzip2(self) -> bool:
        return not self.path.name.endswith(".tar")

    def _open_raw(self, build: bool = False):
        if not self._bzip2:
            return open(self.path, "rb")
        import indexed_bzip2

        # The one-off index build may use every core; readers stay single-threaded because
        # DataLoader workers already run in parallel.
        workers = min(os.cpu_count() or 1, 4) if build else 1
        f = indexed_bzip2.open(str(self.path), parallelization=workers)
        if not build and self._blocks:
            f.set_block_offsets(self._blocks)
        return f

    @property
    def file(self):
        if self._file is None or self._pid != os.getpid():
            self.members  # noqa: B018  (the block offsets come with the index)
            try:
                self._file = self._open_raw()
            except Exception as exc:
                raise DataError(str(self.path), f"cannot open shard ({exc})") from None
            self._pid = os.getpid()
        return self._file

    def names(self) -> list[str]:
        return sorted(self.members)

    def read(self, name: str) -> bytes:
        try:
            offset, size = self.members[name]
        except KeyError:
            raise DataError(self.where(name), "no such member in the shard") from None
        try:
            self.file.seek(offset)
            data = self.file.read(size)
        except DataError:
            raise
        except Exception as exc:
            raise DataError(self.where(name), f"cannot read shard member ({exc})") from None
        if len(data) != size:
            raise DataError(self.where(name), f"shard member is truncated ({len(data)} of {size} bytes)")
        return data

    def where(self, name: str) -> str:
        return f"{self.path}:{name}"

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.update(_file=None, _pid=-1)
        return state


def write_shard(path: str | os.PathLike, members: dict[str, bytes]) -> None:
    """Write `members` (name -> bytes), in the given order, as a tar shard compressed by the suffix
    (`.tar.bz2`, `.tar`); fixed mtime, owner and mode make the bytes a function of `members` alone."""
    import io

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:bz2" if path.name.endswith((".bz2", ".tbz2")) else "w:",
                      format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
