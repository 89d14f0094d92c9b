"""The explicit scoring policy: every rule on which public toolkits disagree is a field here."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import BenchError
from .image_score import parse_image_score_rule

REDUCTIONS = ("global", "per_image")
RESOLUTIONS = ("native", "network")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Policy:
    reduction: str = "global"
    threshold: float = 0.5
    empty_union: float = 1.0
    background_excluded: bool = True
    bf1_tolerance: float = 0.0075
    bf1_both_empty: float | None = None
    resolution: str = "native"
    invert_allowed: bool = False
    border_band: tuple[int, int] | None = None
    image_score: str = "max"

    def __post_init__(self) -> None:
        if self.reduction not in REDUCTIONS:
            raise BenchError(f"policy reduction '{self.reduction}' (known: {', '.join(REDUCTIONS)})")
        if self.resolution not in RESOLUTIONS:
            raise BenchError(f"policy resolution '{self.resolution}' (known: {', '.join(RESOLUTIONS)})")
        if not 0.0 <= self.threshold <= 1.0:
            raise BenchError(f"policy threshold {self.threshold} is not in [0, 1]")
        if not 0.0 <= self.empty_union <= 1.0:
            raise BenchError(f"policy empty_union {self.empty_union} is not in [0, 1]")
        if not 0.0 < self.bf1_tolerance < 1.0:
            raise BenchError(f"policy bf1_tolerance {self.bf1_tolerance} is not a fraction of the diagonal in (0, 1)")
        if self.bf1_both_empty is not None and not 0.0 <= self.bf1_both_empty <= 1.0:
            raise BenchError(f"policy bf1_both_empty {self.bf1_both_empty} is not in [0, 1] or none")
        if self.border_band is not None:
            band = tuple(self.border_band)
            if len(band) != 2 or any(int(k) != k or k < 1 or k % 2 == 0 for k in band):
                raise BenchError(f"policy border_band {self.border_band}: give two odd kernel sizes (erode, dilate), e.g. 15,11")
            object.__setattr__(self, "border_band", (int(band[0]), int(band[1])))
        parse_image_score_rule(self.image_score)

    def to_json(self) -> dict:
        out = dataclasses.asdict(self)
        out["border_band"] = list(self.border_band) if self.border_band else None
        out["rules"] = {
            "threshold": "pixel/image is 'edited' when probability > threshold",
            "miou": "foreground classes only; class with empty union over the split is NaN and left out"
            if self.background_excluded else "all classes incl. unedited; empty-union classes left out",
            "reduction": "one confusion matrix over the split" if self.reduction == "global"
            else "per-image values averaged over images (see benchmark.metrics docs)",
            "forensic_means": "iou/pbca/f1 averaged over edited images; empty union scores empty_union",
            "bf1": "Csurka 2013: boundary = mask - erode(mask, 3x3 cross), image border is boundary; "
            "match when Euclidean distance < bf1_tolerance * diagonal; class absent from both "
            + ("skipped" if self.bf1_both_empty is None else f"scores {self.bf1_both_empty}"),
            "invert": "forensic per-image scores are max(score(p), score(1-p)) (optimistic)"
            if self.invert_allowed else "off",
            "border_band": "pixels between erode(GT, {0}x{0}) and dilate(GT, {1}x{1}) ignored".format(*self.border_band)
            if self.border_band else "off",
            "image_score": f"{self.image_score} of the edited map when the prediction has no image score",
            "pixel_auc": "rank AUC on probabilities binned to 1e-4; oracle F1 thresholds on the same grid",
        }
        return out

    @classmethod
    def from_options(cls, options: dict[str, str]) -> "Policy":
        """Build a policy from CLI `--policy key=value` strings; unknown keys or bad values raise BenchError."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, object] = {}
        for key, raw in options.items():
            if key not in fields:
                raise BenchError(f"unknown policy key '{key}' (known: {', '.join(fields)})")
            kwargs[key] = _parse_value(key, str(raw).strip())
        return cls(**kwargs)


def _parse_value(key: str, raw: str) -> object:
    low = raw.lower()
    if key in ("reduction", "resolution", "image_score"):
        return raw
    if key in ("background_excluded", "invert_allowed"):
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise BenchError(f"policy {key}='{raw}' is not a boolean (true/false)")
    if key in ("bf1_both_empty", "border_band") and low in ("none", "off", ""):
        return None
    if key == "border_band":
        parts = raw.replace("x", ",").split(",")
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise BenchError(f"policy border_band='{raw}' is not two integers like 15,11") from None
    try:
        return float(raw)
    except ValueError:
        raise BenchError(f"policy {key}='{raw}' is not a number") from None
