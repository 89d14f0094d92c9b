"""COCO-Glide demo: `CocoGlide/real/{category}_{cocoid}.png`, its Glide-style inpainted copy
`CocoGlide/fake/glide_inpainting_val2017_{cocoid}_up.png` and the grey mask
`CocoGlide/mask/{category}_{cocoid}_mask.png` (255 = forged), all 256x256 PNG."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from benchmark.registry import DEMOS

from ..compose import edit_image, make_scene, parallel_map
from ..files import encode_png, write_file
from .base import DemoWriter

# Glide samples at 64 px and upsamples (the `_up` of the file names): a latent round trip is
# the closest of the local editors.
GLIDE_EDITOR = "latent-roundtrip"
# COCO categories, several with spaces, which file-name parsing must survive.
CATEGORIES = ("hot dog", "teddy bear", "fire hydrant", "stop sign", "cell phone", "dining table",
              "potted plant", "wine glass", "dog", "pizza", "bus", "giraffe", "umbrella", "clock")
COCO_VAL_IDS = (139, 581781)  # smallest and largest image id of COCO val2017


@DEMOS.register_module(name="cocoglide")
class CocoGlideDemo(DemoWriter):
    """`images` = forged/real pairs."""

    default_images = 32
    default_size = 256  # TruFor's COCO-Glide images are 256x256

    def write(self, out: Path) -> str:
        base = Path(out) / "CocoGlide"
        rng = np.random.default_rng(self.seed)  # plan stream; items draw from spawned streams
        low, high = COCO_VAL_IDS
        ids = sorted((rng.choice(high - low + 1, self.images, replace=False) + low).tolist())
        deck = rng.permutation(len(CATEGORIES))  # dealt in turn: categories stay balanced
        categories = [CATEGORIES[deck[i % len(deck)]] for i in range(self.images)]
        items = parallel_map(partial(make_pair, size=self.size), self.images, self.seed, self.workers,
                             "writing cocoglide demo")
        for coco_id, category, (real, fake, mask) in zip(ids, categories, items):
            write_file(base / "real" / f"{category}_{coco_id}.png", real)
            write_file(base / "fake" / f"glide_inpainting_val2017_{coco_id}_up.png", fake)
            write_file(base / "mask" / f"{category}_{coco_id}_mask.png", mask)
        return (f"cocoglide demo in {base}: {self.images} real/fake pairs with masks over "
                f"{len(set(categories))} categories (seed {self.seed}, {self.size} px)")


def make_pair(index: int, rng: np.random.Generator, size: int) -> tuple[bytes, bytes, bytes]:
    """(real PNG, inpainted PNG, mask PNG with 255 = forged) of one COCO id."""
    image, donor = make_scene(rng, size, square=True)
    edited, label, _ = edit_image(image, rng, (GLIDE_EDITOR,), {GLIDE_EDITOR: 1}, donor)
    return encode_png(image), encode_png(edited), encode_png(np.where(label > 0, np.uint8(255), np.uint8(0)))
