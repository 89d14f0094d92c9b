"""Base photos for the demo data: the pictures bundled inside scikit-image (no download), turned
into varied scenes by random crops, flips, tints and resizing to a target size."""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

# Only images stored inside the scikit-image wheel: the others need pooch and a network.
PHOTO_NAMES = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry",
               "retina", "stereo_motorcycle", "camera", "moon", "coins", "page", "text", "brick", "grass",
               "gravel", "clock", "cell")
MAX_SIDE = 640  # decoded photos are shrunk once so crops never resample a 1411 px retina per scene


@lru_cache(maxsize=None)
def base_photos() -> tuple[np.ndarray, ...]:
    """All base photos as uint8 RGB, decoded once per process (grey ones replicated to RGB)."""
    import skimage.data

    photos = []
    for name in PHOTO_NAMES:
        img = getattr(skimage.data, name)()
        img = img[0] if isinstance(img, tuple) else img  # stereo_motorcycle is (left, right, disparity)
        img = np.ascontiguousarray(np.dstack([img] * 3) if img.ndim == 2 else img[..., :3], dtype=np.uint8)
        scale = MAX_SIDE / max(img.shape[:2])
        if scale < 1:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        photos.append(img)
    return tuple(photos)


def scene_shape(rng: np.random.Generator, size: int, square: bool = False) -> tuple[int, int]:
    """(height, width): mostly size x size, a quarter of the time one side shrunk to [0.6, 1) x size,
    because real datasets mix sizes and no code may assume one."""
    if square or rng.random() < 0.75:
        return size, size
    short = int(rng.integers(max(int(0.6 * size), 8), size))
    return (short, size) if rng.random() < 0.5 else (size, short)


def random_photo(rng: np.random.Generator, size: int, square: bool = False) -> np.ndarray:
    """A random crop of a random base photo, possibly flipped and tinted, resized to the scene shape."""
    photos = base_photos()
    src = photos[int(rng.integers(len(photos)))]
    h, w = scene_shape(rng, size, square)
    # Crop with the target aspect ratio, covering 35..100% of the largest such crop.
    ph, pw = src.shape[:2]
    fit = min(ph / h, pw / w)
    scale = fit * rng.uniform(0.35, 1.0)
    ch, cw = max(int(h * scale), 8), max(int(w * scale), 8)
    y, x = int(rng.integers(ph - ch + 1)), int(rng.integers(pw - cw + 1))
    crop = src[y:y + ch, x:x + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    interp = cv2.INTER_AREA if ch >= h else cv2.INTER_CUBIC
    out = cv2.resize(np.ascontiguousarray(crop), (w, h), interpolation=interp)
    if (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all() and rng.random() < 0.7:
        gains = rng.uniform(0.75, 1.1, size=3)  # grey photos become gently tinted colour scenes
        out = np.clip(out * gains, 0, 255).astype(np.uint8)
    return out
