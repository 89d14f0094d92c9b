"""Semi-Truths demo: `.tar.bz2` shards of originals, masks and edits, and the edited-image CSVs.

```
original/images/{DS}_images_{k}.tar.bz2        images/{DS}/{img_id}.jpg|.png
original/masks/{DS}_masks_{k}.tar.bz2          masks/{DS}/{mask file}   (the source's own naming and file kind)
inpainting/{DS}/{MODEL}/{DS}_{MODEL}_{k}.tar.bz2                    {DS}/{MODEL}/{mask_id}_{DS}_{MODEL}.png
prompt-based-editing/LlaVA-Hermes/{DS}/{MODEL}/{DS}_{MODEL}_{k}.tar.bz2   {DS}/{MODEL}/{id}_{DS}_{MODEL}.png
metadata/edited/inpainting.csv, metadata/edited/prompt-based-editing.csv
```

As in the real pipeline, every model inpaints the same original with the same object mask; the
edit bleeds a little beyond the mask and every pixel is touched slightly (the VAE round trip).
Metric columns are measured on the actual edit where that needs no network (area ratios, SSIM,
MSE) and `NA` where it does (LPIPS, DreamSim, CLIP similarities, BRISQUE); `sem_magnitude` bins the
mean change inside the mask and `pass_qc` asks for a visible edit that keeps the scene.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from benchmark.registry import DEMOS, EDITORS

from ...semitruths import MODELS, SPLIT_FRACTIONS, split_of
from ...tarshards import write_shard
from ..compose import MIN_CHANGE, make_scene, parallel_map
from ..files import MASK_KINDS, encode_jpeg, encode_mask, encode_png, write_csv
from ..masks import random_mask
from .base import DemoWriter

COLUMNS = ("img_id", "perturbed_img_id", "original_caption", "perturbed_caption", "dataset", "diffusion_model",
           "method", "language_model", "mask_id", "mask_name", "sem_magnitude", "area_ratio", "post_edit_ratio",
           "ssim", "mse", "lpips_score", "dreamsim", "sen_sim", "cap2_img2", "img1_img2", "direct_sim",
           "brisque_score_orig", "brisque_score_perturb", "pass_qc")
# Each diffusion model is a distinct local editor of a diffusion-like kind.
MODEL_EDITORS = {"StableDiffusion_v4": "latent-roundtrip", "StableDiffusion_v5": "noisy-lowpass",
                 "StableDiffusion_XL": "biharmonic", "Kandinsky_2_2": "telea", "OpenJourney": "splice"}
PROMPT_MODELS = ("StableDiffusion_v4", "StableDiffusion_v5", "OpenJourney")
LANGUAGE_MODEL = "LlaVA-Hermes"
PROMPT_SHARE = 1 / 3    # originals that also get one prompt-based edit
MAX_MASKS, MAX_MODELS = 2, 3
SHARD_MEMBERS = 6       # tiny shards, so the demo has `_1`, `_2`, ... shards too
JPEG_QUALITY = 90       # the originals stored as JPEG
BLEED = 2               # pixels an edit spills beyond its mask
CHANGED = 10            # grey levels above which a pixel counts as changed (post_edit_ratio)
MAGNITUDES = ((20.0, "small"), (40.0, "medium"), (np.inf, "large"))  # mean change inside the mask
QC_MIN_SSIM = 0.5
SPLIT_CYCLE = ("train", "val", "test", "train", "train", "train", "train", "train", "train", "val")


@dataclass(frozen=True)
class Source:
    """How one source dataset names and stores its originals and object masks."""
    image_ext: str
    mask_kind: str                                     # a key of MASK_KINDS
    classes: tuple[str, ...]
    make_id: Callable[[np.random.Generator, int], str]  # (rng, n-th original of this source) -> img_id
    mask_stem: Callable[[str, int, str, np.random.Generator], str]  # (img_id, instance, class, rng)
    mask_id: Callable[[str, int, str, str], str] = lambda img_id, k, cls, stem: stem
    csv_id: Callable[[str, int], str] = lambda img_id, n: img_id


CELEBA_PARTS = ("skin", "nose", "hair", "mouth", "neck", "cloth", "left ear", "right ear", "lower lip", "upper lip")
OPENIMAGES_MIDS = {"Person": "m01g317", "Car": "m0k4j", "Dog": "m0bt9lr", "Cat": "m01yrx", "Tree": "m07j7r"}
SOURCES = {
    "ADE20K": Source(".jpg", "png-L", ("trees", "sky", "house", "grass", "car", "person", "fence", "path"),
                     lambda rng, n: f"ADE_train_{int(rng.integers(1, 20211)):08d}",
                     lambda img, k, cls, rng: f"instance_{k:03d}_{img}"),
    "CelebAHQ": Source(".jpg", "jpeg-RGB", CELEBA_PARTS,
                       lambda rng, n: str(int(rng.integers(0, 30000))),
                       lambda img, k, cls, rng: f"{img}_{cls.replace(' ', '_')}",
                       # the CSV numbers the part while the file names it (`20046_004` = `20046_mouth.jpg`)
                       mask_id=lambda img, k, cls, stem: f"{img}_{CELEBA_PARTS.index(cls) + 1:03d}",
                       csv_id=lambda img, n: f"CelebA_{img}" if n % 2 == 0 else img),
    "CityScapes": Source(".png", "png-L-antialiased", ("rider", "vegetation", "car", "building", "person", "truck"),
                         lambda rng, n: (f"{('bremen', 'hamburg', 'ulm', 'aachen', 'zurich')[n % 5]}_"
                                         f"{int(rng.integers(0, 400)):06d}_{int(rng.integers(0, 80000)):06d}"),
                         lambda img, k, cls, rng: f"{img}_instance{k:03d}"),
    "HumanParsing": Source(".png", "png-RGB", ("Upper-clothes", "Skirt", "Pants", "Dress", "Bag", "Hat", "Left-shoe"),
                           lambda rng, n: f"img_{int(rng.integers(0, 17706)):05d}",
                           lambda img, k, cls, rng: f"{img}_{cls.replace('-', '')}"),
    "OpenImages": Source(".jpg", "png-1bit", tuple(OPENIMAGES_MIDS),
                         lambda rng, n: rng.bytes(8).hex(),
                         lambda img, k, cls, rng: f"{img}_{OPENIMAGES_MIDS[cls]}_{k}_{rng.bytes(4).hex()}"),
    "SUN_RGBD": Source(".jpg", "jpeg-L", ("chair", "table", "bed", "lamp", "sofa", "pillow", "door"),
                       lambda rng, n: (f"{('bikeroom', 'bedroom', 'kitchen', 'office')[n % 4]}_{n % 3 + 1}__"
                                       f"{int(rng.integers(0, 10 ** 7)):07d}-{int(rng.integers(0, 10 ** 12)):012d}"),
                       lambda img, k, cls, rng: f"{img}_{k:03d}"),
}


@dataclass(frozen=True)
class MaskPlan:
    stem: str        # file name without extension
    mask_id: str     # as in the CSV
    name: str
    models: tuple[str, ...]


@dataclass(frozen=True)
class OriginalPlan:
    dataset: str
    img_id: str      # file stem
    csv_id: str      # as the CSV writes it
    masks: tuple[MaskPlan, ...]
    prompt_models: tuple[str, ...] = field(default=())


@DEMOS.register_module(name="semitruths")
class SemiTruthsDemo(DemoWriter):
    """`images` = originals, dealt round-robin over the six source datasets; each gets 1..2 object
    masks, each mask inpainted by 1..3 models, and a third of them one prompt-based edit."""

    default_images = 30
    default_size = 256  # the real images are 512x512; half keeps the demo quick

    def write(self, out: Path) -> str:
        out = Path(out)
        plans = plan_originals(self.images, np.random.default_rng(self.seed))
        items = parallel_map(partial(make_original, plans=plans, size=self.size), len(plans), self.seed,
                             self.workers, "writing semitruths demo")
        shards: dict[Path, dict[str, bytes]] = {}  # shard path without `_{k}.tar.bz2` -> members
        rows: dict[str, list[dict]] = {"inpainting": [], "prompt-based-editing": []}
        for plan, item in zip(plans, items):
            ds = plan.dataset
            name, data = item.original
            shards.setdefault(Path("original/images", f"{ds}_images"), {})[f"images/{ds}/{name}"] = data
            for name, data in item.masks:
                shards.setdefault(Path("original/masks", f"{ds}_masks"), {})[f"masks/{ds}/{name}"] = data
            for row, data in item.edits:
                model, method = row["diffusion_model"], row["method"]
                folder = Path(method, LANGUAGE_MODEL) if method == "prompt-based-editing" else Path(method)
                member = f"{ds}/{model}/{row['perturbed_img_id']}_{ds}_{model}.png"
                shards.setdefault(folder / ds / model / f"{ds}_{model}", {})[member] = data
                rows[method].append(row)
        count = write_shards(out, shards)
        (out / "metadata" / "edited").mkdir(parents=True)
        for method, table in rows.items():
            if table:
                write_csv(out / "metadata" / "edited" / f"{method}.csv", COLUMNS, table)
        return (f"semitruths demo in {out}: {len(plans)} originals from {len({p.dataset for p in plans})} "
                f"sources, {len(rows['inpainting'])} inpainted and {len(rows['prompt-based-editing'])} "
                f"prompt-edited images in {count} .tar.bz2 shards, metadata/edited/*.csv "
                f"(seed {self.seed}, {self.size} px)")


def write_shards(out: Path, shards: dict[Path, dict[str, bytes]]) -> int:
    """Each group's members sorted by name, SHARD_MEMBERS per `{prefix}_{k}.tar.bz2`; returns the
    number of shards written."""
    count = 0
    for prefix, members in sorted(shards.items()):
        names = sorted(members)
        for k in range(0, len(names), SHARD_MEMBERS):
            write_shard(out / f"{prefix}_{k // SHARD_MEMBERS}.tar.bz2",
                        {n: members[n] for n in names[k:k + SHARD_MEMBERS]})
            count += 1
    return count


def plan_originals(count: int, rng: np.random.Generator) -> list[OriginalPlan]:
    """Ids, masks and models of every original, dealt round-robin over the sources. Ids are
    redrawn until unique (file names never collide) and until the adapter's hashed split puts the
    n-th original of each source in `SPLIT_CYCLE[n]`: from three originals a source on, every split
    holds some of it, so a filtered subset (the faces preset: CelebAHQ only) can train, validate
    and test."""
    plans, taken = [], set()
    names = list(SOURCES)
    for i in range(count):
        ds, n = names[i % len(names)], i // len(names)
        source = SOURCES[ds]
        wanted = SPLIT_CYCLE[n % len(SPLIT_CYCLE)]
        img_id = source.make_id(rng, n)
        while (ds, img_id) in taken or split_of(ds, img_id, SPLIT_FRACTIONS) != wanted:
            img_id = source.make_id(rng, n)
        taken.add((ds, img_id))
        classes = rng.choice(len(source.classes), int(rng.integers(1, MAX_MASKS + 1)), replace=False)
        instances = rng.choice(np.arange(1, 60), len(classes), replace=False)
        masks = []
        for c, k in zip(classes, instances):
            cls = source.classes[int(c)]
            stem = source.mask_stem(img_id, int(k), cls, rng)
            models = sorted(rng.choice(len(MODELS), int(rng.integers(1, MAX_MODELS + 1)), replace=False))
            masks.append(MaskPlan(stem, source.mask_id(img_id, int(k), cls, stem), cls,
                                  tuple(MODELS[m] for m in models)))
        prompt = (PROMPT_MODELS[int(rng.integers(len(PROMPT_MODELS)))],) if rng.random() < PROMPT_SHARE else ()
        plans.append(OriginalPlan(ds, img_id, source.csv_id(img_id, n), tuple(masks), prompt))
    return plans


@dataclass
class OriginalItem:
    original: tuple[str, bytes]            # file name, bytes
    masks: list[tuple[str, bytes]]
    edits: list[tuple[dict, bytes]]        # CSV row, edited PNG


def make_original(index: int, rng: np.random.Generator, plans: list[OriginalPlan], size: int) -> OriginalItem:
    plan = plans[index]
    source = SOURCES[plan.dataset]
    scene, donor = make_scene(rng, size, square=True)
    data = encode_jpeg(scene, JPEG_QUALITY) if source.image_ext == ".jpg" else encode_png(scene)
    original = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    item = OriginalItem((plan.img_id + source.image_ext, data), [], [])
    for mask in plan.masks:
        region, _ = random_mask(original, rng)
        mask_data = encode_mask(region, source.mask_kind)
        # The requested region is what the stored file says, read as the dataset's users read it.
        requested = np.asarray(Image.open(io.BytesIO(mask_data)).convert("L")) > 127
        item.masks.append((mask.stem + MASK_KINDS[source.mask_kind], mask_data))
        for model in mask.models:
            edited = _edit(original, requested, model, rng, donor)
            row = _row(plan, model, "inpainting", mask.mask_id, mask.name, original, edited, requested)
            row.update(mask_id=mask.mask_id, mask_name=mask.name, area_ratio=float(requested.mean()))
            item.edits.append((row, encode_png(edited)))
    for k, model in enumerate(plan.prompt_models):
        hidden, _ = random_mask(original, rng)  # the region the prompt changed; no mask is shipped
        edited = _edit(original, hidden, model, rng, donor)
        cls = source.classes[int(rng.integers(len(source.classes)))]
        row = _row(plan, model, "prompt-based-editing", f"{plan.img_id}_edit{k:02d}", cls, original, edited, hidden)
        item.edits.append((dict(row, language_model=LANGUAGE_MODEL), encode_png(edited)))
    return item


def _edit(original: np.ndarray, region: np.ndarray, model: str, rng: np.random.Generator,
          donor: np.ndarray) -> np.ndarray:
    """The model's editor over the region grown by BLEED pixels, then +-1 on every pixel."""
    grown = ndimage.binary_dilation(region, iterations=BLEED)
    edited = EDITORS.get(MODEL_EDITORS[model])(original, grown, rng, donor)
    touch = rng.integers(-1, 2, size=edited.shape, dtype=np.int16)
    return np.clip(edited + touch, 0, 255).astype(np.uint8)


def _row(plan: OriginalPlan, model: str, method: str, edit_id: str, cls: str, original: np.ndarray,
         edited: np.ndarray, region: np.ndarray) -> dict:
    """A metadata row, with every measurement that needs no network taken on the edit itself."""
    from skimage.metrics import structural_similarity

    diff = np.abs(edited.astype(np.int16) - original)
    change = float(diff[region].mean())
    grey = [cv2.cvtColor(a, cv2.COLOR_RGB2GRAY) for a in (original, edited)]
    ssim = float(structural_similarity(grey[0], grey[1], data_range=255))
    return {
        "img_id": plan.csv_id, "perturbed_img_id": edit_id, "dataset": plan.dataset, "diffusion_model": model,
        "method": method, "original_caption": f"a photo of a {cls}",
        "perturbed_caption": f"a photo of a different {cls}",
        "sem_magnitude": next(name for bound, name in MAGNITUDES if change < bound),
        "post_edit_ratio": float((diff.max(axis=2) > CHANGED).mean()),
        "ssim": ssim, "mse": float((diff.astype(np.float64) ** 2).mean()),
        "pass_qc": change >= MIN_CHANGE and ssim >= QC_MIN_SSIM,
    }
