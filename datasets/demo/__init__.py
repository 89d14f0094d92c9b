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
    """Write the demo dataset `fmt` into the new folder `out`; return a one-line summary that
    starts with what was done ("wrote" or "kept").

    The data is written beside `out` and moved into place when complete, with a `bench_demo.json`
    naming its options and files: a rerun with the same options keeps that folder while all of its
    files are there at their sizes (so a Quickstart can be run twice); any other non-empty `out` is
    refused, never overwritten.
    """
    writer = lookup(DEMOS, fmt)(images=images, size=size, seed=seed, workers=workers)
    options = {"format": fmt, "images": writer.images, "size": writer.size, "seed": writer.seed,
               "bench_version": __version__}
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        marker = _read_json(out / MARKER) or {}
        if {k: v for k, v in marker.items() if k != "files"} == options:
            changed = [name for name, size in marker.get("files", {}).items()
                       if not (out / name).is_file() or (out / name).stat().st_size != size]
            if changed:
                raise BenchError(f"{out}: holds this demo with {len(changed)} file(s) missing or changed "
                                 f"({', '.join(changed[:3])}); delete the folder to write it again")
            return f"kept {out}: it already holds this demo ({fmt}, seed {writer.seed})"
        raise BenchError(f"{out}: output folder exists and is not empty (nothing is overwritten; pick a new folder)")
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        summary = writer.write(partial)
        files = {p.relative_to(partial).as_posix(): p.stat().st_size
                 for p in sorted(partial.rglob("*")) if p.is_file()}
        (partial / MARKER).write_text(json.dumps({**options, "files": files}, indent=1) + "\n")
        if out.exists():
            out.rmdir()
        partial.rename(out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return "wrote " + summary.replace(str(partial), str(out))


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
