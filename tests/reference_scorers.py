"""Reference rules the presets are pinned against where a project's own code cannot be run.

DOLOS publishes no package, so its per-image localisation rules are transcribed here: these
functions copy the original arithmetic, operators, empty-case rules and quirks, including the ones
that look like bugs, and cite the source file and the decisive lines. The DiffSeg30k protocol's
boundary F1 (Csurka et al. 2013) is computed by brute force. Nothing here imports ``bench``.
DAVIS, MMSegmentation and IMDL-BenCo are run from their own published code (tests/reference_code.py).

Source copies were read from a stored index of public GitHub repositories; the commit hashes are
the ones that index reported for the file version read.

=============================================================================
FACTS TABLE (verified from code unless marked UNVERIFIED)
=============================================================================

DOLOS (bit-ml/dolos, WACV 2024)
   dolos/methods/patch_forensics/evaluate.py
   @ 33acf491411f85d05950f561ac78e74934781611 (also 26d0205..., same
   evaluate_localisation); grad_cam/evaluate.py and xception_attention/
   evaluate.py import this same evaluate_localisation.
   dolos/metrics/iou_ignite.py @ c21f715cea85f74645d0795901f3944e608b78c2
   dolos/data.py @ 547841e131160bcd88d934e85b823084f0fc05b6 / e094843...
   ------------------------------------------------------------------------
   Predictions     : mask_preds = softmax(logits, dim=1)[0, 1] at the model's
                     low resolution, stored float64 (np.zeros default dtype)
                     (patch_forensics/predict.py @ 26d0205...).
   Upsampling      : PIL, NOT torch: Image.fromarray(pred_sm).resize(
                     true_lg.shape) -> default resample = BICUBIC for mode "F"
                     (float32), no clamping, so values can over/undershoot
                     [0,1].  Size is passed as numpy (H, W) to PIL's
                     (width, height): only correct for square masks (DOLOS
                     data is 256x256).
   Threshold       : tau = 0.5, strict ">": (pred_lg > tau).
   GT masks        : mask = 1 - (np.array(Image.open(p))[:, :, 0] == 255)
                     i.e. channel 0 == 255 means "keep/unchanged", every
                     other value (not just 0) is "manipulated".
   IoU             : iou(pred, true): union.sum()==0 -> 1.0 else
                     inter.sum()/union.sum().  No epsilon.
   Accuracy        : "accuracy-lg" = np.mean(pred_lg_binary == true_lg)
                     (pixel accuracy over all pixels).  The name "PBCA" does
                     NOT occur in the stored DOLOS code (UNVERIFIED as a
                     name); this pixel accuracy is the only per-pixel
                     classification-accuracy quantity in evaluate.py.
   "-sm" variants  : GT down-sampled to the prediction size with
                     Image.Resampling.NEAREST, prediction thresholded at its
                     native size (iou-sm, accuracy-sm).  The paper's cross-
                     generator plot (show_cross_model_performance.py) uses
                     result["iou-lg"].
   Averaging       : per-image values, 100 * np.mean over images, at tau=0.5
                     only (threshold search is commented out).
   Detection AP    : evaluate_detection (weak supervision, repaint-p2 only):
                     sklearn average_precision_score on label_preds =
                     np.mean(mask_pred); the later version balances by
                     sub-sampling min(#real,#fake) 5x with random.seed(1337)
                     and reports mean +- 2*std (x100).  Not in localisation.
=============================================================================
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from scipy.spatial.distance import cdist


# =============================================================================
# Csurka boundary F1 (DiffSeg30k protocol), brute force
# =============================================================================

def brute_boundary(mask: np.ndarray) -> np.ndarray:
    """Mask pixels with a 4-neighbour outside the mask (outside the image counts as outside)."""
    p = np.pad(mask.astype(bool), 1)
    inner = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return mask.astype(bool) & ~inner


def csurka_bf(gt: np.ndarray, pred: np.ndarray, theta: float, ignore: np.ndarray | None = None) -> float:
    """Boundary F1 of one class: boundary pixels matched when the other boundary lies at a
    Euclidean distance < theta; predicted boundary pixels in `ignore` dropped; NaN when both
    boundaries are empty, 0 when one is."""
    bp = brute_boundary(pred)
    if ignore is not None:
        bp &= ~ignore
    bg, bp = np.argwhere(brute_boundary(gt)), np.argwhere(bp)
    if len(bg) == 0 and len(bp) == 0:
        return np.nan
    if len(bg) == 0 or len(bp) == 0:
        return 0.0
    d = cdist(bp, bg)
    precision = np.mean(d.min(1) < theta)
    recall = np.mean(d.min(0) < theta)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


# =============================================================================
# DOLOS (bit-ml/dolos)
# =============================================================================

def dolos_load_mask_keep(rgb_mask_array) -> np.ndarray:
    """GT binarisation of DOLOS masks (float64 0/1, 1 = manipulated).

    Source: bit-ml/dolos dolos/data.py @ 547841e131160bcd88d934e85b823084f0fc05b6
    (``WithMasksPathDataset.load_mask_keep``; same in @ e094843... as
    ``load_mask_keep``)::

        mask = np.array(Image.open(path))
        mask = 1 - (mask[:, :, 0] == 255).astype("float")
        return mask

    Docstring there: "`255` means unchanged content, and `0` means modified
    content."  Any value other than 255 in channel 0 counts as modified.
    Accepts the decoded array (H, W, C); a 2-D array raises like the original.
    """
    mask = np.asarray(rgb_mask_array)
    return 1 - (mask[:, :, 0] == 255).astype("float")


def dolos_upsample(pred_sm, true_lg_shape) -> np.ndarray:
    """Prediction resize exactly as DOLOS ``evaluate1`` does it (PIL bicubic).

    Source: bit-ml/dolos dolos/methods/patch_forensics/evaluate.py
    @ 33acf491411f85d05950f561ac78e74934781611::

        pred_lg = Image.fromarray(pred_sm).resize(true_lg.shape)
        pred_lg = np.array(pred_lg)

    - DOLOS does not use torch.nn.functional.interpolate here.
    - ``resize`` is called without ``resample``; Pillow's default for a
      mode-"F" image is BICUBIC (since Pillow 7; DOLOS uses
      ``Image.Resampling`` so Pillow >= 9.1).  Mode "F" is not clamped, so
      the output can leave [0, 1].
    - ``pred_sm`` is float64 (``np.zeros`` in predict.py); PIL stores it as
      float32; the returned array is float32.
    - ``true_lg.shape`` is (H, W) but PIL reads it as (width, height): the
      output has shape (W, H).  Identical for the square 256x256 DOLOS data.
      This function reproduces that literally (pass the GT's numpy shape).
    """
    from PIL import Image

    return np.array(Image.fromarray(np.asarray(pred_sm)).resize(tuple(true_lg_shape)))


def _dolos_iou_ignite(pred, true):
    """bit-ml/dolos dolos/metrics/iou_ignite.py @ c21f715cea85f74645d0795901f3944e608b78c2::

        def iou(pred, true):
            inter = pred & true
            union = pred | true
            if union.sum() == 0:
                return 1.0
            else:
                return inter.sum() / union.sum()
    """
    inter = pred & true
    union = pred | true
    if union.sum() == 0:
        return 1.0
    else:
        return inter.sum() / union.sum()


def dolos_iou(pred_prob_map_at_gt_size, gt_bool, tau: float = 0.5) -> float:
    """DOLOS per-image IoU ("iou-lg") on an already-upsampled probability map.

    Source: bit-ml/dolos dolos/methods/patch_forensics/evaluate.py
    @ 33acf491411f85d05950f561ac78e74934781611::

        pred_lg_binary = (pred_lg > τ).astype("float")
        iou_lg_score = iou(pred_lg_binary.astype("bool"), true_lg.astype("bool"))

    with ``iou`` from dolos/metrics/iou_ignite.py (union empty -> 1.0).
    """
    pred_lg_binary = (np.asarray(pred_prob_map_at_gt_size) > tau).astype("float")
    return _dolos_iou_ignite(pred_lg_binary.astype("bool"), np.asarray(gt_bool).astype("bool"))


def dolos_pbca(pred_prob_map_at_gt_size, gt, tau: float = 0.5) -> float:
    """DOLOS per-image pixel accuracy ("accuracy-lg").

    Source: bit-ml/dolos dolos/methods/patch_forensics/evaluate.py
    @ 33acf491411f85d05950f561ac78e74934781611::

        pred_lg_binary = (pred_lg > τ).astype("float")
        accuracy_lg_score = np.mean(pred_lg_binary == true_lg)

    ``true_lg`` is the float 0/1 mask from ``load_mask``.  The name "PBCA"
    is the caller's; the DOLOS code calls it "accuracy".
    """
    pred_lg_binary = (np.asarray(pred_prob_map_at_gt_size) > tau).astype("float")
    return np.mean(pred_lg_binary == np.asarray(gt).astype("float"))


def dolos_evaluate1(pred_sm, true_lg, tau: float = 0.5) -> dict:
    """All four per-image DOLOS numbers, transcribing ``evaluate1``.

    Source: bit-ml/dolos dolos/methods/patch_forensics/evaluate.py
    @ 33acf491411f85d05950f561ac78e74934781611::

        true_lg = dataset.load_mask(i)
        pred_sm = predictions[i]
        pred_lg = Image.fromarray(pred_sm).resize(true_lg.shape)
        pred_lg = np.array(pred_lg)
        pred_lg_binary = (pred_lg > τ).astype("float")
        pred_sm_binary = (pred_sm > τ).astype("float")
        true_sm = Image.fromarray(true_lg).resize(pred_sm.shape, resample=Image.Resampling.NEAREST)
        true_sm = np.array(true_sm)
        iou_lg_score = iou(pred_lg_binary.astype("bool"), true_lg.astype("bool"))
        iou_sm_score = iou(pred_sm_binary.astype("bool"), true_sm.astype("bool"))
        accuracy_lg_score = np.mean(pred_lg_binary == true_lg)
        accuracy_sm_score = np.mean(pred_sm_binary == true_sm)

    ``pred_sm``: low-res probability map (float64, as saved by predict.py);
    ``true_lg``: float 0/1 mask from :func:`dolos_load_mask_keep`.
    """
    from PIL import Image

    true_lg = np.asarray(true_lg)
    pred_sm = np.asarray(pred_sm)

    pred_lg = Image.fromarray(pred_sm).resize(true_lg.shape)
    pred_lg = np.array(pred_lg)
    pred_lg_binary = (pred_lg > tau).astype("float")
    pred_sm_binary = (pred_sm > tau).astype("float")

    true_sm = Image.fromarray(true_lg).resize(pred_sm.shape, resample=Image.Resampling.NEAREST)
    true_sm = np.array(true_sm)

    iou_lg_score = _dolos_iou_ignite(pred_lg_binary.astype("bool"), true_lg.astype("bool"))
    iou_sm_score = _dolos_iou_ignite(pred_sm_binary.astype("bool"), true_sm.astype("bool"))

    accuracy_lg_score = np.mean(pred_lg_binary == true_lg)
    accuracy_sm_score = np.mean(pred_sm_binary == true_sm)

    return {
        "iou-lg": iou_lg_score,
        "iou-sm": iou_sm_score,
        "accuracy-lg": accuracy_lg_score,
        "accuracy-sm": accuracy_sm_score,
    }


def dolos_evaluate(per_image: Iterable[dict], tau: float = 0.5) -> dict:
    """Split-level aggregation, transcribing ``evaluate``.

    Source: bit-ml/dolos dolos/methods/patch_forensics/evaluate.py
    @ 33acf491411f85d05950f561ac78e74934781611::

        metrics_name = metrics[0].keys()
        results = {
            k: 100 * np.mean([m[k] for m in metrics]) for k in metrics_name
        }
        return {**results, "τ": τ}
    """
    metrics = list(per_image)
    metrics_name = metrics[0].keys()
    results = {k: 100 * np.mean([m[k] for m in metrics]) for k in metrics_name}
    return {**results, "τ": tau}


def dolos_evaluate_detection(pred_real: Sequence[float], pred_fake: Sequence[float]) -> tuple[float, float]:
    """Balanced detection AP (x100) as (mean, 2 x std), transcribing ``evaluate_detection``.

    Source: bit-ml/dolos dolos/methods/patch_forensics/evaluate.py
    @ 33acf491411f85d05950f561ac78e74934781611::

        SEED = 1337
        random.seed(SEED)
        ...
        num = min(num_real, num_fake)

        def np_sample(xs, n):
            return np.array(random.sample(list(xs), n))

        def compute_ap1():
            pred_real_ss = np_sample(pred_real, num)
            pred_fake_ss = np_sample(pred_fake, num)
            true = np.hstack((np.zeros(num), np.ones(num)))
            pred = np.hstack((pred_real_ss, pred_fake_ss))
            return average_precision_score(true, pred)

        aps = [100 * compute_ap1() for _ in range(5)]
        ap_mean = np.mean(aps)
        ap_std = np.std(aps)
        print("{:.2f}±{:.1f}".format(ap_mean, 2 * ap_std))

    The module seeds the global generator at import and evaluates one checkpoint per process, so
    the five draws start from a freshly seeded generator (reproduced here by seeding it again).
    """
    import random

    from sklearn.metrics import average_precision_score

    random.seed(1337)
    num = min(len(pred_real), len(pred_fake))

    def np_sample(xs, n):
        return np.array(random.sample(list(xs), n))

    def compute_ap1():
        pred_real_ss = np_sample(pred_real, num)
        pred_fake_ss = np_sample(pred_fake, num)
        true = np.hstack((np.zeros(num), np.ones(num)))
        pred = np.hstack((pred_real_ss, pred_fake_ss))
        return average_precision_score(true, pred)

    aps = [100 * compute_ap1() for _ in range(5)]
    return float(np.mean(aps)), float(2 * np.std(aps))
