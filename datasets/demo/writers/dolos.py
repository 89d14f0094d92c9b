"""DOLOS / WFake demo: `{celebahq,ffhq}/real/{split}`, `fake/p2/{split}` (whole-image synthesis)
and `fake/{subset}/{images,masks}/{split}` with one local edit per image and an RGB mask of the
same file name stored inverted (255 = real pixel, 0 = edited)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from benchmark.registry import DEMOS, EDITORS

from ...dolos import FOLDERS, FULL, LOCAL
from ..compose import edit_image, make_scene, parallel_map
from ..files import encode_png, write_file
from .base import DemoWriter

# Each inpainter gets a local editor of a like kind, all distinct, so the cross-generator study
# (train on one, test on the others) asks a real question. repaint-p2-9k is a smaller training
# set of the same RePaint-P2 model in the real data, so it shares repaint-p2's editor.
SUBSET_EDITORS = {
    "repaint-p2": "noisy-lowpass",    # pixel-space diffusion: noisy generative fill
    "repaint-p2-9k": "noisy-lowpass",
    "ldm": "latent-roundtrip",        # latent diffusion: 8x latent, decoder ringing
    "lama": "biharmonic",             # LaMa: smooth, slightly blurred large-hole fill
    "pluralistic": "copy-fill",       # GAN: sharp, repeated texture
}
P2_EDITOR = "latent-resynthesis"
SOURCE_SUBSETS = {"celebahq": ("real", FULL) + LOCAL, "ffhq": ("real", FULL, "repaint-p2")}
SPLIT_SHARES = (0.6, 0.2, 0.2)  # train, valid, test
FFHQ_SHARE = 0.5                # ffhq is the smaller, secondary source


@dataclass(frozen=True)
class Job:
    source: str
    subset: str
    split: str
    name: str

    def paths(self, root: Path) -> tuple[Path, Path | None]:
        """(image file, mask file or None) of this job under the dataset root."""
        if self.subset == "real":
            return root / self.source / "real" / self.split / self.name, None
        if self.subset == FULL:
            return root / self.source / "fake" / FULL / self.split / self.name, None
        folder = root / self.source / "fake" / self.subset
        return folder / "images" / self.split / self.name, folder / "masks" / self.split / self.name


@DEMOS.register_module(name="dolos")
class DolosDemo(DemoWriter):
    """`images` = images per celebahq subset (real, p2 and each inpainter), over train/valid/test
    60/20/20 with at least one each; ffhq gets half as many."""

    default_images = 20
    default_size = 256  # the real DOLOS images are 256x256

    def write(self, out: Path) -> str:
        out = Path(out)
        jobs = plan_jobs(self.images)
        items = parallel_map(partial(make_item, jobs=jobs, size=self.size), len(jobs), self.seed,
                             self.workers, "writing dolos demo")
        for job, (image, mask) in zip(jobs, items):
            image_path, mask_path = job.paths(out)
            write_file(image_path, image)
            if mask_path is not None:
                write_file(mask_path, mask)
        per_source = {s: sum(j.source == s for j in jobs) for s in SOURCE_SUBSETS}
        return (f"dolos demo in {out}: " + ", ".join(f"{s} {n} images" for s, n in per_source.items())
                + f" (real, p2 and {len(LOCAL)} inpainted subsets with inverted masks; "
                  f"seed {self.seed}, {self.size} px)")


def split_sizes(count: int) -> dict[str, int]:
    """Images per split for `count` images of one subset: SPLIT_SHARES, at least one each."""
    train = max(1, round(SPLIT_SHARES[0] * count))
    valid = max(1, round(SPLIT_SHARES[1] * count))
    return dict(zip(FOLDERS.values(), (train, valid, max(1, count - train - valid))))


def plan_jobs(images: int) -> list[Job]:
    """One job per file, in a fixed order; names count up per source, so no two images of a
    source share a name (as the real sets never pair an inpainted image with a real one by name)."""
    jobs = []
    for source, subsets in SOURCE_SUBSETS.items():
        count = images if source == "celebahq" else max(1, round(FFHQ_SHARE * images))
        n = 0
        for subset in subsets:
            for split, size in split_sizes(count).items():
                for _ in range(size):
                    jobs.append(Job(source, subset, split, f"{n:05d}.png"))
                    n += 1
    return jobs


def make_item(index: int, rng: np.random.Generator, jobs: list[Job], size: int) -> tuple[bytes, bytes | None]:
    """(image PNG, inverted RGB mask PNG or None) of job `index`."""
    subset = jobs[index].subset
    image, donor = make_scene(rng, size, square=True)
    if subset == "real":
        return encode_png(image), None
    if subset == FULL:
        return encode_png(EDITORS.get(P2_EDITOR)(image, np.ones(image.shape[:2], bool), rng, None)), None
    editor = SUBSET_EDITORS[subset]
    edited, label, _ = edit_image(image, rng, (editor,), {editor: 1}, donor)
    inverted = np.where(label > 0, np.uint8(0), np.uint8(255))
    return encode_png(edited), encode_png(np.repeat(inverted[..., None], 3, axis=2))

