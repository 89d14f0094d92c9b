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


def new_file(path: str | os.PathLike) -> Path:
    """`path`, checked to be absent, with its parent folder created."""
    path = check_new(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def new_folder(path: str | os.PathLike) -> Path:
    """`path` as an empty folder: created when absent, accepted when empty."""
    path = check_new(path, folder=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_zip_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() == ".zip"


def check_new_output(path: str | os.PathLike) -> Path:
    """Check a predictions/submission path: a new `.zip` file, or a new or empty folder."""
    return check_new(path, folder=not is_zip_name(path))


def new_output(path: str | os.PathLike) -> Path:
    return new_file(path) if is_zip_name(path) else new_folder(path)
