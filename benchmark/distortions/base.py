"""Distortion specs: `name{param}` steps joined by `+`, applied in order to a native-resolution
uint8 RGB image, deterministically (noise draws from a seed derived from the image id)."""
from __future__ import annotations

import hashlib
import re
from typing import ClassVar

import numpy as np

from benchmark.errors import BenchError
from benchmark.registry import DISTORTIONS, lookup, names

CLEAN = ("", "clean", "none")
STEP_RE = re.compile(r"^(?P<name>[a-z_]+)(?P<param>\d+(?:\.\d+)?)$")


class Distortion:
    """One step. Subclasses set `name`, the parameter's type and range, and where the clean image
    sits on the severity axis (`identity`; None when no parameter value leaves it unchanged)."""

    name: ClassVar[str] = ""
    param_type: ClassVar[type] = float
    bounds: ClassVar[tuple[float, float]] = (0.0, float("inf"))
    identity: ClassVar[float | None] = None
    stronger_when_lower: ClassVar[bool] = False

    def __init__(self, param: float):
        lo, hi = self.bounds
        if not lo <= param <= hi or (self.param_type is int and int(param) != param):
            kind = "an integer" if self.param_type is int else "a number"
            raise BenchError(f"distortion '{self.name}{param:g}': parameter must be {kind} in [{lo:g}, {hi:g}]")
        self.param = self.param_type(param)

    def __call__(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    @classmethod
    def versions(cls) -> dict[str, str]:
        """Encoder/library versions on which the output bytes depend (recorded in results)."""
        return {}

    @property
    def spec(self) -> str:
        return f"{self.name}{self.param:g}"


def parse_distortion(spec: str | None) -> list[Distortion]:
    """Parse `jpeg60+resize256` into steps; '', 'clean' and None mean no distortion."""
    if spec is None or spec.strip().lower() in CLEAN:
        return []
    steps = []
    for part in spec.strip().lower().split("+"):
        m = STEP_RE.match(part.strip())
        if not m:
            raise BenchError(f"distortion '{part}' in '{spec}': expected NAME followed by a number, "
                             f"e.g. jpeg60, resize256, blur1.5 (known: {', '.join(names(DISTORTIONS))})")
        steps.append(lookup(DISTORTIONS, m["name"])(float(m["param"])))
    return steps


def canonical(spec: str | None) -> str:
    """The normalised spec text ('clean' when nothing is applied)."""
    return "+".join(step.spec for step in parse_distortion(spec)) or "clean"


def image_seed(image_id: str, seed: int = 0) -> int:
    """A per-image seed, stable across runs, processes and platforms (unlike `hash`)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{image_id}".encode()).digest()[:8], "little")


def apply_distortion(spec: str | None, image: np.ndarray, seed: int = 0) -> np.ndarray:
    """Return `image` (uint8 HxWx3 RGB) distorted by `spec`; the same inputs give the same bytes."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise BenchError(f"distortions take uint8 HxWx3 RGB images, got {image.dtype} {image.shape}")
    rng = np.random.default_rng(seed)
    for step in parse_distortion(spec):
        image = step(image, rng)
    return np.ascontiguousarray(image)


def describe_distortion(spec: str | None) -> dict:
    """The policy fields of a distortion: canonical spec and the versions its output depends on."""
    from .standard import Jpeg

    versions: dict[str, str] = {}
    for step in parse_distortion(spec):
        versions.update(step.versions())
    # The JPEG encoder is recorded even for clean runs: it decides what a later jpeg sweep means.
    return {"distortion": canonical(spec), "distortion_versions": versions, **Jpeg.versions()}


def severity(spec: str | None) -> tuple[str, float | None]:
    """(family, parameter) of a one-step spec for robustness curves: `jpeg60` -> ('jpeg', 60.0);
    clean -> ('clean', None). Chains are their own family with no numeric axis."""
    steps = parse_distortion(spec)
    if not steps:
        return "clean", None
    if len(steps) > 1:
        return canonical(spec), None
    return steps[0].name, float(steps[0].param)
