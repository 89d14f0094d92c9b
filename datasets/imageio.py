"""Decoding of image and mask files with errors that name the file, never numpy tracebacks."""
from __future__ import annotations

import io
import zlib
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from benchmark.errors import DataError

# A truncated PNG must fail loudly, not decode as a half-grey image.
Image.LOAD_TRUNCATED_IMAGES = False


def decode_image(data: bytes, name: str) -> np.ndarray:
    """Decode any 8-bit image file to uint8 RGB HxWx3 (cv2 is about twice as fast as PIL on PNG)."""
    # The PNG chunk check comes first: libpng would print its own complaint before failing.
    problem = png_stream_problem(data)
    if problem:
        raise DataError(name, problem)
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    except cv2.error:  # over OpenCV's pixel cap
        img = None
    if img is None:
        raise DataError(name, "unreadable or truncated image file")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def image_shape(data: bytes, name: str) -> tuple[int, int]:
    """(height, width) of an encoded image from its header, without decoding the pixels."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
    except Image.DecompressionBombError as exc:
        raise DataError(name, f"image too large to decode safely ({exc})") from None
    except (OSError, SyntaxError, ValueError):
        raise DataError(name, "unreadable or truncated image file") from None
    return height, width


def decode_label_mask(data: bytes, name: str) -> np.ndarray:
    """Decode a label mask to uint8 HxW by raw index: L and P (palette) modes keep their stored
    values, never the palette colour; 1-bit becomes 0/1; RGB is accepted only when grey."""
    im = _open_mask(data, name)
    mode, arr = im.mode, np.array(im)  # a writable copy: callers may edit masks in place
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


def decode_binary_mask(data: bytes, name: str, zero_one: bool = False) -> np.ndarray:
    """Binarise any mask kind (8-bit or anti-aliased L, RGB, 1-bit, JPEG) as `convert('L') > 127`.

    `zero_one` accepts masks stored as 0/1 (a plain `> 127` would read them as empty); it is off
    by default because a near-empty JPEG mask also has a maximum of 1 from ringing.
    """
    grey = np.asarray(_open_mask(data, name).convert("L"))
    if zero_one and grey.max(initial=0) == 1:
        return grey == 1
    return grey > 127


def decode_inverted_mask(data: bytes, name: str) -> np.ndarray:
    """Binarise an inverted mask (255 = real): any pixel whose first channel is not 255 is edited."""
    im = _open_mask(data, name)
    arr = np.asarray(im if im.mode in ("L", "RGB", "RGBA") else im.convert("RGB"))
    return (arr[..., 0] if arr.ndim == 3 else arr) != 255


def image_encoding(data: bytes) -> str:
    """File format of an encoded image, with the JPEG quality estimated from its luminance table
    (e.g. "jpeg q95"): real and edited images stored differently is a shortcut a detector learns."""
    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header and tables only
            fmt = (im.format or "unknown").lower()
            tables = getattr(im, "quantization", None) if fmt == "jpeg" else None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "unknown"
    if not tables:
        return fmt
    return f"jpeg q{_jpeg_quality(tuple(tables[0]))}"


@lru_cache(maxsize=1)
def _reference_tables() -> dict[int, np.ndarray]:
    """Luminance tables of the IJG encoder at every quality, read back from Pillow itself so the
    coefficient order matches what `Image.quantization` reports."""
    tables = {}
    for q in range(1, 101):
        buf = io.BytesIO()
        Image.new("L", (8, 8)).save(buf, "JPEG", quality=q)
        with Image.open(buf) as im:
            tables[q] = np.asarray(im.quantization[0], np.int32)
    return tables


@lru_cache(maxsize=64)
def _jpeg_quality(table: tuple[int, ...]) -> int:
    observed = np.asarray(table, np.int32)
    return min(_reference_tables().items(), key=lambda kv: int(np.abs(kv[1] - observed).sum()))[0]


def _open_mask(data: bytes, name: str) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return im.copy()
    except UnidentifiedImageError:
        raise DataError(name, "not an image file") from None
    except Image.DecompressionBombError as exc:
        raise DataError(name, f"mask too large to decode safely ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(name, f"unreadable or truncated mask file ({exc})") from None


def png_stream_problem(data: bytes) -> str | None:
    """Why a PNG's chunk stream is broken (a chunk failing its CRC, no IEND chunk), or None; None
    too for data that is not PNG. cv2 decodes some truncated PNGs without complaint, and libpng
    prints its own line to the terminal on a corrupt one before cv2 fails: checked before decoding."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    view, pos = memoryview(data), 8
    while pos + 12 <= len(data):
        length = int.from_bytes(view[pos:pos + 4], "big")
        end = pos + 12 + length
        if end > len(data):
            break
        kind = bytes(view[pos + 4:pos + 8])
        if zlib.crc32(view[pos + 4:end - 4]) != int.from_bytes(view[end - 4:end], "big"):
            return f"unreadable PNG: its {kind.decode('latin-1')!r} chunk fails its CRC check"
        if kind == b"IEND":
            return None
        pos = end
    return "truncated PNG (no IEND chunk)"
