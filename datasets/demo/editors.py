"""Local image editors for the demo data, registered in `benchmark.registry.EDITORS`.

Each is `edit(image uint8 HxWx3, mask bool HxW, rng, donor uint8 HxWx3 | None) -> uint8 HxWx3` and
changes pixels only inside the mask: blending feathers inward, so the mask stays exact ground
truth. The algorithms differ in kind (diffusion-based inpainting, PDE solves, copy-move, splicing,
noisy synthesis, resampling and compression), so each leaves its own trace to attribute.
Whole-image generators (`WHOLE_IMAGE_NAMES`) need no known surroundings: given an all-True mask
they regenerate the whole frame, standing in for unconditional synthesis such as DOLOS's P2.
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np
from scipy import ndimage

from benchmark.registry import EDITORS

Editor = Callable[[np.ndarray, np.ndarray, np.random.Generator, "np.ndarray | None"], np.ndarray]
EDITOR_NAMES: list[str] = []  # local editors; registration order = label order of the demo datasets
WHOLE_IMAGE_NAMES: list[str] = []  # kept apart so that local-edit plans never draw them


def editor(name: str, whole_image: bool = False) -> Callable[[Editor], Editor]:
    def register(fn: Editor) -> Editor:
        EDITORS.register_module(name=name, module=fn)
        (WHOLE_IMAGE_NAMES if whole_image else EDITOR_NAMES).append(name)
        return fn
    return register


def blend_inside(image: np.ndarray, fill: np.ndarray, mask: np.ndarray, feather: float) -> np.ndarray:
    """`fill` inside the mask, `image` outside; weights ramp from the border inward over `feather`
    pixels, so every pixel outside the mask is kept bit for bit."""
    alpha = np.clip(ndimage.distance_transform_edt(mask) / max(feather, 1.0), 0, 1)[..., None]
    out = image + alpha * (fill.astype(np.float32) - image)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def mask_box(mask: np.ndarray, margin: int = 0) -> tuple[slice, slice]:
    """Bounding box of the mask, grown by `margin` and clipped to the image."""
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    return (slice(max(ys.min() - margin, 0), min(ys.max() + margin + 1, h)),
            slice(max(xs.min() - margin, 0), min(xs.max() + margin + 1, w)))


@editor("telea")
def telea(image, mask, rng, donor=None):
    """OpenCV fast-marching inpainting (Telea 2004): smooth fill streaked along the boundary normals."""
    fill = cv2.inpaint(image, mask.astype(np.uint8), float(rng.uniform(3, 9)), cv2.INPAINT_TELEA)
    return blend_inside(image, fill, mask, rng.uniform(1, 3))


@editor("navier-stokes")
def navier_stokes(image, mask, rng, donor=None):
    """OpenCV Navier-Stokes inpainting: isophotes continued into the hole, flatter than Telea;
    re-quantised to a coarse palette as a low-bit-depth decoder would."""
    fill = cv2.inpaint(image, mask.astype(np.uint8), float(rng.uniform(3, 9)), cv2.INPAINT_NS)
    step = int(rng.integers(6, 12))
    fill = (fill.astype(np.int16) // step * step + step // 2).clip(0, 255).astype(np.uint8)
    return blend_inside(image, fill, mask, 1)


@editor("biharmonic")
def biharmonic(image, mask, rng, donor=None):
    """scikit-image biharmonic inpainting, solved on a downscaled crop around the mask (for speed)
    and upscaled bilinearly: a very smooth, slightly blurred fill."""
    from skimage.restoration import inpaint_biharmonic

    box = mask_box(mask, margin=6)
    crop, crop_mask = image[box], mask[box]
    ch, cw = crop_mask.shape
    factor = max(2.0, max(ch, cw) / 40)
    sh, sw = max(int(round(ch / factor)), 4), max(int(round(cw / factor)), 4)
    small = cv2.resize(crop, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float64) / 255
    small_mask = cv2.resize(crop_mask.astype(np.uint8), (sw, sh), interpolation=cv2.INTER_AREA) > 0
    if small_mask.all():  # nothing known to solve from: keep a frame of known pixels
        small_mask[[0, -1], :] = small_mask[:, [0, -1]] = False
    solved = inpaint_biharmonic(small, small_mask, channel_axis=-1)
    fill = image.astype(np.float32)
    fill[box] = cv2.resize((solved * 255).astype(np.float32), (cw, ch), interpolation=cv2.INTER_LINEAR)
    return blend_inside(image, fill, mask, rng.uniform(1, 4))


@editor("copy-fill")
def copy_fill(image, mask, rng, donor=None):
    """Exemplar copy-move: the region is filled with the same image shifted by a random offset of
    at least half the mask size (mirrored at the borders): duplicated, sharp content."""
    box = mask_box(mask)
    bh, bw = box[0].stop - box[0].start, box[1].stop - box[1].start
    h, w = mask.shape
    angle = rng.uniform(0, 2 * np.pi)
    dist = rng.uniform(0.6, 1.2) * max(bh, bw)
    dx, dy = float(np.clip(dist * np.cos(angle), -w, w)), float(np.clip(dist * np.sin(angle), -h, h))
    shift = np.float32([[1, 0, round(dx)], [0, 1, round(dy)]])
    fill = cv2.warpAffine(image, shift, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101)
    return blend_inside(image, fill, mask, rng.uniform(1, 2))


@editor("noisy-lowpass")
def noisy_lowpass(image, mask, rng, donor=None):
    """Generative-style fill: a mask-normalised Gaussian low-pass of the surroundings plus white
    Gaussian noise of a characteristic standard deviation (3..7 grey levels)."""
    known = (~mask).astype(np.float32)
    sigma = max(3.0, np.sqrt(mask.sum()) / 4)
    num = cv2.GaussianBlur(image.astype(np.float32) * known[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(known, (0, 0), sigma)[..., None]
    mean = image[~mask].mean(axis=0) if (~mask).any() else image.reshape(-1, 3).mean(axis=0)
    fill = np.where(den > 1e-3, num / np.maximum(den, 1e-3), mean)
    noise = rng.normal(0, rng.uniform(3, 7), size=image.shape[:2] + (1,))
    fill = fill + noise + rng.normal(0, 1.5, size=image.shape)  # mostly luminance noise
    return blend_inside(image, fill, mask, rng.uniform(2, 5))


@editor("splice")
def splice(image, mask, rng, donor=None):
    """Splice from another photo: a donor crop resized to the mask box, its colours pulled halfway
    to the local statistics, blended with a soft inward edge."""
    donor = image[::-1, ::-1] if donor is None else donor
    box = mask_box(mask)
    bh, bw = box[0].stop - box[0].start, box[1].stop - box[1].start
    dh, dw = donor.shape[:2]
    y, x = int(rng.integers(max(dh - bh, 0) + 1)), int(rng.integers(max(dw - bw, 0) + 1))
    piece = cv2.resize(np.ascontiguousarray(donor[y:y + bh, x:x + bw]), (bw, bh), interpolation=cv2.INTER_LINEAR)
    piece = piece.astype(np.float32)
    local = image[box].reshape(-1, 3).astype(np.float32)
    pm, ps = piece.reshape(-1, 3).mean(0), piece.reshape(-1, 3).std(0) + 1
    lm, ls = local.mean(0), local.std(0) + 1
    matched = (piece - pm) / ps * (0.5 * (ps + ls)) + 0.5 * (pm + lm)
    fill = image.astype(np.float32)
    fill[box] = matched
    return blend_inside(image, fill, mask, rng.uniform(2, 6))


@editor("latent-roundtrip")
def latent_roundtrip(image, mask, rng, donor=None):
    """Re-synthesis through an 8x-downsampled noisy "latent", decoded by bicubic upsampling and
    unsharp masking: keeps the layout but leaves 8-px periodic ringing and halos."""
    box = mask_box(mask, margin=8)
    crop = image[box].astype(np.float32)
    ch, cw = crop.shape[:2]
    latent = cv2.resize(crop, (max(cw // 8, 1), max(ch // 8, 1)), interpolation=cv2.INTER_AREA)
    latent += rng.normal(0, rng.uniform(4, 10), size=latent.shape)
    decoded = cv2.resize(latent, (cw, ch), interpolation=cv2.INTER_CUBIC)
    decoded += 0.8 * (decoded - cv2.GaussianBlur(decoded, (0, 0), 1.5))
    fill = image.astype(np.float32)
    fill[box] = decoded
    return blend_inside(image, fill, mask, rng.uniform(1, 3))


@editor("jpeg-region")
def jpeg_region(image, mask, rng, donor=None):
    """The region re-encoded as a low-quality JPEG (quality 5..20): 8x8 blocking and 4:2:0
    chroma blur, with a hard edge."""
    box = mask_box(mask)
    crop = np.ascontiguousarray(image[box][..., ::-1])
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(5, 21))])
    fill = image.copy()
    fill[box] = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]
    return blend_inside(image, fill, mask, 1)


@editor("latent-resynthesis", whole_image=True)
def latent_resynthesis(image, mask, rng, donor=None):
    """Whole-frame synthesis: the frame becomes a 4x-downsampled latent, is noised heavily and
    denoised by an edge-preserving (bilateral) filter, then decoded by bicubic upsampling with
    unsharp masking and fresh grain. The layout survives, but no pixel does, and every output
    shares one texture (flat patches, haloed edges): a whole-image generator's fingerprint."""
    h, w = mask.shape
    latent = cv2.resize(image, (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA).astype(np.float32)
    latent += rng.normal(0, rng.uniform(12, 20), size=latent.shape).astype(np.float32)
    latent = cv2.bilateralFilter(latent, 5, 40, 3)
    decoded = cv2.resize(latent, (w, h), interpolation=cv2.INTER_CUBIC)
    decoded += 0.7 * (decoded - cv2.GaussianBlur(decoded, (0, 0), 1.0))
    decoded += rng.normal(0, 2.0, size=(h, w, 1))
    return blend_inside(image, decoded, mask, 1)
