"""DiffSeg30k demo: `train.zip` of `train_copy/{id}.image.png` / `.mask.png` pairs, the validation
split as Hugging Face parquet shards `data/validation-0000k-of-0000n.parquet`, and `labels.json`."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from benchmark.registry import DEMOS

from ..compose import Turn, edit_image, make_scene, parallel_map, plan_edits
from ..editors import EDITOR_NAMES
from ..files import encode_png, write_image_parquet, write_json, write_zip
from .base import DemoWriter

VALIDATION_SHARE = 0.2   # the paper's 8:2 split
REAL_SHARE = 0.2         # unedited images, like the 5k real COCO images of the paper
ROWS_PER_SHARD = 64


@DEMOS.register_module(name="diffseg")
class DiffSegDemo(DemoWriter):
    default_images = 600
    default_size = 256

    def write(self, out: Path) -> str:
        out = Path(out)
        rng = np.random.default_rng(self.seed)  # plan stream; items draw from spawned streams
        ids = {name: i + 1 for i, name in enumerate(EDITOR_NAMES)}
        plans = plan_edits(self.images, rng, EDITOR_NAMES, real_fraction=REAL_SHARE)
        validation = set(split_validation(plans, rng))
        items = parallel_map(partial(make_item, plans=plans, size=self.size, ids=ids), self.images, self.seed,
                             self.workers, "writing diffseg demo")

        out.mkdir(parents=True, exist_ok=True)
        train = [i for i in range(self.images) if i not in validation]
        write_zip(out / "train.zip", ((f"train_copy/{i:08d}.{kind}.png", data)
                                      for i in train for kind, data in zip(("image", "mask"), items[i][:2])))
        val = sorted(validation)
        shards = [s for s in np.array_split(val, max(-(-len(val) // ROWS_PER_SHARD), 1)) if len(s)]
        (out / "data").mkdir()
        for k, rows in enumerate(shards):
            write_image_parquet(out / "data" / f"validation-{k:05d}-of-{len(shards):05d}.parquet", {
                "image": [(items[i][0], f"{i:08d}.image.png") for i in rows],
                "mask": [(items[i][1], f"{i:08d}.mask.png") for i in rows]})
        write_json(out / "labels.json", {str(k): name for name, k in ids.items()})

        real = {i for i, item in enumerate(items) if not item[2]}  # no turn applied
        return (f"diffseg demo in {out}: train.zip {len(train)} images ({len(real - validation)} unedited), "
                f"validation {len(val)} images in {len(shards)} parquet shard(s) under data/ "
                f"({len(real & validation)} unedited), {len(ids)} editors in labels.json "
                f"(seed {self.seed}, {self.size} px)")


def split_validation(plans: list[tuple[str, ...]], rng: np.random.Generator) -> list[int]:
    """Indices of the validation split: the same share of unedited and of edited images."""
    chosen: list[int] = []
    for group in ([i for i, p in enumerate(plans) if not p], [i for i, p in enumerate(plans) if p]):
        order = rng.permutation(group)
        chosen += order[: int(round(VALIDATION_SHARE * len(group)))].tolist()
    return chosen


def make_item(index: int, rng: np.random.Generator, plans: list[tuple[str, ...]], size: int,
              ids: dict[str, int]) -> tuple[bytes, bytes, list[Turn]]:
    image, donor = make_scene(rng, size)
    edited, label, turns = edit_image(image, rng, plans[index], ids, donor)
    return encode_png(edited), encode_png(label), turns
