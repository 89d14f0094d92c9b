"""Scoring speed: benchmark.metrics.Evaluator vs a straightforward per-class reference.

Scores N synthetic 1024-px masks (binary probabilities and 9-class semantic ids, with bF1), checks
that both implementations give the same numbers, prints images/s and ends with `speedup: <ratio>`.
The reference is what most repos do: one boolean mask per (GT class, predicted class) pair for the
confusion matrix, and for bF1 boundaries by neighbour shifts plus matching by dilating each boundary
with a disk of radius theta (the DAVIS `db_eval_boundary` approach, scipy.ndimage as skimage does;
`--ref-dilate cv2` swaps in OpenCV's much faster dilation), all on full images. The reference runs on
the first --ref-n images (it is slow); the values are compared on that subset.
"""
from __future__ import annotations

import argparse
import math
import time

import cv2
import numpy as np
from scipy import ndimage
from tabulate import tabulate

from benchmark.metrics import Evaluator, Policy
from benchmark.progress import track

N_GENERATORS = 8
POOL = 16  # distinct synthetic pairs, cycled (generation is not what we time)


def synthetic_pair(rng: np.random.Generator, size: int, task: str) -> tuple[np.ndarray, np.ndarray]:
    gt = np.zeros((size, size), np.uint8)
    for _ in range(int(rng.integers(0, 4))):   # 0 blobs: an authentic image
        centre = tuple(int(v) for v in rng.integers(size // 8, size - size // 8, 2))
        axes = tuple(int(v) for v in rng.integers(size // 20, size // 5, 2))
        cv2.ellipse(gt, centre, axes, float(rng.uniform(0, 180)), 0, 360, int(rng.integers(1, N_GENERATORS + 1)), -1)
    dy, dx = rng.integers(-8, 9, 2)
    moved = np.roll(gt, (int(dy), int(dx)), (0, 1))
    if task == "binary":
        prob = cv2.GaussianBlur((moved > 0).astype(np.float32), (0, 0), 6)
        prob += rng.normal(0, 0.15, prob.shape).astype(np.float32)
        return gt, np.clip(prob, 0, 1)
    pred = moved.copy()
    if pred.any() and rng.random() < 0.5:   # one editor mistaken for another
        pred[pred == pred.max()] = int(rng.integers(1, N_GENERATORS + 1))
    speckle = cv2.resize(rng.integers(0, N_GENERATORS + 1, (size // 32, size // 32)).astype(np.uint8),
                         (size, size), interpolation=cv2.INTER_NEAREST)
    noisy = cv2.resize((rng.random((size // 32, size // 32)) < 0.03).astype(np.uint8), (size, size),
                       interpolation=cv2.INTER_NEAREST) > 0
    pred[noisy] = speckle[noisy]
    return gt, pred


# ---- reference implementation -------------------------------------------------------------

def ref_boundary(mask: np.ndarray) -> np.ndarray:
    p = np.pad(mask, 1)
    inner = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return mask & ~inner


def ref_disk(theta: float) -> np.ndarray:
    r = math.ceil(theta)
    yy, xx = np.mgrid[-r: r + 1, -r: r + 1]
    return (yy * yy + xx * xx < theta * theta).astype(np.uint8)


def ref_dilate(boundary: np.ndarray, disk: np.ndarray, how: str) -> np.ndarray:
    if how == "cv2":
        return cv2.dilate(boundary.astype(np.uint8), disk) > 0
    return ndimage.binary_dilation(boundary, structure=disk.astype(bool))


def ref_bf(gt: np.ndarray, pred: np.ndarray, disk: np.ndarray, how: str) -> float:
    bg, bp = ref_boundary(gt), ref_boundary(pred)
    if not bg.any() and not bp.any():
        return math.nan
    if not bg.any() or not bp.any():
        return 0.0
    gt_dil, pred_dil = ref_dilate(bg, disk, how), ref_dilate(bp, disk, how)
    precision = np.sum(bp & gt_dil) / bp.sum()
    recall = np.sum(bg & pred_dil) / bg.sum()
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def reference_scores(pairs, task: str, n_classes: int, policy: Policy, how: str) -> dict[str, float]:
    conf = np.zeros((n_classes, n_classes), np.int64)
    bfs = []
    for gt, pred in pairs:
        valid = gt != 255
        g = np.where(gt > 0, 1, 0) if task == "binary" else gt.astype(np.int64)
        p = (pred > policy.pixel_threshold).astype(np.int64) if task == "binary" else pred.astype(np.int64)
        for i in range(n_classes):
            gi = (g == i) & valid
            for j in range(n_classes):
                conf[i, j] += np.count_nonzero(gi & (p == j))
        disk = ref_disk(policy.bf1_tolerance * math.hypot(*gt.shape))
        per_class = [ref_bf(g == c, p == c, disk, how) for c in range(1, n_classes)]
        per_class = [v for v in per_class if not math.isnan(v)]
        if per_class:
            bfs.append(np.mean(per_class))
    inter = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - inter
    ious = [inter[c] / union[c] for c in range(1, n_classes) if union[c] > 0]
    return {"pixel_acc": inter.sum() / conf.sum(), "miou": float(np.mean(ious)), "bf1": float(np.mean(bfs))}


# ---- timing -----------------------------------------------------------------------------

def score(pairs, task: str, names: list[str], policy: Policy) -> dict:
    ev = Evaluator(task, names, policy)
    for i, (gt, pred) in enumerate(track(pairs, f"{task}: bench scorer")):
        ev.add(f"im{i}", gt, pred)
    return ev.compute().metrics


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def run(task: str, n: int, ref_n: int, size: int, seed: int, how: str) -> dict:
    rng = np.random.default_rng(seed)
    pool = [synthetic_pair(rng, size, task) for _ in range(min(POOL, n))]
    pairs = [pool[i % len(pool)] for i in range(n)]
    names = ["unedited", "edited"] if task == "binary" else ["unedited"] + [f"gen{k}" for k in range(1, N_GENERATORS + 1)]
    policy = Policy()
    ours, t_ours = timed(score, pairs, task, names, policy)
    subset = pairs[:ref_n]
    ref, t_ref = timed(reference_scores, track(subset, f"{task}: reference"), task, len(names), policy, how)
    check = score(subset, task, names, policy)
    for key in ("pixel_acc", "miou", "bf1"):
        assert math.isclose(check[key], ref[key], rel_tol=1e-9, abs_tol=1e-12), (task, key, check[key], ref[key])
    return {"task": task, "ours": n / t_ours, "ref": len(subset) / t_ref, "values": ours}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="images per task")
    ap.add_argument("--size", type=int, default=1024, help="mask side in pixels")
    ap.add_argument("--ref-n", type=int, default=20, help="images scored by the (slow) reference")
    ap.add_argument("--ref-dilate", choices=("scipy", "cv2"), default="scipy",
                    help="reference dilation: scipy.ndimage as DAVIS/skimage, or OpenCV")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="OpenCV threads for both implementations")
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    rows = [run(task, args.n, min(args.ref_n, args.n), args.size, args.seed, args.ref_dilate) for task in ("binary", "semantic")]
    table = [[r["task"], f"{r['ours']:.1f}", f"{r['ref']:.1f}", f"{r['ours'] / r['ref']:.1f}x",
              f"{r['values']['pixel_acc']:.4f}", f"{r['values']['miou']:.4f}", f"{r['values']['bf1']:.4f}"]
             for r in rows]
    print(f"{args.n} images of {args.size}x{args.size} per task (reference: first {min(args.ref_n, args.n)}, "
          f"{args.ref_dilate} dilation), bF1 included, values agree with the reference")
    print(tabulate(table, headers=["task", "bench img/s", "reference img/s", "speedup", "pixel_acc", "miou", "bf1"]))
    speedup = math.exp(np.mean([math.log(r["ours"] / r["ref"]) for r in rows]))
    print(f"speedup: {speedup:.2f}")


if __name__ == "__main__":
    main()
