"""The image id grammar, shared by every adapter, writer and reader.

An id is one or more segments joined by `/` (DOLOS `celebahq/ldm/00012`, Semi-Truths
`ADE20K/StableDiffusion_XL/inpainting/instance_004_ADE_train_00014889`). A segment starts with a
letter, digit or `_` and goes on with letters, digits and `_ . + = -`, at most 200 characters; the
whole id is at most 1000. So an id is always a relative path below the folder it is written into:
no `..`, no leading `/`, no backslash, no hidden file, nothing a shell or a zip reader would
interpret. Files named after ids are `{folder}/{id}{suffix}`, subfolders for the segments.
"""
from __future__ import annotations

import re
from pathlib import Path

from benchmark.errors import BenchError

SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.+=-]{0,199}"
ID_RE = re.compile(rf"{SEGMENT}(?:/{SEGMENT})*")
MAX_LENGTH = 1000
GRAMMAR = ("segments joined by '/', each starting with a letter, digit or '_' and holding only "
           "letters, digits and _ . + = - (at most 200 characters each, 1000 in all)")


def id_problem(image_id: object) -> str | None:
    """Why `image_id` is not a valid id, or None."""
    if not isinstance(image_id, str) or not image_id:
        return f"image id {image_id!r} is empty or not text"
    if len(image_id) > MAX_LENGTH or ID_RE.fullmatch(image_id) is None:
        shown = image_id if len(image_id) <= 80 else image_id[:77] + "..."
        return f"image id {shown!r} breaks the id grammar ({GRAMMAR})"
    return None


def check_id(image_id: object) -> str:
    problem = id_problem(image_id)
    if problem:
        raise BenchError(problem)
    return image_id  # type: ignore[return-value]


def id_path(folder: str | Path, image_id: str, suffix: str) -> Path:
    """`folder/{id}{suffix}`. The grammar already keeps it below `folder`; resolving it as well
    catches a link planted inside the folder."""
    path = Path(folder, check_id(image_id) + suffix)
    if not path.resolve().is_relative_to(Path(folder).resolve()):
        raise BenchError(f"{path}: resolves outside {folder} (a link inside the output folder?)")
    return path


def write_id_file(folder: str | Path, image_id: str, suffix: str, data: bytes) -> Path:
    """Write `folder/{id}{suffix}` (ids with '/' make subfolders) and return its path."""
    path = id_path(folder, image_id, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path

