"""Distortions for robustness runs, named by specs such as `jpeg60`, `resize256`, `jpeg60+resize256`.
Importing this package registers the standard ones in `benchmark.registry.DISTORTIONS`."""
from . import standard  # noqa: F401  (registers jpeg, resize, scale, blur, noise)
from .base import Distortion, apply_distortion, canonical, describe_distortion, image_seed, parse_distortion, severity

__all__ = ["Distortion", "apply_distortion", "canonical", "describe_distortion", "image_seed", "parse_distortion", "severity"]
