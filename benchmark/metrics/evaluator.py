"""Evaluator: count every image once (`add`), merge across workers, reduce on demand (`compute`).
One path for every task: localization counts pixels of a map, detection keeps the image score
only, and both reduce through the same weights (whole split, breakdown group, bootstrap resample)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import BenchError
from ..tasks import LOCALIZATION_TASKS, TASKS
from .breakdown import area_bin_labels, area_quantile_labels, group_masks
from .counting import count_image, count_image_score
from .policy import Policy
from .records import Records
from .reduce import Context, balanced_ap, per_image_values, row_nanmean, summarise
from .sanity import sanity_warnings

STATE_VERSION = 2
_PER_IMAGE_COLUMNS = ("iou", "pbca", "f1", "bf1", "fp_area", "pixel_acc")
# Per-image columns the frame of a detection evaluator starts with (then meta, then the area bin).
_DETECTION_COLUMNS = ("image_id", "label", "score", "localized", "edited_area")


@dataclass
class EvalResult:
    metrics: dict[str, float | list | dict]
    breakdowns: dict[str, dict[str, dict[str, float]]]
    per_image: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


class Evaluator:
    """Accumulates per-image counts (O(classes^2) numbers per image, never pixels). The detection
    task takes no map: it keeps each image's score, label and edited area."""

    def __init__(self, task: str, class_names: list[str], policy: Policy = Policy(), per_image: bool = True,
                 generator_names: list[str] | None = None):
        if task not in TASKS:
            raise BenchError(f"unknown task '{task}' (known: {', '.join(TASKS)})")
        if len(class_names) < 2 or (task != "semantic" and len(class_names) != 2):
            raise BenchError(f"task {task}: class_names {class_names} must be 'unedited' plus "
                             + ("'edited'" if task != "semantic" else "one name per generator"))
        if len(class_names) > 255:
            raise BenchError(f"{len(class_names)} classes: label maps hold at most 255 (255 is ignore)")
        self.task, self.class_names, self.policy, self.per_image = task, list(class_names), policy, per_image
        # Binary task: generators are read from the GT label ids; names only label the attribution tables.
        self.generator_names = list(generator_names) if generator_names is not None else (
            None if task != "semantic" else list(class_names[1:]))
        self._records = Records()
        self._seen: set[str] = set()

    def __len__(self) -> int:
        return len(self._records)

    @property
    def image_ids(self) -> list[str]:
        """The images counted, in the order of the weights `weighted_metric` takes."""
        return list(self._records.image_ids)

    def add(self, image_id: str, gt: np.ndarray, pred: np.ndarray | None, score: float | None = None,
            meta: dict | None = None, label: int | None = None) -> None:
        """Count one image. `label` is the dataset's image label (a `Target`'s); None takes it from
        `gt`, for bare label maps whose only truth is the mask. An all-ignore `gt` counts for
        detection only. The detection task takes no map (`pred` None) and needs the image's score."""
        if image_id in self._seen:
            raise BenchError(f"{image_id}: image scored twice")
        if (pred is None) != (self.task == "detection"):
            raise BenchError(f"{image_id}: the {self.task} task " + ("takes no map" if pred is not None else "needs a map"))
        counts = (count_image_score(gt, score, label) if pred is None else
                  count_image(image_id, gt, pred, self.task, len(self.class_names), self.policy, score, label))
        if self.task == "binary" and self.generator_names is not None and counts.conf.shape[0] > len(self.generator_names) + 1:
            raise BenchError(f"{image_id}: GT label id {counts.conf.shape[0] - 1} but only "
                             f"{len(self.generator_names)} generator names")
        self._seen.add(image_id)
        self._records.append(image_id, counts, meta or {})

    def merge(self, other: "Evaluator") -> None:
        mine = (self.task, self.class_names, self.policy, self.generator_names)
        theirs = (other.task, other.class_names, other.policy, other.generator_names)
        if mine != theirs:
            raise BenchError("cannot merge evaluators with different task, classes, generators or policy")
        dup = self._seen.intersection(other._seen)
        if dup:
            raise BenchError(f"cannot merge: {len(dup)} images scored by both, e.g. {sorted(dup)[0]}")
        self._records.extend(other._records)
        self._seen |= other._seen

    def state_dict(self) -> dict:
        return {"version": STATE_VERSION, "task": self.task, "class_names": self.class_names,
                "generator_names": self.generator_names, "per_image": self.per_image, "policy": self.policy.fields(),
                "records": self._records.state_dict()}

    @classmethod
    def from_state_dict(cls, state: dict) -> "Evaluator":
        if state.get("version") != STATE_VERSION:
            raise BenchError(f"evaluator state version {state.get('version')} is not {STATE_VERSION}")
        ev = cls(state["task"], state["class_names"], Policy.from_fields(state["policy"]), state["per_image"],
                 state["generator_names"])
        ev._records = Records.from_state_dict(state["records"])
        ev._seen = set(ev._records.image_ids)
        return ev

    def _context(self) -> tuple[Context, "object"]:
        gens = self.generator_names
        min_rows = len(gens) + 1 if gens is not None else 2
        stacked = self._records.stack(min_rows)
        if gens is None:
            gens = [f"gen{k}" for k in range(1, stacked.conf.shape[1])]
        return Context(self.task, tuple(self.class_names), tuple(gens), self.policy), stacked

    def compute(self, breakdown_keys: list[str] = ()) -> EvalResult:
        ctx, rec = self._context()
        values = per_image_values(rec, ctx)
        everything = np.ones(len(rec.image_ids))
        metrics = _json_clean(summarise(rec, everything, ctx, values)) | balanced_ap(rec, everything, ctx)
        columns = self._columns(rec, ctx, values)
        # An image-score submission describes no map: its groups are the edited area's bins and the meta asked for.
        keys = (["area_bin", *breakdown_keys] if self.task == "detection" else
                ["turns", "area_quantile", "area_bin"] + [k for k in breakdown_keys if k not in ("turns",)])
        breakdowns = {}
        for key, groups in group_masks(columns, list(dict.fromkeys(keys))).items():
            breakdowns[key] = {name: _scalars(summarise(rec, mask.astype(np.float64), ctx, values, pooled=False))
                               for name, mask in groups.items()}
        missing = [k for k in breakdown_keys if k not in breakdowns]
        if missing:
            raise BenchError(f"breakdown keys not found in any image's meta: {', '.join(missing)}")
        frame = pd.DataFrame(columns) if self.per_image else pd.DataFrame()
        warnings = sanity_warnings(metrics, rec.score, rec.label, self.policy)
        if self.task in LOCALIZATION_TASKS and metrics.get("n_detection_only"):
            warnings.append(f"{metrics['n_detection_only']} image(s) have no usable mask (fully generated, mask "
                            "withheld or prompt-edited): counted for detection, left out of the localization means")
        return EvalResult(metrics, breakdowns, frame, warnings)

    def _columns(self, rec, ctx: Context, values: dict[str, np.ndarray]) -> dict[str, list]:
        if ctx.task == "detection":
            return self._detection_columns(rec)
        seg = values["seg_iou"][:, 1:] if ctx.policy.background_excluded else values["seg_iou"]
        miou = row_nanmean(seg)
        cols: dict[str, list] = {"image_id": rec.image_ids, "label": rec.label.astype(int).tolist(),
                                 "localized": rec.localized.astype(int).tolist(),
                                 "edited_area": rec.edited_area.tolist(), "score": rec.score.tolist()}
        for name in _PER_IMAGE_COLUMNS:
            cols[name] = values[name].tolist()
        cols["miou"] = miou.tolist()
        if ctx.task == "binary":
            cols["pixel_auc"], cols["f1_oracle"] = rec.pixel_auc.tolist(), rec.f1_oracle.tolist()
        cols["area_bin"] = area_bin_labels(rec.edited_area, rec.label)
        cols["area_quantile"] = area_quantile_labels(rec.edited_area, rec.label)
        meta_keys = list(dict.fromkeys(k for m in rec.meta for k in m))
        for key in meta_keys:
            col = key if key not in cols else f"meta.{key}"
            cols[col] = [m.get(key) for m in rec.meta]
        return cols

    def _detection_columns(self, rec) -> dict[str, list]:
        cols: dict[str, list] = {"image_id": rec.image_ids, "label": rec.label.astype(int).tolist(),
                                 "score": rec.score.tolist(), "localized": rec.localized.astype(int).tolist(),
                                 "edited_area": rec.edited_area.tolist()}
        for key in dict.fromkeys(k for m in rec.meta for k in m):
            cols[key if key not in _DETECTION_COLUMNS else f"meta.{key}"] = [m.get(key) for m in rec.meta]
        cols["area_bin"] = area_bin_labels(rec.edited_area, rec.label)
        return cols

    def weighted_metric(self, metric: str) -> Callable[[np.ndarray], float]:
        """w -> value of `metric` (dotted path into nested dicts, e.g. 'iou_per_class.sd2') for image
        weights w; every metric of the result, DOLOS's balanced AP included when the policy draws it."""
        ctx, rec = self._context()
        values = per_image_values(rec, ctx)
        path = metric.split(".", 1)
        balanced = path[0].startswith("ap_balanced")
        probe = summarise(rec, np.ones(len(rec.image_ids)), ctx, values, pooled=False, balanced=balanced)
        if path[0] not in probe or (len(path) == 2 and path[1] not in probe[path[0]]):
            raise BenchError(f"unknown metric '{metric}' for bootstrap")

        def stat(w: np.ndarray) -> float:
            out = summarise(rec, w, ctx, values, pooled=False, balanced=balanced)[path[0]]
            return float(out[path[1]] if len(path) == 2 else out)
        return stat


def _scalars(metrics: dict) -> dict[str, float]:
    return {k: _none_if_nan(v) for k, v in metrics.items() if isinstance(v, (int, float))}


def _none_if_nan(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def _json_clean(obj):
    if isinstance(obj, dict):
        return {k: _json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        obj = obj.item()
    return _none_if_nan(obj)
