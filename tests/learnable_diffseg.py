"""Tiny DiffSeg30k-layout datasets for the training tests: `train_copy/` and `validation_copy/`
folders of `{8-digit id}.image.png` + L-mode `.mask.png` (ids 1..K, some all-zero), `labels.json`."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

GENERATORS = ("SD2", "SDXL", "Flux.1")


def write_diffseg(root: Path, train: int = 12, validation: int = 6, size: int = 48, seed: int = 0) -> Path:
    """Edited regions are rectangles of a generator-specific noise texture on a smooth background,
    so a model can learn them; every third image is unedited."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "labels.json").write_text(json.dumps({str(i + 1): g for i, g in enumerate(GENERATORS)}))
    n = 0
    for split, count in (("train", train), ("validation", validation)):
        folder = root / f"{split}_copy"
        folder.mkdir()
        for _ in range(count):
            n += 1
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
            stem = folder / f"{n:08d}"
            Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(f"{stem}.image.png")
            Image.fromarray(mask, mode="L").save(f"{stem}.mask.png")
    return root
