"""Distortions for robustness runs, named by specs such as `jpeg60`, `resize256`, `jpeg60+resize256`;
the standard ones live in `standard.py`, registered in `benchmark.registry.DISTORTIONS`."""
from .base import Distortion, apply_distortion, canonical, describe_distortion, image_seed, parse_distortion, severity

__all__ = ["Distortion", "apply_distortion", "canonical", "describe_distortion", "image_seed", "parse_distortion", "severity"]
