"""The one writer of small DiffSeg30k-layout test datasets: (id, image, mask) pairs (random
rectangles for the adapter, shapes of generators 1..3 for the scorer, learnable textures for
training) written as `{split}_copy/` folders, a zip or parquet shards, with `labels.json`."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

GENERATORS = ["SD2", "SDXL", "Flux.1"]


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


def shape_pairs(n: int = 10, seed: int = 0, sizes=((48, 64), (40, 40))):
    """Rectangles and discs of generators 1..3 (two turns on some images), every third image
    unedited, two image sizes."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = sizes[i % len(sizes)]
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        mask = np.zeros((h, w), np.uint8)
        if i % 3:
            gen = 1 + i % len(GENERATORS)
            y, x = rng.integers(0, h // 2), rng.integers(0, w // 2)
            mask[y:y + h // 3, x:x + w // 3] = gen
            if i % 4 == 1:
                yy, xx = np.ogrid[:h, :w]
                mask[(yy - h * 0.7) ** 2 + (xx - w * 0.6) ** 2 < (min(h, w) / 6) ** 2] = 1 + gen % len(GENERATORS)
        yield f"{i:08d}", image, mask


def learnable_pairs(rng: np.random.Generator, count: int, size: int, first: int):
    """Edited regions are rectangles of a generator-specific noise texture on a smooth background,
    so a model can learn them; every third image (by id) is unedited. Ids count from `first`."""
    for n in range(first, first + count):
        yy, xx = np.mgrid[0:size, 0:size]
        base = (128 + 60 * np.sin(xx / rng.uniform(4, 12)) * np.cos(yy / rng.uniform(4, 12)))
        image = np.repeat(base[..., None], 3, axis=2) + rng.uniform(-20, 20, 3)
        mask = np.zeros((size, size), np.uint8)
        if n % 3:
            for gen in rng.choice(len(GENERATORS), size=rng.integers(1, 3), replace=False):
                h, w = rng.integers(size // 4, size // 2, 2)
                y, x = rng.integers(0, size - h), rng.integers(0, size - w)
                mask[y:y + h, x:x + w] = gen + 1
                image[y:y + h, x:x + w] = rng.normal(60 + 60 * gen, 25, (h, w, 3))
        yield f"{n:08d}", np.clip(image, 0, 255).astype(np.uint8), mask


def make_diffseg(root: Path, n: int = 10, seed: int = 0, sizes=((48, 64), (40, 40))) -> Path:
    """`shape_pairs` in root/train_copy, with labels.json. Returns `root`."""
    write_folder(root, shape_pairs(n, seed, sizes))
    write_labels(root)
    return root


def write_diffseg(root: Path, train: int = 12, validation: int = 6, size: int = 48, seed: int = 0) -> Path:
    """`learnable_pairs` in root/train_copy and root/validation_copy, with labels.json."""
    rng = np.random.default_rng(seed)
    write_folder(root, learnable_pairs(rng, train, size, 1))
    write_folder(root, learnable_pairs(rng, validation, size, 1 + train), "validation_copy")
    write_labels(root)
    return root


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


def write_labels(root: Path, names=GENERATORS) -> None:
    (root / "labels.json").write_text(json.dumps({str(i + 1): n for i, n in enumerate(names)}))
