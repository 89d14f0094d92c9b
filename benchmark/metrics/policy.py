"""The explicit scoring policy: every rule on which public toolkits disagree is a field here, and
named presets reproduce the public scorers' rules (each pinned in tests against a transcription
of that project's own code)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import BenchError
from .detection import decide
from .image_score import parse_image_score_rule

REDUCTIONS = ("global", "per_image")
RESOLUTIONS = ("native", "network")
COMPARISONS = (">", ">=")
BOUNDARIES = ("inner", "davis")
MATCHES = ("strict", "ceil")
UPSAMPLING = ("bilinear", "nearest", "pil_bicubic")
FORENSIC_IMAGES = ("edited", "all")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Policy:
    """Every scoring rule on which public toolkits disagree, as one frozen value that each result
    records. Build it from a preset (`Policy.preset_policy("davis")`) or from the command line's
    `--policy` strings (`Policy.from_options`); a rule changed from its preset is listed in `changed`."""

    preset: str = "diffseg"
    # Fields changed from the preset's values (the result says the numbers are not the preset's).
    changed: tuple[str, ...] = ()
    reduction: str = "global"
    pixel_threshold: float = 0.5
    pixel_compare: str = ">"
    image_threshold: float = 0.5
    image_compare: str = ">"
    empty_union: float = 1.0
    # Added to the denominators of the forensic IoU, precision, recall and F1 (IMDL-BenCo: 1e-8).
    epsilon: float = 0.0
    forensic_over: str = "edited"
    background_excluded: bool = True
    bf1_boundary: str = "inner"
    bf1_tolerance: float = 0.0075
    bf1_match: str = "strict"
    bf1_both_empty: float | None = None
    # Per-image class IoU of a class absent from an image's GT and prediction: None = left out.
    iou_both_empty: float | None = None
    upsample: str = "bilinear"
    resolution: str = "native"
    invert_allowed: bool = False
    border_band: tuple[int, int] | None = None
    image_score: str = "max"
    # DOLOS's balanced detection AP (`detection.balanced_detection`): 0 = not computed.
    balanced_draws: int = 0
    balanced_seed: int = 1337

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise BenchError(f"unknown policy preset '{self.preset}' (known: {', '.join(PRESETS)})")
        for name, allowed in (("reduction", REDUCTIONS), ("resolution", RESOLUTIONS), ("pixel_compare", COMPARISONS),
                              ("image_compare", COMPARISONS), ("bf1_boundary", BOUNDARIES), ("bf1_match", MATCHES),
                              ("upsample", UPSAMPLING), ("forensic_over", FORENSIC_IMAGES)):
            if getattr(self, name) not in allowed:
                raise BenchError(f"policy {name} '{getattr(self, name)}' (known: {', '.join(allowed)})")
        for name in ("pixel_threshold", "image_threshold", "empty_union"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise BenchError(f"policy {name} {getattr(self, name)} is not in [0, 1]")
        if not 0.0 <= self.epsilon <= 1e-3:
            raise BenchError(f"policy epsilon {self.epsilon} is not in [0, 0.001]")
        if not 0.0 < self.bf1_tolerance < 1.0:
            raise BenchError(f"policy bf1_tolerance {self.bf1_tolerance} is not a fraction of the diagonal in (0, 1)")
        for name in ("bf1_both_empty", "iou_both_empty"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise BenchError(f"policy {name} {value} is not in [0, 1] or none")
        if self.border_band is not None:
            band = tuple(self.border_band)
            if len(band) != 2 or any(int(k) != k or k < 1 or k % 2 == 0 for k in band):
                raise BenchError(f"policy border_band {self.border_band}: give two odd kernel sizes (erode, dilate), e.g. 15,11")
            object.__setattr__(self, "border_band", (int(band[0]), int(band[1])))
        for name in ("balanced_draws", "balanced_seed"):
            value = getattr(self, name)
            if int(value) != value or value < 0:
                raise BenchError(f"policy {name} {value} is not a whole number >= 0")
            object.__setattr__(self, name, int(value))
        object.__setattr__(self, "changed", tuple(self.changed))
        parse_image_score_rule(self.image_score)

    @classmethod
    def preset_policy(cls, name: str, **changes) -> "Policy":
        """The preset `name`, with `changes` recorded in `changed`."""
        if name not in PRESETS:
            raise BenchError(f"unknown policy preset '{name}' (known: {', '.join(PRESETS)})")
        base = PRESETS[name]
        changed = tuple(sorted(k for k, v in changes.items() if base.get(k, getattr(cls, k, None)) != v))
        return cls(**{**base, **changes, "preset": name, "changed": changed})

    def decide_pixels(self, prob):
        """Pixels called edited: probability above (or at, with '>=') the pixel threshold."""
        return decide(prob, self.pixel_threshold, self.pixel_compare)

    def decide_images(self, scores):
        return decide(scores, self.image_threshold, self.image_compare)

    def fields(self) -> dict:
        """The rule fields as plain values (for evaluator states)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["border_band"] = list(self.border_band) if self.border_band else None
        out["changed"] = list(self.changed)
        return out

    @classmethod
    def from_fields(cls, fields: dict) -> "Policy":
        fields = dict(fields)
        fields["border_band"] = tuple(fields["border_band"]) if fields.get("border_band") else None
        fields["changed"] = tuple(fields.get("changed", ()))
        return cls(**fields)

    def to_json(self) -> dict:
        out = self.fields()
        boundary = ("DAVIS seg2bmap: pixels differing from their right, lower or lower-right neighbour"
                    if self.bf1_boundary == "davis" else
                    "mask - erode(mask, 3x3 cross), image border is boundary (Csurka 2013)")
        match = ("distance <= ceil(bf1_tolerance * diagonal) px (DAVIS)" if self.bf1_match == "ceil"
                 else "distance < bf1_tolerance * diagonal")
        out["rules"] = {
            "pixel_threshold": f"a pixel is 'edited' when P(edited) {self.pixel_compare} {self.pixel_threshold}",
            "image_threshold": f"an image is 'edited' when its score {self.image_compare} {self.image_threshold}",
            "miou": "foreground classes only; class with empty union over the split is NaN and left out"
            if self.background_excluded else "all classes incl. unedited; empty-union classes left out",
            "reduction": "one confusion matrix over the split" if self.reduction == "global"
            else "per-image values averaged over images (see benchmark.metrics docs); a class absent from both "
                 "maps of an image " + ("is left out of its mean" if self.iou_both_empty is None
                                        else f"scores IoU {self.iou_both_empty:g}"),
            "forensic_means": f"iou/pbca/f1 averaged over {self.forensic_over} images with a usable mask; "
                              f"empty union scores {self.empty_union:g}"
                              + (f"; {self.epsilon:g} added to the denominators of iou, precision, recall and f1"
                                 if self.epsilon else ""),
            "detection_only": "images whose mask is all ignore (fully generated, mask withheld, prompt edits) "
                              "count for ap/auc/image_acc only",
            "bf1": f"boundary = {boundary}; match when {match}; class absent from both "
            + ("skipped" if self.bf1_both_empty is None else f"scores {self.bf1_both_empty:g}"),
            "upsample": "binary probability maps are resized to the GT size "
                        + {"bilinear": "bilinearly (OpenCV)", "nearest": "by nearest neighbour",
                           "pil_bicubic": "by PIL's bicubic on float images (DOLOS), clipped to [0, 1]"}[self.upsample]
                        + ", then thresholded",
            "invert": "forensic per-image scores are max(score(p), score(1-p)) (optimistic)"
            if self.invert_allowed else "off",
            "border_band": "pixels between erode(GT, {0}x{0}) and dilate(GT, {1}x{1}) ignored".format(*self.border_band)
            if self.border_band else "off",
            "image_score": f"{self.image_score} of the edited map when the prediction has no image score",
            "pixel_auc": "rank AUC on probabilities binned to 1e-4; oracle F1 thresholds on the same grid",
            "ap_balanced": f"AP over {self.balanced_draws} draws of min(#real, #fake) images of each label "
                           f"(Python random, seed {self.balanced_seed}, images in id order): mean and 2 std (DOLOS)"
            if self.balanced_draws else "off",
        }
        return out

    @classmethod
    def from_options(cls, options: dict[str, str]) -> "Policy":
        """Build a policy from CLI `--policy key=value` strings: `preset=NAME` picks the preset
        (default diffseg), the other keys change its rules; `threshold` sets both thresholds.
        Unknown keys or bad values raise BenchError."""
        options = dict(options)
        preset = str(options.pop("preset", "diffseg")).strip()
        if "threshold" in options:
            value = options.pop("threshold")
            options.setdefault("pixel_threshold", value)
            options.setdefault("image_threshold", value)
        fields = {f.name for f in dataclasses.fields(cls)} - {"preset", "changed"}
        changes: dict[str, object] = {}
        for key, raw in options.items():
            if key not in fields:
                raise BenchError(f"unknown policy key '{key}' (known: preset, threshold, {', '.join(sorted(fields))})")
            changes[key] = _parse_value(key, str(raw).strip())
        return cls.preset_policy(preset, **changes)


def _parse_value(key: str, raw: str) -> object:
    low = raw.lower()
    if key in ("reduction", "resolution", "image_score", "pixel_compare", "image_compare", "bf1_boundary",
               "bf1_match", "upsample", "forensic_over"):
        return raw
    if key in ("background_excluded", "invert_allowed"):
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise BenchError(f"policy {key}='{raw}' is not a boolean (true/false)")
    if key in ("bf1_both_empty", "iou_both_empty", "border_band") and low in ("none", "off", ""):
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


# Each preset lists the rules where it departs from the defaults (the DiffSeg30k protocol). The
# comments cite the code each is transcribed from; tests/reference_scorers.py holds those
# transcriptions and tests/test_policy_presets.py pins every preset against them.
PRESETS: dict[str, dict] = {
    # DiffSeg30k: one confusion matrix over the split, background excluded from mIoU, bF1 at 0.75 %
    # of the diagonal (Csurka boundaries); forensic means DOLOS-style over edited images.
    "diffseg": {},
    # DAVIS 2017 davis2017/metrics.py `db_eval_boundary`/`db_eval_iou`, each class an object, each
    # image a frame, void = the ignore label: `_seg2bmap` boundaries (image border never boundary)
    # of the masks with void set to 0, cv2.dilate by skimage disk(ceil(0.008 * diagonal)), both
    # empty = 1, one empty = 0; J = IoU over non-void pixels, empty union 1; per-object means over
    # every frame, then the mean over objects (`iou`: J of the edited region as one object).
    "davis": {"reduction": "per_image", "bf1_boundary": "davis", "bf1_tolerance": 0.008, "bf1_match": "ceil",
              "bf1_both_empty": 1.0, "iou_both_empty": 1.0, "empty_union": 1.0, "forensic_over": "all"},
    # DOLOS dolos/methods/patch_forensics/evaluate.py `evaluate1`: PIL resize (bicubic on the float
    # map) to the GT size, `pred > 0.5`, IoU with empty union 1 (metrics/iou_ignite.py), pixel
    # accuracy, each averaged over the fake test images.
    # Detection: `evaluate_detection` of the same file, AP over five balanced draws (seed 1337).
    "dolos": {"reduction": "per_image", "empty_union": 1.0, "upsample": "pil_bicubic", "balanced_draws": 5},
    # MMSegmentation 1.x IoUMetric: areas summed over the split, aAcc, per-class IoU (NaN when the
    # union is empty) and their nanmean over every class, background included; argmax of the two
    # classes, ties to background (so P(edited) > 0.5).
    "mmseg": {"reduction": "global", "background_excluded": False},
    # IMDL-BenCo evaluation/F1.py, IOU.py: per image `predict > 0.5`, F1 = 2PR/(P+R) and
    # IoU = inter/union with 1e-8 added to each denominator, so an empty union scores 0; plain
    # mean over every image.
    "imdlbenco": {"reduction": "per_image", "empty_union": 0.0, "epsilon": 1e-8, "forensic_over": "all"},
}
