"""Which editors made each image, read from its target (the dataset's truth), and the `editors`
option of every dataset spec: `diffseg[editors=Flux.1,HunyuanDiT-1.1]` keeps the unedited images
and those whose every edit was made by one of the named editors (DiffSeg30k's protocol for
scoring on unseen editors)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Sequence

from benchmark.errors import BenchError
from benchmark.progress import track

from .base import BaseAdapter
from .tarshards import cache_dir


def generator_index(adapter: BaseAdapter, cache: str | os.PathLike | None = None,
                    progress: bool = True) -> dict[str, list[int]]:
    """image_id -> generator ids of its target (the dataset's truth: for an image without a usable
    mask, the generator that made it); cached as JSON because it reads every mask."""
    cache = Path(cache) if cache else None
    if cache and cache.is_file():
        index = json.loads(cache.read_text())
        if set(index) == set(adapter.ids):
            return index
    index = {t.image_id: list(t.generators)
             for t in track(adapter.targets(), f"indexing editors of {adapter.split}", total=len(adapter),
                            enabled=progress)}
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")  # ranks may write at once: rename is atomic
        tmp.write_text(json.dumps(index))
        tmp.replace(cache)
    return index


def canonical_editors(adapter: BaseAdapter, given: Sequence[str]) -> list[str]:
    """`given` as names of the adapter's generator map, matched case-insensitively."""
    by_lower = {name.lower(): name for name in adapter.generators}
    unknown = [g for g in given if g.lower() not in by_lower]
    if unknown:
        raise BenchError(f"{adapter.name} option editors: unknown generator '{unknown[0]}' "
                         f"(known: {', '.join(adapter.generators)})")
    return [by_lower[g.lower()] for g in given]


def keep_editors(adapter: BaseAdapter, editors: Sequence[str]) -> BaseAdapter:
    """Narrow `adapter` in place to its unedited images and those edited only by `editors`. The
    editor index reads every mask once; it is cached under `$BENCH_CACHE/editor-index/`."""
    wanted = {adapter.generators.index(g) + 1 for g in canonical_editors(adapter, editors)}
    key = hashlib.sha256(f"{adapter.root.resolve()}|{adapter.name}|{adapter.split}|{adapter.generators}".encode())
    index = generator_index(adapter, cache_dir() / "editor-index" / f"{key.hexdigest()[:16]}.json", progress=False)
    adapter.records = [r for r in adapter.records if set(index[r.image_id]) <= wanted]
    return adapter
