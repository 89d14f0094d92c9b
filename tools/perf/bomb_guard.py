"""Hostile submissions against the scorer: a 30000x30000 PNG bomb (about 1 MB in the zip) and a
20000x20000 COCO RLE entry (a few bytes), each scored in a fresh process. Prints how long the
refusal took and the process's peak memory; a guarded scorer refuses both at once.

    python tools/perf/bomb_guard.py [--side 30000] [--rle-side 20000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np


def png_bomb(height: int, width: int) -> bytes:
    """A valid all-zero 8-bit grey PNG of height x width, compressed while it is streamed (the
    pixels are never held in memory): about 1 KB per 1000x1000 pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    comp, row, parts = zlib.compressobj(9), bytes(width + 1), []
    for _ in range(height):
        parts.append(comp.compress(row))
    parts.append(comp.flush())
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def rle_entry(height: int, width: int, runs: list[int] | None = None) -> dict:
    """A compressed COCO RLE of `runs` (default: one run of zeros over the whole map) for a map of
    height x width, written without allocating the map."""
    from pycocotools import mask as cocomask

    rle = cocomask.frPyObjects({"size": [height, width], "counts": runs or [height * width]}, height, width)
    return {"size": [height, width], "counts": rle["counts"].decode("ascii")}


def write_dataset(root: Path, side: int = 64) -> Path:
    """One unedited and one edited side x side image in the DiffSeg30k folder layout."""
    import cv2

    folder = root / "train_copy"
    folder.mkdir(parents=True)
    for i in range(2):
        mask = np.zeros((side, side), np.uint8)
        mask[: side // 2 * i, : side // 2] = 1
        cv2.imwrite(str(folder / f"{i:08d}.image.png"), np.full((side, side, 3), 90, np.uint8))
        cv2.imwrite(str(folder / f"{i:08d}.mask.png"), mask)
    return root


def write_submission(path: Path, masks: dict[str, bytes] | None = None, rle: list | None = None) -> Path:
    """A binary submission for the two images of `write_dataset`, its hashes in the manifest."""
    from benchmark.hashing import sha256_hex
    from benchmark.predictions.spec import generator_map

    members = {f"masks/{k}.png": v for k, v in (masks or {}).items()}
    if rle is not None:
        members["masks.json"] = json.dumps(rle).encode()
    manifest = {"task": "binary", "dataset": "diffseg", "split": "train", "method": "bomb",
                "generators": generator_map(["SD2", "SD3.5", "SDXL", "Flux.1", "Glide", "Kolors",
                                             "HunyuanDiT-1.1", "Kandinsky-2.2"]),
                "files": {k: sha256_hex(v) for k, v in members.items()}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr("manifest.json", json.dumps(manifest))
    return path


CHILD = """
import json, resource, sys, time
from benchmark.errors import BenchError
from benchmark.scoring import score_predictions


def peak_kib():
    # VmHWM starts anew at exec; ru_maxrss would count the forked parent's pages too
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


before = peak_kib()  # score_predictions is imported before the clock starts: only the scoring is timed
start = time.perf_counter()
try:
    score_predictions(sys.argv[1], "diffseg", sys.argv[2], workers=1, progress=False)
    message, scored = "", True
except BenchError as exc:
    message, scored = str(exc), False
seconds = time.perf_counter() - start
peak = peak_kib()
print(json.dumps({"message": message, "scored": scored, "seconds": seconds, "peak_mib": peak / 1024,
                  "growth_mib": (peak - before) / 1024}))
"""


def score_in_child(submission: Path, root: Path) -> dict:
    """Score in a fresh process: whether it was scored, the message, the seconds the scoring
    took, the process's peak memory and how much of it the scoring added (MiB)."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(submission), str(root)], capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=30000, help="PNG bomb side in pixels")
    ap.add_argument("--rle-side", type=int, default=20000, help="RLE entry side in pixels")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = write_dataset(tmp / "data")
        small = png_bomb(64, 64)
        bomb = png_bomb(args.side, args.side)
        rows = []
        png = write_submission(tmp / "png.zip", {"00000000": bomb, "00000001": small})
        rows.append((f"PNG {args.side}x{args.side} ({len(bomb) / 2 ** 20:.2f} MiB PNG)", score_in_child(png, root)))
        rle = write_submission(tmp / "rle.zip", rle=[{"image_id": "00000000", "segmentation": rle_entry(args.rle_side, args.rle_side)},
                                                      {"image_id": "00000001", "segmentation": rle_entry(64, 64)}])
        rows.append((f"RLE {args.rle_side}x{args.rle_side} ({rle.stat().st_size} B zip)", score_in_child(rle, root)))
        for name, r in rows:
            verdict = "SCORED" if r["scored"] else "refused"
            print(f"{name}: {verdict} in {r['seconds']:.3f} s; peak memory {r['peak_mib']:.0f} MiB for the whole "
                  f"process, {r['growth_mib']:.0f} MiB added by the scoring")
            print(f"    {r['message'][-160:]}")


if __name__ == "__main__":
    main()
