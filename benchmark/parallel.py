"""Chunked work on a process pool with a progress bar, shared by scoring and export."""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterator, Sequence

from .progress import track


def default_workers() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 16))


def chunked(items: Sequence, workers: int) -> list[Sequence]:
    """About eight chunks per worker (load balance), 4..64 items each (per-chunk overhead)."""
    size = max(4, min(64, len(items) // (workers * 8) or 1))
    return [items[i:i + size] for i in range(0, len(items), size)]


def run_chunks(fn: Callable[[Sequence], Any], items: Sequence, workers: int | None,
               init: Callable[..., None], initargs: tuple, description: str,
               progress: bool = True) -> Iterator[Any]:
    """Yield `fn(chunk)` for chunks of `items` in order (so that merged floating-point sums do not
    depend on which worker finished first). `init(*initargs)` sets up
    each worker process (or this process when `workers` <= 1 or there is little work).
    Workers start from a clean server process, never by forking this one: a process whose OpenCV
    thread pool has run passes it on broken, and forked children hang (`bench eval` predicts, then
    scores, in one process)."""
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(items) < 32:
        init(*initargs)
        chunks = chunked(items, 1)
        yield from (fn(c) for c in track(chunks, description, enabled=progress, weights=[len(c) for c in chunks]))
        return
    ctx = mp.get_context("forkserver" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=init, initargs=initargs) as pool:
        chunks = chunked(items, workers)
        futures = [pool.submit(fn, chunk) for chunk in chunks]
        for future in track(futures, description, enabled=progress, weights=[len(c) for c in chunks]):
            yield future.result()
