"""The one "never overwrite" rule for everything the toolkit writes: a result, plot, table, CSV,
predictions zip or output folder must be new (an empty folder counts as new). A link, even a
dangling one, is never written through."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import BenchError


def _refuse(path: Path, what: str) -> None:
    raise BenchError(f"{path}: {what} (nothing is overwritten; pick a new path)")


def check_new(path: str | os.PathLike, folder: bool = False) -> Path:
    """Raise unless `path` may be written as a new file (or, `folder`, a new or empty folder)."""
    path = Path(path)
    if path.is_symlink():
        _refuse(path, "is a link")
    if folder and path.exists() and (not path.is_dir() or any(path.iterdir())):
        _refuse(path, "already exists and is not an empty folder")
    if not folder and path.exists():
        _refuse(path, "already exists")
    return path


def _make_folder(path: Path, what: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission, a read-only disk
        raise BenchError(f"{what}: cannot create folder {path} ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise BenchError(f"{what}: folder {path} is not writable")


def new_file(path: str | os.PathLike) -> Path:
    """`path`, checked to be absent, with its parent folder created and writable: checked before
    any work starts, so that no result is lost on a path that cannot be written."""
    path = check_new(path)
    _make_folder(path.parent, path)
    return path


def new_folder(path: str | os.PathLike) -> Path:
    """`path` as an empty folder: created when absent, accepted when empty."""
    path = check_new(path, folder=True)
    _make_folder(path, path)
    return path


def is_zip_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() == ".zip"


def check_new_output(path: str | os.PathLike) -> Path:
    """Check a predictions/submission path: a new `.zip` file, or a new or empty folder."""
    return check_new(path, folder=not is_zip_name(path))


def new_output(path: str | os.PathLike) -> Path:
    return new_file(path) if is_zip_name(path) else new_folder(path)
