"""Small DiffSeg30k-layout fixtures built from random data (folder, zip, parquet)."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

NAMES = ["gen_a", "gen_b", "gen_c"]


def png_bytes(array: np.ndarray, mode: str | None = None, palette: bool = False) -> bytes:
    im = Image.fromarray(array, mode) if mode else Image.fromarray(array)
    if palette:
        im = im.convert("P")
        # A palette whose colours differ from the indices proves the adapter reads raw indices.
        im.putpalette([255 - (i % 256) for i in range(768)])
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def random_pairs(n: int = 6, size: tuple[int, int] = (24, 32), seed: int = 0):
    """Yield (id, image, mask) with ids 1..3, at least one all-zero mask, a non-square size."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = size if i % 2 else size[::-1]
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        mask = np.zeros((h, w), np.uint8)
        for k in range(i % 4):
            y, x = rng.integers(0, h - 4), rng.integers(0, w - 4)
            mask[y:y + 6, x:x + 8] = k + 1
        yield f"{i:08d}", image, mask


def write_folder(root: Path, pairs, split_dir: str = "train_copy", palette: bool = False) -> Path:
    folder = root / split_dir
    folder.mkdir(parents=True, exist_ok=True)
    for image_id, image, mask in pairs:
        (folder / f"{image_id}.image.png").write_bytes(png_bytes(image))
        (folder / f"{image_id}.mask.png").write_bytes(png_bytes(mask, "L", palette=palette and image_id.endswith("1")))
    return folder


def write_zip(path: Path, pairs, prefix: str = "train_copy") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for image_id, image, mask in pairs:
            zf.writestr(f"{prefix}/{image_id}.image.png", png_bytes(image))
            zf.writestr(f"{prefix}/{image_id}.mask.png", png_bytes(mask, "L"))
    return path


def write_parquet(path: Path, pairs, struct: bool = True, paths=None) -> Path:
    """`paths`: the file names kept in the Image structs (None: no names, as in many uploads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    images, masks = [], []
    for _, image, mask in pairs:
        images.append(png_bytes(image))
        masks.append(png_bytes(mask, "L"))
    if struct:  # Hugging Face `Image` feature layout
        names = paths or [None] * len(images)
        table = pa.table({"image": [{"bytes": b, "path": p} for b, p in zip(images, names)],
                          "mask": [{"bytes": b, "path": None} for b in masks]})
    else:
        table = pa.table({"image": pa.array(images, pa.binary()), "mask": pa.array(masks, pa.binary())})
    pq.write_table(table, path, row_group_size=4)
    return path


def write_labels(root: Path, names=NAMES) -> None:
    (root / "labels.json").write_text(json.dumps({str(i + 1): n for i, n in enumerate(names)}))
