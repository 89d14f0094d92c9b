"""Reductions: split-level metrics from stacked per-image counts and per-image weights.

Weights make one code path serve the whole split (all ones), a breakdown group (0/1 mask) and a
bootstrap resample (multiplicities).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boundary import bf1_from_counts
from .confusion import binary_counts, forensic_scores, iou_per_class, pixel_accuracy
from .detection import balanced_detection, detection_metrics
from .pixel_histogram import auc_from_histogram
from .policy import Policy
from .records import Stacked


@dataclass(frozen=True)
class Context:
    task: str
    class_names: tuple[str, ...]
    generator_names: tuple[str, ...]
    policy: Policy


def segmentation_confusion(rec: Stacked, task: str) -> np.ndarray:
    """(N, K, K) square confusion per image; the binary task folds every generator row into 'edited'."""
    if task != "binary":
        return rec.conf
    c = rec.conf
    return np.stack([c[:, 0, :], c[:, 1:, :].sum(1)], 1)


def per_image_values(rec: Stacked, ctx: Context) -> dict[str, np.ndarray]:
    """Per-image scores (N,): forensic iou/pbca/f1 (max with the inverted map when allowed), bf1, seg iou.
    Images without per-pixel truth get NaN everywhere, so every localization mean leaves them out.
    The detection task has no map, so none."""
    if ctx.task == "detection":
        return {}
    counts = binary_counts(rec.conf)
    out = forensic_scores(counts, ctx.policy.empty_union, ctx.policy.epsilon)
    if rec.conf_inv is not None:
        inv = forensic_scores(binary_counts(rec.conf_inv), ctx.policy.empty_union, ctx.policy.epsilon)
        out = {k: np.fmax(v, inv[k]) for k, v in out.items()}
    tp, fp, fn, tn = counts.T
    with np.errstate(invalid="ignore", divide="ignore"):
        out["fp_area"] = np.where(rec.label == 0, fp / np.maximum(fp + tn, 1), np.nan)
    out["bf1"] = bf1_from_counts(rec.boundary, ctx.policy.bf1_both_empty)
    seg = segmentation_confusion(rec, ctx.task)
    inter = np.diagonal(seg, axis1=1, axis2=2).astype(np.float64)
    union = seg.sum(1) + seg.sum(2) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        both_empty = np.nan if ctx.policy.iou_both_empty is None else ctx.policy.iou_both_empty
        out["seg_iou"] = np.where(union > 0, inter / np.maximum(union, 1), both_empty)  # (N, K)
        total = seg.sum((1, 2))
        out["pixel_acc"] = np.where(total > 0, inter.sum(1) / np.maximum(total, 1), np.nan)
    blind = rec.localized == 0
    for key, value in out.items():
        value[blind] = np.nan
    return out


def summarise(rec: Stacked, w: np.ndarray, ctx: Context, values: dict[str, np.ndarray] | None = None,
              pooled: bool = True, balanced: bool = False) -> dict:
    """All split metrics for the images weighted by `w` (only pooled pixel AUC ignores `w`); with
    `balanced`, DOLOS's balanced AP of the weighted images as well (`image_level`)."""
    values = per_image_values(rec, ctx) if values is None else values
    w = np.asarray(w, np.float64)
    edited, real = (rec.label == 1) & (w > 0), (rec.label == 0) & (w > 0)
    counts = {"n_authentic": int(real.sum()), "n_detection_only": int(((rec.localized == 0) & (w > 0)).sum())}
    out: dict = {"n_images": int(np.count_nonzero(w > 0)), "n_edited": int(edited.sum())}
    if ctx.task == "detection":
        # An image-score submission: the image-level metrics only, the split's counts after them.
        return out | image_level(rec, w, ctx, balanced) | (counts if pooled else {})
    out |= counts
    out |= _segmentation(rec, w, ctx, values)
    out["bf1"] = _wmean(values["bf1"], w)
    scored = edited if ctx.policy.forensic_over == "edited" else w > 0
    for name in ("iou", "pbca", "f1"):
        out[name] = _wmean(values[name], w * scored)
    out["fp_area_real"] = _wmean(values["fp_area"], w * real)
    if ctx.task == "binary":
        out["pixel_auc"] = _wmean(rec.pixel_auc, w * edited)
        out["f1_oracle"] = _wmean(rec.f1_oracle, w * edited)
        if pooled:
            auc = auc_from_histogram(rec.histogram)
            out["pixel_auc_pooled"] = max(auc, 1 - auc) if ctx.policy.invert_allowed else auc
    out |= image_level(rec, w, ctx, balanced)
    out |= _attribution(rec, w, ctx)
    return out


def image_level(rec: Stacked, w: np.ndarray, ctx: Context, balanced: bool = False) -> dict:
    """AP, AUC and accuracy of the image scores, each image counted `w` times; with `balanced`,
    DOLOS's balanced AP (`balanced_detection`) over the same images in sorted-id order, which is
    the order its draws are defined on."""
    idx = np.repeat(np.arange(w.size), np.round(w).astype(np.int64))
    out = detection_metrics(rec.score[idx], rec.label[idx], ctx.policy.image_threshold, ctx.policy.image_compare)
    return out | balanced_ap(rec, w, ctx) if balanced else out


def balanced_ap(rec: Stacked, w: np.ndarray, ctx: Context) -> dict:
    """DOLOS's balanced AP of the images weighted by `w` (`balanced_detection`; empty when the
    policy draws none)."""
    if not ctx.policy.balanced_draws:
        return {}
    idx = np.repeat(np.arange(w.size), np.round(w).astype(np.int64))
    ordered = idx[np.argsort(rec.id_rank[idx], kind="stable")]
    return balanced_detection(rec.score[ordered], rec.label[ordered].astype(int), ctx.policy.balanced_draws,
                              ctx.policy.balanced_seed)


def _segmentation(rec: Stacked, w: np.ndarray, ctx: Context, values: dict[str, np.ndarray]) -> dict:
    names = ctx.class_names
    fg = slice(1, None) if ctx.policy.background_excluded else slice(None)
    if ctx.policy.reduction == "global":
        conf = np.tensordot(w, segmentation_confusion(rec, ctx.task), 1)
        ious = iou_per_class(conf)
        acc = pixel_accuracy(conf)
        miou, miou_bg = _nanmean(ious[fg]), _nanmean(ious)
    else:
        ious_img = values["seg_iou"]
        ious = np.array([_wmean(ious_img[:, k], w) for k in range(len(names))])
        acc = _wmean(values["pixel_acc"], w)
        miou = _wmean(row_nanmean(ious_img[:, fg]), w)
        miou_bg = _wmean(row_nanmean(ious_img), w)
    return {"pixel_acc": acc, "miou": miou, "miou_with_bg": miou_bg,
            "iou_per_class": {n: float(v) for n, v in zip(names, ious)}}


def _attribution(rec: Stacked, w: np.ndarray, ctx: Context) -> dict:
    gens = ctx.generator_names
    conf = np.tensordot(w, rec.conf, 1)[1: 1 + len(gens)]          # (G, P): GT generator x predicted class
    with np.errstate(invalid="ignore", divide="ignore"):
        found = conf[:, 1:].sum(1)
        recall = np.where(conf.sum(1) > 0, found / np.maximum(conf.sum(1), 1), np.nan)
    if ctx.task == "binary":
        # Binary task: a generator's IoU is the edited IoU over the images that contain it.
        has = rec.conf[:, 1: 1 + len(gens), :].sum(2) > 0            # (N, G)
        counts = binary_counts(rec.conf)
        iou = []
        for g in range(len(gens)):
            tp, fp, fn, _ = np.tensordot(w * has[:, g], counts, 1)
            iou.append(tp / (tp + fp + fn) if tp + fp + fn > 0 else np.nan)
        cols = ["unedited", "edited"]
    else:
        iou = list(iou_per_class(np.tensordot(w, rec.conf, 1))[1:])
        cols = list(ctx.class_names)
    return {"iou_per_generator": {g: float(v) for g, v in zip(gens, iou)},
            "recall_per_generator": {g: float(v) for g, v in zip(gens, recall)},
            "generator_confusion": {"rows": list(gens), "cols": cols, "counts": conf.astype(np.int64).tolist()}}


def _wmean(values: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(values) & (w > 0)
    total = w[ok].sum()
    return float(np.dot(values[ok], w[ok]) / total) if total > 0 else float("nan")


def _nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def row_nanmean(a: np.ndarray) -> np.ndarray:
    n = (~np.isnan(a)).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(a, 1) / np.maximum(n, 1), np.nan)
