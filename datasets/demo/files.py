"""Byte-reproducible file writing for the demo data: the same arrays always give the same bytes
(fixed zip timestamps and attributes, fixed member order, no wall clock anywhere)."""
from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import cv2
import numpy as np

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip header can hold
HF_IMAGE_FEATURE = {"_type": "Image"}
# Binary mask file kinds seen in real datasets -> file extension.
MASK_KINDS = {"png-L": ".png", "png-L-antialiased": ".png", "png-RGB": ".png", "png-1bit": ".png",
              "jpeg-L": ".jpg", "jpeg-RGB": ".jpg"}
MASK_JPEG_QUALITY = 90


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of an RGB uint8 HxWx3 image, or of an HxW uint8 label map as an 8-bit grey (L) PNG."""
    bgr = array[..., ::-1] if array.ndim == 3 else array
    ok, data = cv2.imencode(".png", np.ascontiguousarray(bgr), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError(f"PNG encoding failed for an array of shape {array.shape}")
    return data.tobytes()


def encode_jpeg(array: np.ndarray, quality: int = 90) -> bytes:
    """Baseline JPEG bytes of an RGB uint8 HxWx3 image (4:2:0, as cameras and datasets store them)
    or of an HxW grey one."""
    bgr = array[..., ::-1] if array.ndim == 3 else array
    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(bgr), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError(f"JPEG encoding failed for an array of shape {array.shape}")
    return data.tobytes()


def encode_mask(mask: np.ndarray, kind: str, value: int = 255) -> bytes:
    """A bool HxW mask as one of `MASK_KINDS`, `value` inside and 0 outside: 8-bit grey, grey
    with anti-aliased (resampled-looking) edges, grey stored as RGB, 1-bit, or JPEG (L or RGB,
    ringing included). Thresholding the decoded grey at 127 gives back about `mask`, exactly for
    the lossless kinds except the anti-aliased one."""
    if kind not in MASK_KINDS:
        raise ValueError(f"unknown mask kind {kind} (known: {', '.join(MASK_KINDS)})")
    grey = np.where(mask, np.uint8(value), np.uint8(0))
    if kind == "png-L-antialiased":  # what resizing a binary mask with a smooth filter leaves
        grey = cv2.GaussianBlur(grey, (0, 0), 0.7)
    if kind == "png-1bit":
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(mask.astype(bool)).save(buf, "PNG")
        return buf.getvalue()
    if kind.endswith("RGB"):
        grey = np.repeat(grey[..., None], 3, axis=2)
    return encode_jpeg(grey, MASK_JPEG_QUALITY) if kind.startswith("jpeg") else encode_png(grey)


def write_csv(path: str | os.PathLike, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """A CSV with the given column order, `\n` line ends, missing values (None) written as `NA`
    and floats with ten significant digits, so the bytes never depend on the platform."""
    def cell(value: Any) -> str:
        if value is None:
            return "NA"
        return format(value, ".10g") if isinstance(value, float) else str(value)

    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(row.get(c)) for c in columns] for row in rows)


def write_zip(path: str | os.PathLike, members: Iterable[tuple[str, bytes]]) -> None:
    """A zip with the members in the given order, stored (PNGs do not compress), fixed metadata;
    folders of the member names get their own entries, as archivers write them."""
    seen: set[str] = set()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                folder = "/".join(parts[:i]) + "/"
                if folder not in seen:
                    seen.add(folder)
                    zf.writestr(_zip_info(folder, 0o40755), b"")
            zf.writestr(_zip_info(name, 0o100644), data)


def _zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # unix, whatever the writing platform
    info.external_attr = (mode << 16) | (0x10 if name.endswith("/") else 0)
    return info


def write_image_parquet(path: str | os.PathLike, columns: Mapping[str, Sequence[tuple[bytes, str]]],
                        row_group_size: int = 32) -> None:
    """A parquet shard whose columns are Hugging Face `Image` features: struct{bytes, path} per
    cell, with the `huggingface` schema metadata that `datasets` reads the feature types from."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    struct = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    arrays = {name: pa.array([{"bytes": b, "path": p} for b, p in cells], type=struct)
              for name, cells in columns.items()}
    features = {"info": {"features": {name: HF_IMAGE_FEATURE for name in columns}}}
    table = pa.table(arrays).replace_schema_metadata({"huggingface": json.dumps(features)})
    pq.write_table(table, path, row_group_size=row_group_size, compression="none")


def write_file(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path`, creating its folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_json(path: str | os.PathLike, obj) -> None:
    Path(path).write_text(json.dumps(obj, indent=2) + "\n")
