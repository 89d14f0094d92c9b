"""The leaderboard demo end to end on the embedded DiffSeg30k-layout data:

    python tools/leaderboard_demo.py OUT

writes demo data, freezes three DiffSeg tracks (binary, attribution, robustness), creates a
results store, adds three submissions to each (perfect, noisy and all-background predictions,
made here from the frozen targets, as a participant's detector would make them from the bundle)
and the paper's reported rows, and builds the site at OUT/site. Every step is a `bench` command.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from benchmark.leaderboards.gtpack import GTPack
from benchmark.predictions import write_predictions


def edited(mask: np.ndarray) -> np.ndarray:
    return (mask > 0) & (mask != 255)


def predictions(pack: GTPack, kind: str, rng: np.random.Generator, task: str | None = None, noise: float = 0.5):
    """(task, masks, scores) of a `kind` submission: perfect, noisy (`noise` sets how much) or background."""
    task = task or pack.track.accepts[0]
    targets = [pack.targets().load_target(r) for r in pack.records]
    # A participant names each prediction as the bundle names its image (opaque on a hidden track).
    name = {r.image_id: r.name or r.image_id for r in pack.records}
    scores = {name[t.image_id]: float(np.clip(t.label * 0.8 + rng.random() * 0.3, 0, 1)) if kind != "perfect"
              else float(t.label) for t in targets}
    if kind == "background":
        scores = {i: 0.0 for i in scores}
    if task == "detection":
        return task, [], scores
    masks = []
    for t in targets:
        if task == "semantic":
            truth = np.where(edited(t.mask), t.mask, 0).astype(np.uint8)
            noise_ids = rng.integers(0, len(pack.generators) + 1, t.mask.shape).astype(np.uint8)
            pred = {"perfect": truth, "noisy": np.where(rng.random(t.mask.shape) < noise * 0.6, noise_ids, truth),
                    "background": np.zeros_like(truth)}[kind]
        else:
            truth = edited(t.mask).astype(np.float32)
            pred = {"perfect": truth, "noisy": np.clip(0.25 + 0.5 * truth + (rng.random(t.mask.shape) - 0.5) * 1.2 * noise, 0, 1),
                    "background": np.zeros_like(truth)}[kind].astype(np.float32)
        masks.append((name[t.image_id], pred))
    return task, masks, None


def write_parts(pack: GTPack, out: Path, kind: str, seed: int = 0, method: str | None = None,
                task: str | None = None, parts=None) -> list[Path]:
    """One predictions zip per part of the pack's track (the manifest names the distortion)."""
    paths = []
    for k, part in enumerate(parts or pack.track.parts):
        # Each distortion a little harder than the last, so that the robustness columns drop.
        task_, masks, scores = predictions(pack, kind, np.random.default_rng(seed), task, noise=0.5 + 0.08 * k)
        extra = {} if part == "clean" else {"distortion": part}
        paths.append(write_predictions(out / f"{kind}-{part}.zip", task_, pack.spec, pack.split, pack.generators,
                                       method or kind, masks, scores=scores, extra_manifest=extra))
    return paths


TRACKS = ("diffseg-binary", "diffseg-attribution", "diffseg-robustness")
KINDS = ("perfect", "noisy", "background")


def bench(*argv) -> None:
    from benchmark.cli.main import main

    print("$ bench", " ".join(map(str, argv)), flush=True)
    if main([str(a) for a in argv]) != 0:
        raise SystemExit(f"bench {argv[0]} {argv[1]} failed")


def demo(out: Path, data: Path | None = None, workers: int = 1) -> Path:
    """Run the whole flow into `out` (data: an existing DiffSeg-layout demo root); return the site."""
    if data is None:
        data = out / "data"
        bench("data", "demo", "--format", "diffseg", "--out", data, "--images", 40, "--size", 64, "--seed", 7)
    store = out / "board.db"
    bench("leaderboard", "init", "--store", store)
    for name in TRACKS:
        gt = out / "gt" / name
        bench("leaderboard", "freeze", name, "--root", data, "--out", gt, "--bundle", out / "bundle" / name,
              "--workers", workers, "--quiet")
        pack = GTPack(gt)
        for seed, kind in enumerate(KINDS):
            parts = write_parts(pack, out / "submissions" / name, kind, seed=seed)
            bench("leaderboard", "add", *parts, "--store", store, "--gt", gt, "--submitter", "demo",
                  "--supervision", "none" if kind != "noisy" else "pixel masks", "--training-data", "demo",
                  "--workers", workers, "--quiet")
        bench("leaderboard", "add", "--store", store, "--gt", gt, "--reported")
    bench("leaderboard", "build", "--store", store, "--out", out / "site")
    return out / "site"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="new folder for data, packs, store and site")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    sys.exit(print(f"open {demo(args.out, workers=args.workers)}/index.html") or 0)
