"""Decoding of image and mask files with errors that name the file, never numpy tracebacks."""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from benchmark.errors import DataError

# A truncated PNG must fail loudly, not decode as a half-grey image.
Image.LOAD_TRUNCATED_IMAGES = False


def decode_image(data: bytes, name: str) -> np.ndarray:
    """Decode any 8-bit image file to uint8 RGB HxWx3 (cv2 is about twice as fast as PIL on PNG)."""
    buf = np.frombuffer(data, np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR) if len(buf) else None
    if img is None or png_truncated(data):
        raise DataError(name, "unreadable or truncated image file")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def decode_label_mask(data: bytes, name: str) -> np.ndarray:
    """Decode a label mask to uint8 HxW by raw index: L and P (palette) modes keep their stored
    values, never the palette colour; 1-bit becomes 0/1; RGB is accepted only when grey."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            mode = im.mode
            arr = np.asarray(im)
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(name, f"unreadable or truncated mask file ({exc})") from None
    if mode in ("L", "P"):
        return np.ascontiguousarray(arr, dtype=np.uint8)
    if mode == "1":
        return arr.astype(np.uint8)
    if mode in ("I;16", "I", "I;16B"):
        if arr.max(initial=0) > 255:
            raise DataError(name, f"mask values up to {int(arr.max())} do not fit a uint8 label map")
        return arr.astype(np.uint8)
    if mode in ("RGB", "RGBA", "LA"):
        rgb = arr[..., :3] if mode != "LA" else arr[..., :1]
        if (rgb == rgb[..., :1]).all():
            return np.ascontiguousarray(rgb[..., 0], dtype=np.uint8)
        raise DataError(name, f"mask is colour {mode}; a label mask must be L or P mode (raw class ids)")
    raise DataError(name, f"unsupported mask mode {mode}")


def png_truncated(data: bytes) -> bool:
    """cv2 decodes some truncated PNGs without complaint; a PNG must end with its IEND chunk."""
    return data[:8] == b"\x89PNG\r\n\x1a\n" and data.rstrip(b"\x00")[-8:-4] != b"IEND"
