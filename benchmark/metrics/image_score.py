"""The image-score rule: how an image-level P(edited) comes from a per-pixel map. One rule serves
the models (on their probability maps, in torch) and the scorer (on a submitted map without
scores, in numpy), so a model's own scores and the scorer's fallback never disagree."""
from __future__ import annotations

import math

import numpy as np

from ..errors import BenchError

RULES = "max, mean, topk_mean:F"


def parse_image_score_rule(rule: str) -> tuple[str, float]:
    """Split 'max' | 'mean' | 'topk_mean:F' into (name, fraction); F is the share of pixels averaged."""
    name, _, arg = str(rule).partition(":")
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
    raise BenchError(f"unknown image_score rule '{rule}' (known: {RULES})")


def topk_count(fraction: float, n_pixels: int) -> int:
    return max(1, math.ceil(fraction * n_pixels))


def image_scores(edited, rule: str):
    """Scores of N images from their N×P per-pixel P(edited) (numpy array or torch tensor)."""
    name, fraction = parse_image_score_rule(rule)
    if isinstance(edited, np.ndarray):
        if name == "max":
            return edited.max(1)
        if name == "mean":
            return edited.mean(1, dtype=np.float64)
        k = topk_count(fraction, edited.shape[1])
        return np.partition(edited, edited.shape[1] - k, axis=1)[:, -k:].mean(1, dtype=np.float64)
    if name == "max":
        return edited.amax(1)
    if name == "mean":
        return edited.mean(1)
    return edited.topk(topk_count(fraction, edited.shape[1]), dim=1).values.mean(1)


def image_score_from_map(score_map: np.ndarray, rule: str) -> float:
    """Score of 'edited' for a whole image from its per-pixel map (probabilities or 0/1 decisions)."""
    return float(image_scores(score_map.reshape(1, -1), rule)[0])
