"""Read-only access to files in a folder or inside a zip archive, addressed by relative path.

Adapters list and read members through a store, so a 21 GB archive is read in place instead of
being extracted. Zip handles are reopened per process: DataLoader workers must not share one.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from benchmark.errors import DataError


def read_file(path: str | os.PathLike) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DataError(str(path), f"cannot read ({exc.strerror})") from None


class DirStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def names(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())

    def read(self, name: str) -> bytes:
        return read_file(self.root / name)

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
            except (OSError, zipfile.BadZipFile) as exc:
                raise DataError(str(self.path), f"not a readable zip archive ({exc})") from None
            self._pid = os.getpid()
        return self._zip

    def names(self) -> list[str]:
        return sorted(i.filename for i in self.zip.infolist() if not i.is_dir())

    def read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except (KeyError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise DataError(self.where(name), f"cannot read archive member ({exc})") from None

    def where(self, name: str) -> str:
        return f"{self.path}:{name}"

    def __getstate__(self) -> dict:
        return {"path": self.path, "_zip": None, "_pid": -1}
