"""Embedded demo data: miniature datasets in each real on-disk layout, with real local edits of
the photos that ship inside scikit-image. Writers register in `benchmark.registry.DEMOS`."""
from __future__ import annotations

import os
from pathlib import Path

from benchmark.errors import BenchError
from benchmark.registry import DEMOS, lookup


def write_demo(fmt: str, out: str | os.PathLike, images: int | None = None, size: int | None = None,
               seed: int = 0, workers: int | None = None) -> str:
    """Write the demo dataset `fmt` into the new folder `out`; return a one-line summary."""
    from . import writers  # noqa: F401  (registers the writers)

    writer = lookup(DEMOS, fmt)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BenchError(f"{out}: output folder exists and is not empty (nothing is overwritten; pick a new folder)")
    return writer(images=images, size=size, seed=seed, workers=workers).write(out)
