"""Byte-reproducible file writing for the demo data: the same arrays always give the same bytes
(fixed zip timestamps and attributes, fixed member order, no wall clock anywhere)."""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import cv2
import numpy as np

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip header can hold
HF_IMAGE_FEATURE = {"_type": "Image"}


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of an RGB uint8 HxWx3 image, or of an HxW uint8 label map as an 8-bit grey (L) PNG."""
    bgr = array[..., ::-1] if array.ndim == 3 else array
    ok, data = cv2.imencode(".png", np.ascontiguousarray(bgr), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError(f"PNG encoding failed for an array of shape {array.shape}")
    return data.tobytes()


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


def write_json(path: str | os.PathLike, obj) -> None:
    Path(path).write_text(json.dumps(obj, indent=2) + "\n")
