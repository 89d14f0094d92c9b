"""Read-only access to files in a folder or inside a zip archive, addressed by relative path.

Adapters list and read members through a store, so a 21 GB archive is read in place instead of
being extracted. Zip handles are reopened per process: DataLoader workers must not share one.
"""
from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

from benchmark.errors import DataError

# What a corrupt, encrypted or exotic (deflate64, bzip2 inside zip) member raises while read.
_MEMBER_ERRORS = (KeyError, OSError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError,
                  zlib.error, ValueError)


def read_file(path: str | os.PathLike, max_bytes: int | None = None) -> bytes:
    """The bytes of a file; with `max_bytes`, a larger file is refused before it is read."""
    try:
        if max_bytes is not None and Path(path).stat().st_size > max_bytes:
            raise DataError(str(path), f"file of {Path(path).stat().st_size} bytes is over the cap of {max_bytes}")
        return Path(path).read_bytes()
    except OSError as exc:
        raise DataError(str(path), f"cannot read ({exc.strerror})") from None


class DirStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def names(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        return read_file(self.root / name, max_bytes)

    def where(self, name: str) -> str:
        return str(self.root / name)


class ZipStore:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        self._pid = -1

    @property
    def zip(self) -> zipfile.ZipFile:
        if self._zip is None or self._pid != os.getpid():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except _MEMBER_ERRORS as exc:
                raise DataError(str(self.path), f"not a readable zip archive ({exc})") from None
            self._pid = os.getpid()
        return self._zip

    def names(self) -> list[str]:
        return sorted(i.filename for i in self.zip.infolist() if not i.is_dir())

    def read(self, name: str, max_bytes: int | None = None, max_ratio: float | None = None,
             ratio_above: int = 0) -> bytes:
        """A member's bytes. `max_bytes` and `max_ratio` (uncompressed / compressed, for members
        over `ratio_above` bytes) are checked on the sizes the archive declares, before any byte
        is inflated; zipfile stops at the declared size, so a lying header cannot get past them."""
        try:
            info = self.zip.getinfo(name)
            if max_bytes is not None and info.file_size > max_bytes:
                raise DataError(self.where(name), f"member of {info.file_size} bytes (uncompressed) is over "
                                                  f"the cap of {max_bytes}")
            if (max_ratio is not None and info.file_size > ratio_above
                    and info.file_size > max_ratio * max(info.compress_size, 1)):
                raise DataError(self.where(name), f"member inflates {info.file_size / max(info.compress_size, 1):.0f}"
                                                  f"-fold, over the cap of {max_ratio:g} (a zip bomb?)")
            return self.zip.read(info)
        except _MEMBER_ERRORS as exc:
            raise DataError(self.where(name), f"cannot read archive member ({type(exc).__name__}: {exc})") from None

    def where(self, name: str) -> str:
        return f"{self.path}:{name}"

    def __getstate__(self) -> dict:
        return {"path": self.path, "_zip": None, "_pid": -1}
