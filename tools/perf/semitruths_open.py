"""Time opening a Semi-Truths root: first open (shards decompressed, index built) vs second open
(index loaded from the cache), and reading every sample. Prints a table.

    python tools/perf/semitruths_open.py INPUT_DIR   # e.g. shared/samples/semitruths-input
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from pathlib import Path

from tabulate import tabulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", type=Path)
    parser.add_argument("--models", nargs="+", default=["StableDiffusion_v4", "StableDiffusion_v5",
                                                        "StableDiffusion_XL", "Kandinsky_2_2", "OpenJourney"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BENCH_CACHE"] = str(Path(tmp) / "cache")
        spec = importlib.util.spec_from_file_location("build", Path(__file__).parents[1] / "semitruths_from_inputs.py")
        tool = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tool)
        n = tool.build(args.inputs, Path(tmp) / "root", args.models)
        from benchmark.datasets import SemiTruths

        rows = []
        for label in ("first open (builds index)", "second open (cached index)"):
            t = time.perf_counter()
            adapters = [SemiTruths(Path(tmp) / "root", s) for s in ("train", "val", "test")]
            rows.append([label, time.perf_counter() - t])
        t = time.perf_counter()
        count = sum(1 for a in adapters for _ in a)
        rows.append([f"read all {count} samples", time.perf_counter() - t])
        print(f"{n} edited images, {len(list((Path(tmp) / 'root').rglob('*.tar.bz2')))} shards")
        print(tabulate(rows, headers=["step", "seconds"], floatfmt=".3f"))
        print(f"second open is {rows[0][1] / rows[1][1]:.1f}x faster than the first")


if __name__ == "__main__":
    main()
