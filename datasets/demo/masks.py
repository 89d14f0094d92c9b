"""Object-like edit masks for the demo data: superpixel unions grown around a seed point, smooth
star-shaped blobs and thresholded noise blobs, over a wide (log-uniform) range of areas."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

MIN_AREA, MAX_AREA = 0.01, 0.40  # fraction of the image
MIN_PIXELS = 16


def random_area(rng: np.random.Generator, low: float = MIN_AREA, high: float = MAX_AREA) -> float:
    """Log-uniform area fraction: small objects are as common as large ones per octave."""
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def superpixel_mask(image: np.ndarray, rng: np.random.Generator, area: float) -> np.ndarray:
    """Union of SLIC superpixels grown from the one under a random point until `area` is covered,
    preferring neighbours near the seed so the union stays object-like rather than stringy."""
    from skimage.segmentation import slic

    h, w = image.shape[:2]
    seg = slic(image, n_segments=int(rng.integers(60, 220)), compactness=float(rng.uniform(5, 25)),
               start_label=0, channel_axis=-1)
    n = int(seg.max()) + 1
    sizes = np.bincount(seg.ravel(), minlength=n)
    ys, xs = np.indices((h, w))
    cy = np.bincount(seg.ravel(), ys.ravel(), n) / np.maximum(sizes, 1)
    cx = np.bincount(seg.ravel(), xs.ravel(), n) / np.maximum(sizes, 1)
    neighbours = _adjacency(seg, n)
    start = int(seg[rng.integers(h), rng.integers(w)])
    chosen, covered, target = {start}, int(sizes[start]), area * h * w
    frontier = set(neighbours[start])
    jitter = rng.uniform(0.7, 1.3, size=n)  # random preference keeps the shape irregular
    while covered < target and frontier:
        dist = {s: np.hypot(cy[s] - cy[start], cx[s] - cx[start]) * jitter[s] for s in frontier}
        nxt = min(sorted(frontier), key=dist.__getitem__)
        frontier.discard(nxt)
        chosen.add(nxt)
        covered += int(sizes[nxt])
        frontier |= set(neighbours[nxt]) - chosen
    return np.isin(seg, np.fromiter(chosen, int))


def star_mask(shape: tuple[int, int], rng: np.random.Generator, area: float) -> np.ndarray:
    """A smooth star-shaped blob: radius r(theta) = r0 (1 + sum_k a_k cos(k theta + phi_k))."""
    h, w = shape
    r0 = np.sqrt(area * h * w / np.pi)
    cy, cx = _centre(rng, h, w, r0)
    ys, xs = np.indices((h, w), dtype=np.float32)
    theta = np.arctan2(ys - cy, xs - cx)
    radius = np.ones_like(theta)
    for k in range(2, 7):
        radius += rng.uniform(0, 0.3) / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    stretch = rng.uniform(0.7, 1.4)  # elongate along a random axis, keeping the area
    sy, sx = (stretch, 1 / stretch) if rng.random() < 0.5 else (1 / stretch, stretch)
    return np.hypot((ys - cy) / sy, (xs - cx) / sx) <= r0 * radius


def noise_blob_mask(shape: tuple[int, int], rng: np.random.Generator, area: float) -> np.ndarray:
    """Smooth noise minus a radial bowl, thresholded at the quantile that gives `area`; the
    component at the centre is kept and its holes filled, so the blob is one ragged object."""
    h, w = shape
    r0 = np.sqrt(area * h * w / np.pi)
    cy, cx = _centre(rng, h, w, r0)
    noise = ndimage.gaussian_filter(rng.standard_normal((h, w)).astype(np.float32), sigma=max(r0 / 4, 1.0))
    noise /= noise.std() + 1e-6
    ys, xs = np.indices((h, w), dtype=np.float32)
    field = 0.6 * noise - ((ys - cy) ** 2 + (xs - cx) ** 2) / r0 ** 2
    blob = field > np.quantile(field, 1 - area)
    labels, _ = ndimage.label(blob)
    keep = labels[int(cy), int(cx)] or np.bincount(labels.ravel())[1:].argmax() + 1
    return ndimage.binary_fill_holes(labels == keep)


def random_mask(image: np.ndarray, rng: np.random.Generator, area: float | None = None) -> tuple[np.ndarray, str]:
    """(bool HxW mask of at least MIN_PIXELS pixels, kind); half the masks follow image segments."""
    area = random_area(rng) if area is None else area
    kind = ("superpixels", "star", "noise-blob")[int(rng.choice(3, p=(0.5, 0.25, 0.25)))]
    if kind == "superpixels":
        mask = superpixel_mask(image, rng, area)
    elif kind == "star":
        mask = star_mask(image.shape[:2], rng, area)
    else:
        mask = noise_blob_mask(image.shape[:2], rng, area)
    # Flat regions give SLIC one segment spanning the whole image; tiny images give too few pixels.
    # Either way fall back to a blob of the requested area, so every edit stays local.
    if mask.sum() < MIN_PIXELS or mask.mean() > max(2 * area, 1.5 * MAX_AREA):
        mask = star_mask(image.shape[:2], rng, max(area, 2 * MIN_PIXELS / mask.size))
    return mask, kind


def _centre(rng: np.random.Generator, h: int, w: int, r0: float) -> tuple[float, float]:
    """A centre that keeps most of a radius-r0 blob inside the image."""
    my, mx = min(r0 * 0.7, h / 2), min(r0 * 0.7, w / 2)
    return float(rng.uniform(my, h - my)), float(rng.uniform(mx, w - mx))


def _adjacency(seg: np.ndarray, n: int) -> list[np.ndarray]:
    """Neighbouring segment ids per segment (4-connectivity)."""
    pairs = np.concatenate([np.stack([seg[:, :-1].ravel(), seg[:, 1:].ravel()], 1),
                            np.stack([seg[:-1].ravel(), seg[1:].ravel()], 1)])
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = np.unique(np.concatenate([pairs, pairs[:, ::-1]]), axis=0)
    starts = np.searchsorted(pairs[:, 0], np.arange(n + 1))
    return [pairs[starts[i]:starts[i + 1], 1] for i in range(n)]
