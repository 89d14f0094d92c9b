"""The mask encodings of the predictions format, and their guards: 8-bit grey PNG and COCO RLE,
each checked from what it declares (PNG header, RLE size and runs) before a pixel is decoded, so a
bomb is refused in microseconds. A broken mask raises a `ProblemError` naming the file, with its code."""
from __future__ import annotations

import cv2
import numpy as np

from benchmark.datasets.imageio import png_stream_problem
from benchmark.errors import BenchError
from benchmark.limits import MAP_PIXELS_PER_GT_PIXEL, MAP_SIDE_ANY_GT, MAX_MAP_PIXELS

from .problems import ProblemError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_HEADER_BYTES = 33  # signature + IHDR: width, height, depth and colour type


def png_size(data: bytes) -> tuple[int, int] | None:
    """(height, width) declared by a PNG's IHDR chunk, or None when `data` is not a PNG."""
    if data[:8] != PNG_SIGNATURE or len(data) < PNG_HEADER_BYTES or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[20:24], "big"), int.from_bytes(data[16:20], "big")


def png_header_problem(data: bytes) -> str | None:
    """Why `data` is not an 8-bit single-channel PNG (read from the IHDR chunk, no decoding)."""
    size = png_size(data)
    if size is None:
        return "not a PNG file"
    if 0 in size:
        return f"PNG declares an empty {size[1]}x{size[0]} image"
    depth, colour = data[24], data[25]
    kinds = {0: "grey", 2: "RGB", 3: "palette", 4: "grey+alpha", 6: "RGBA"}
    if colour != 0 or depth != 8:
        return (f"PNG is {depth}-bit {kinds.get(colour, f'colour type {colour}')}; masks must be "
                "8-bit single-channel grey (mode L)")
    return png_stream_problem(data)


def map_size_problem(size: tuple[int, int], gt_shape: tuple[int, int] | None) -> tuple[str, str] | None:
    """(code, why) a submitted map of `size` (h, w) cannot be scored against a GT of `gt_shape`:
    more than `MAP_PIXELS_PER_GT_PIXEL` times its pixels and more than `MAP_SIDE_ANY_GT` squared
    (`png_too_large`, refused before decoding), or another aspect ratio than the GT's unless
    square (a network resolution): swapped height and width would otherwise be stretched silently."""
    h, w = size
    if h <= 0 or w <= 0:
        return "invalid_predictions", f"map size {w}x{h} is empty"
    if gt_shape is None:
        return (("png_too_large", f"map of {w}x{h} pixels is over the cap of {MAX_MAP_PIXELS} pixels: refused "
                                  "before decoding") if h * w > MAX_MAP_PIXELS else None)
    gh, gw = gt_shape
    if h * w > max(MAP_PIXELS_PER_GT_PIXEL * gh * gw, MAP_SIDE_ANY_GT ** 2):
        return "png_too_large", (f"map of {w}x{h} pixels is over the cap of {MAP_PIXELS_PER_GT_PIXEL}x the ground "
                                 f"truth's {gw}x{gh} or {MAP_SIDE_ANY_GT}x{MAP_SIDE_ANY_GT}: refused before decoding")
    same_aspect = abs(h * gw - w * gh) <= max(h, w, gh, gw)  # within a pixel of rounding either way
    if not (same_aspect or h == w):
        return "invalid_predictions", (f"map is {w}x{h} but the ground truth is {gw}x{gh}: another aspect ratio "
                                       + ("(height and width swapped?)" if abs(h * gh - w * gw) <= max(h, w, gh, gw) else "")
                                       + "; store maps at the GT's aspect ratio or square")
    return None


def decode_mask_png(data: bytes, name: str, gt_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Decode one mask PNG to uint8 HxW, or raise a ProblemError naming the file. With `gt_shape`
    the declared size is checked (`map_size_problem`) before any pixel is decoded."""
    problem = png_header_problem(data)
    if problem is None:
        sized = map_size_problem(png_size(data), gt_shape)
        if sized:
            raise ProblemError(sized[0], name, sized[1])
        try:
            arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        except cv2.error:  # over OpenCV's own pixel cap, or a corrupt stream
            arr = None
        if arr is not None and arr.ndim == 2 and arr.dtype == np.uint8:
            return arr
        problem = "unreadable PNG"
    raise ProblemError("invalid_predictions", name, problem)


def encode_mask_png(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(mask), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise BenchError(f"cannot encode a {mask.dtype} {mask.shape} mask as PNG")
    return buf.tobytes()


def to_mask_bytes(task: str, mask: np.ndarray) -> np.ndarray:
    """Encode a prediction as the uint8 map the format stores.

    binary: float arrays are probabilities in [0, 1] (stored as round(255 p)), bool arrays hard
    masks, uint8 arrays are taken as already stored values; semantic: integer class ids.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise BenchError(f"a mask must be 2-D HxW, got shape {mask.shape}")
    if task == "binary":
        if mask.dtype == bool:
            return mask.astype(np.uint8) * 255
        if np.issubdtype(mask.dtype, np.floating):
            if not np.isfinite(mask).all() or mask.min(initial=0) < 0 or mask.max(initial=0) > 1:
                raise BenchError("binary probabilities must be finite and in [0, 1]")
            return np.rint(mask * 255).astype(np.uint8)
    if mask.dtype == np.uint8:
        return mask
    if np.issubdtype(mask.dtype, np.integer) and mask.min(initial=0) >= 0 and mask.max(initial=0) <= 255:
        return mask.astype(np.uint8)
    raise BenchError(f"cannot store a {mask.dtype} mask for the {task} task")


# -- COCO RLE -------------------------------------------------------------------------------
def encode_rle(mask: np.ndarray) -> dict:
    """COCO RLE of a hard binary mask (nonzero = edited), counts as text."""
    from pycocotools import mask as cocomask

    rle = cocomask.encode(np.asfortranarray(mask > 0, dtype=np.uint8))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def rle_counts(text: str) -> list[int]:
    """The run lengths of a compressed COCO RLE string (pycocotools' `rleFrString`), so that
    they can be checked before pycocotools decodes them without a length check."""
    counts: list[int] = []
    p, n = 0, len(text)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                raise ValueError("counts string ends inside a run length")
            c = ord(text[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"character {text[p]!r} is not part of a compressed RLE")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p, k = p + 1, k + 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def rle_size(rle: object) -> tuple[int, int]:
    """(h, w) an RLE declares; ValueError when it declares none."""
    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        raise ValueError("expected an object with 'size' [h, w] and 'counts'")
    size = rle["size"]
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in size)):
        raise ValueError(f"size {str(size)[:40]} is not two integers [h, w]")
    return int(size[0]), int(size[1])


def decode_rle(rle: object, name: str, gt_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Decode one COCO RLE (compressed text or uncompressed list counts) to a 0/255 uint8 map.
    Its size is checked first (`map_size_problem`), and its runs must cover exactly h x w pixels:
    pycocotools would leave the rest of the map uninitialised."""
    from pycocotools import mask as cocomask

    try:
        h, w = rle_size(rle)
        sized = map_size_problem((h, w), gt_shape)
        if sized:
            raise ProblemError(sized[0], name, sized[1])
        counts = rle["counts"]
        runs = rle_counts(counts) if isinstance(counts, str) else counts
        if not isinstance(runs, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in runs):
            raise ValueError("counts must be a compressed string or a list of integers")
        if any(v < 0 for v in runs):
            raise ValueError("a run length is negative")
        if sum(runs) != h * w:
            raise ValueError(f"runs cover {sum(runs)} pixels, size {h}x{w} has {h * w}")
        arr = cocomask.decode(cocomask.frPyObjects({"size": [h, w], "counts": runs}, h, w))
    except ProblemError:
        raise
    except Exception as exc:  # pycocotools raises bare Exceptions/TypeErrors on malformed input
        raise ProblemError("invalid_predictions", name, f"malformed COCO RLE ({exc})") from None
    return arr.astype(np.uint8) * 255
