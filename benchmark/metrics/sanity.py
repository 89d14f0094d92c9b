"""Flags for results that are probably a mistake in the inputs, not a property of the model."""
from __future__ import annotations

import math

import numpy as np

from .policy import Policy


def sanity_warnings(metrics: dict, scores: np.ndarray, labels: np.ndarray, policy: Policy) -> list[str]:
    out = []
    n = labels.size
    if n and not labels.any():
        out.append("no edited images: localization means and AP/AUC are undefined")
    if n and labels.all():
        out.append("no authentic images: AP/AUC are undefined and false positives on real images are not measured")
    for key, what in (("auc", "image AUC"), ("pixel_auc_pooled", "pooled pixel AUC")):
        v = metrics.get(key)
        if v is not None and not math.isnan(v) and v < 0.5:
            out.append(f"{what} {v:.3f} < 0.5 (labels or scores likely inverted)")
    if n > 1:
        positive = float(np.mean(policy.decide_images(scores)))
        if positive in (0.0, 1.0):
            out.append(f"degenerate positive rate: {positive:.0%} of images scored {policy.image_compare} "
                       f"image threshold {policy.image_threshold}")
    if policy.invert_allowed:
        out.append("invert_allowed: forensic scores are max(score(p), score(1-p)), an optimistic upper bound")
    return out
