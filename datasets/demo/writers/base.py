"""Common options of the demo writers, validated once with messages a user can act on."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from benchmark.errors import BenchError
from benchmark.parallel import default_workers


class DemoWriter:
    """Subclasses set the defaults and implement `write(out) -> one-line summary`."""

    default_images: ClassVar[int] = 100
    default_size: ClassVar[int] = 256
    min_size: ClassVar[int] = 32

    def __init__(self, images: int | None = None, size: int | None = None, seed: int = 0,
                 workers: int | None = None):
        self.images = self.default_images if images is None else int(images)
        self.size = self.default_size if size is None else int(size)
        self.seed = int(seed)
        self.workers = default_workers() if workers is None else int(workers)
        if self.images < 1:
            raise BenchError(f"--images must be at least 1, got {self.images}")
        if self.size < self.min_size:
            raise BenchError(f"--size must be at least {self.min_size} pixels, got {self.size}")
        if self.seed < 0:
            raise BenchError(f"--seed must be a non-negative integer, got {self.seed}")
        if self.workers < 1:
            raise BenchError(f"--workers must be at least 1, got {self.workers}")

    def write(self, out: Path) -> str:
        raise NotImplementedError
