"""Mask files in the formats the real datasets ship, built from a boolean array."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

# kind -> file extension
MASK_KINDS = {"L8": ".png", "Laa": ".png", "RGB": ".png", "1bit": ".png", "Ljpg": ".jpg", "RGBjpg": ".jpg"}


def encode_mask(edited: np.ndarray, kind: str) -> bytes:
    """Encode a boolean mask so that `convert('L') > 127` gives `edited` back exactly."""
    grey = np.where(edited, 255, 0).astype(np.uint8)
    if kind == "Laa":  # anti-aliased edges: grey rings on both sides of the boundary
        grey[ndimage.binary_dilation(edited) & ~edited] = 90
        grey[edited & ~ndimage.binary_erosion(edited)] = 180
    if kind == "1bit":
        im = Image.fromarray(edited.astype(bool))
    elif kind in ("RGB", "RGBjpg"):
        im = Image.fromarray(np.repeat(grey[..., None], 3, axis=2))
    else:
        im = Image.fromarray(grey)
    buf = io.BytesIO()
    im.save(buf, "JPEG" if kind.endswith("jpg") else "PNG", **({"quality": 95} if kind.endswith("jpg") else {}))
    return buf.getvalue()


def encode_image(rgb: np.ndarray, fmt: str = "PNG", quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buf.getvalue()


def rect_mask(h: int, w: int, y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
    """Block-aligned rectangles keep JPEG ringing well away from the 127 threshold."""
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m
