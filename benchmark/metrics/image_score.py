"""Image-level score derived from a localization map when the model gives none."""
from __future__ import annotations

import math

import numpy as np

from ..errors import BenchError


def parse_image_score_rule(rule: str) -> tuple[str, float]:
    """Split 'max' | 'mean' | 'topk_mean:F' into (name, fraction); F is the share of pixels averaged."""
    name, _, arg = rule.partition(":")
    if name in ("max", "mean") and not arg:
        return name, 0.0
    if name == "topk_mean":
        try:
            fraction = float(arg)
        except ValueError:
            fraction = math.nan
        if 0.0 < fraction <= 1.0:
            return name, fraction
        raise BenchError(f"image_score rule '{rule}': topk_mean needs a fraction in (0, 1], e.g. topk_mean:0.01")
    raise BenchError(f"unknown image_score rule '{rule}' (known: max, mean, topk_mean:F)")


def image_score_from_map(score_map: np.ndarray, rule: str) -> float:
    """Score of 'edited' for a whole image from its per-pixel map (probabilities or 0/1 decisions)."""
    name, fraction = parse_image_score_rule(rule)
    flat = score_map.reshape(-1)
    if name == "max":
        return float(flat.max())
    if name == "mean":
        return float(flat.mean(dtype=np.float64))
    k = max(1, math.ceil(fraction * flat.size))
    return float(np.partition(flat, flat.size - k)[flat.size - k:].mean(dtype=np.float64))
