"""Writing the embedded demo data of several formats into a test folder."""
from pathlib import Path

from benchmark.datasets.demo import write_demo


def write_demos(base: Path, images: dict[str, int], size: int, seed: int) -> dict[str, Path]:
    """`images[fmt]` images of each format at `base/fmt`, one process each; format -> root."""
    for fmt, n in images.items():
        write_demo(fmt, base / fmt, images=n, size=size, seed=seed, workers=1)
    return {fmt: base / fmt for fmt in images}
