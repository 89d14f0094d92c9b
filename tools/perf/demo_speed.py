"""Speed of the embedded demo data: per-editor and per-mask-kind time at a given size, and the
wall time of a whole `bench data demo` write.

    python tools/perf/demo_speed.py [--size 256] [--images 600] [--workers 2] [--format diffseg]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from tabulate import tabulate

from benchmark.datasets.demo import write_demo
from benchmark.datasets.demo.editors import EDITOR_NAMES
from benchmark.datasets.demo.masks import noise_blob_mask, random_area, star_mask, superpixel_mask
from benchmark.datasets.demo.photos import base_photos, random_photo
from benchmark.registry import EDITORS


def per_call_ms(fn, reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--images", type=int, default=None, help="default: the format's default")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--format", default="diffseg")
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()

    start = time.perf_counter()
    base_photos()
    print(f"decoding the base photos: {time.perf_counter() - start:.2f} s (once per process)")
    rng = np.random.default_rng(0)
    scenes = [(random_photo(rng, args.size), random_photo(rng, args.size)) for _ in range(args.reps)]
    masks = [superpixel_mask(img, rng, random_area(rng)) for img, _ in scenes]
    rows = [(f"mask {name}", per_call_ms(lambda: fn(scenes[0][0], rng), args.reps))
            for name, fn in (("superpixels", lambda img, r: superpixel_mask(img, r, random_area(r))),
                             ("star", lambda img, r: star_mask(img.shape[:2], r, random_area(r))),
                             ("noise-blob", lambda img, r: noise_blob_mask(img.shape[:2], r, random_area(r))))]
    for name in EDITOR_NAMES:
        edit, it = EDITORS.get(name), iter(range(10 ** 9))

        def once():
            i = next(it) % len(scenes)
            edit(scenes[i][0], masks[i], rng, scenes[i][1])
        rows.append((f"editor {name}", per_call_ms(once, args.reps)))
    print(tabulate(rows, headers=("step", f"ms per call at {args.size} px"), floatfmt=".1f"))

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = write_demo(args.format, Path(tmp) / "demo", images=args.images, size=args.size,
                             workers=args.workers)
        print(f"{summary}\nwall time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
