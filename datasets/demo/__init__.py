"""Embedded demo data: miniature datasets in each real on-disk layout, with real local edits of
the photos that ship inside scikit-image. Writers register in `benchmark.registry.DEMOS`."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from benchmark import __version__
from benchmark.errors import BenchError
from benchmark.registry import DEMOS, lookup

MARKER = "bench_demo.json"


def write_demo(fmt: str, out: str | os.PathLike, images: int | None = None, size: int | None = None,
               seed: int = 0, workers: int | None = None) -> str:
    """Write the demo dataset `fmt` into the new folder `out`; return a one-line summary.

    The data is written beside `out` and moved into place when complete, with a `bench_demo.json`
    naming its options: a rerun with the same options keeps that folder (so a Quickstart can be
    run twice), any other non-empty `out` is refused, never overwritten.
    """
    from . import writers  # noqa: F401  (registers the writers)

    writer = lookup(DEMOS, fmt)(images=images, size=size, seed=seed, workers=workers)
    options = {"format": fmt, "images": writer.images, "size": writer.size, "seed": writer.seed,
               "bench_version": __version__}
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        marker = out / MARKER
        if marker.is_file() and _read_json(marker) == options:
            return f"{out} already holds this demo ({fmt}, seed {writer.seed}); kept as is"
        raise BenchError(f"{out}: output folder exists and is not empty (nothing is overwritten; pick a new folder)")
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        summary = writer.write(partial)
        (partial / MARKER).write_text(json.dumps(options, indent=1) + "\n")
        if out.exists():
            out.rmdir()
        partial.rename(out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return summary.replace(str(partial), str(out))


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
