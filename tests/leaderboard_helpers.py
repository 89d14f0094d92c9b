"""Submissions for the leaderboard tests, made from a GT pack's own targets: perfect, noisy and
all-background predictions of any task, for every part of a track."""
from pathlib import Path

import numpy as np

from benchmark.leaderboards.gtpack import GTPack
from benchmark.predictions import write_predictions


def edited(mask: np.ndarray) -> np.ndarray:
    return (mask > 0) & (mask != 255)


def predictions(pack: GTPack, kind: str, rng: np.random.Generator, task: str | None = None):
    """(task, masks, scores) of a `kind` submission: perfect, noisy or background."""
    task = task or pack.track.accepts[0]
    targets = [pack.targets().load_target(r) for r in pack.records]
    scores = {t.image_id: float(np.clip(t.label * 0.8 + rng.random() * 0.3, 0, 1)) if kind != "perfect"
              else float(t.label) for t in targets}
    if kind == "background":
        scores = {i: 0.0 for i in scores}
    if task == "detection":
        return task, [], scores
    masks = []
    for t in targets:
        if task == "semantic":
            truth = np.where(edited(t.mask), t.mask, 0).astype(np.uint8)
            noise = rng.integers(0, len(pack.generators) + 1, t.mask.shape).astype(np.uint8)
            pred = {"perfect": truth, "noisy": np.where(rng.random(t.mask.shape) < 0.3, noise, truth),
                    "background": np.zeros_like(truth)}[kind]
        else:
            truth = edited(t.mask).astype(np.float32)
            pred = {"perfect": truth, "noisy": np.clip(truth * 0.6 + rng.random(t.mask.shape) * 0.5, 0, 1),
                    "background": np.zeros_like(truth)}[kind].astype(np.float32)
        masks.append((t.image_id, pred))
    return task, masks, None


def write_parts(pack: GTPack, out: Path, kind: str, seed: int = 0, method: str | None = None,
                task: str | None = None, parts=None) -> list[Path]:
    """One predictions zip per part of the pack's track (the manifest names the distortion)."""
    paths = []
    for part in parts or pack.track.parts:
        task_, masks, scores = predictions(pack, kind, np.random.default_rng(seed), task)
        extra = {} if part == "clean" else {"distortion": part}
        paths.append(write_predictions(out / f"{kind}-{part}.zip", task_, pack.spec, pack.split, pack.generators,
                                       method or kind, masks, scores=scores, extra_manifest=extra))
    return paths
