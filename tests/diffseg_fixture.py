"""A small DiffSeg30k-layout dataset written into a test's tmp_path (shared by the harness tests)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

GENERATORS = ["alpha", "beta", "gamma"]


def make_diffseg(root: Path, n: int = 10, seed: int = 0, sizes=((48, 64), (40, 40))) -> Path:
    """`n` image/mask pairs in root/train_copy: rectangles and discs of generators 1..3 (two
    turns on some images), every third image unedited; two image sizes. Returns `root`."""
    rng = np.random.default_rng(seed)
    folder = root / "train_copy"
    folder.mkdir(parents=True)
    (root / "labels.json").write_text(json.dumps({str(i): g for i, g in enumerate(GENERATORS, 1)}))
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
        image_id = f"{i:08d}"
        Image.fromarray(image).save(folder / f"{image_id}.image.png")
        Image.fromarray(mask, mode="L").save(folder / f"{image_id}.mask.png")
    return root
