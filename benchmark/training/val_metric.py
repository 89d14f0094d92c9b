"""Validation metric for checkpoint selection: the toolkit's own `Evaluator` as an mmengine metric,
fed the dataset's image labels, so the number a checkpoint is chosen by is the number `bench score`
reports (`miou`: mean IoU of the edited/generator classes, background excluded, as in DiffSeg30k;
`auc`/`ap` from the image scores and labels; `loss`: the mean validation loss).

Results are kept per image (an evaluator state of one image: counts, never pixels; or its label
and score for models without maps): mmengine drops the samples a distributed sampler pads by
position, so the distributed result equals the single-process one exactly.
"""
from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.runner import LogProcessor

from benchmark.metrics.detection import detection_metrics
from benchmark.metrics.evaluator import Evaluator
from benchmark.metrics.policy import Policy

SCALARS = ("miou", "miou_with_bg", "f1", "pixel_acc", "auc", "ap", "image_acc")


class ValidationMetric(BaseMetric):
    """Scores the contract's outputs on the validation split: the binary task's `map` (P(edited)),
    or the semantic task's class ids (the argmax of `probs`), resized to the validation mask, with
    `Evaluator` when the model localises, else its image scores against the labels; `loss` when
    it has one. Every metric is reported, NaN where undefined, so checkpoint selection never loses
    its key."""

    default_prefix = "val"

    def __init__(self, task: str, class_names: list[str], policy: Policy = Policy()):
        super().__init__(collect_device="cpu")
        self.task, self.class_names, self.policy = task, list(class_names), policy

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for out in data_samples:
            labels = [int(v) for v in data_batch["label"]]
            scores = out["score"].detach().float().cpu().tolist()
            loss = float(out["loss"].detach()) if "loss" in out else None
            entries = [{"label": lab, "score": s, "loss": loss} for lab, s in zip(labels, scores)]
            if "map" in out:
                masks = data_batch["mask"]
                preds = self.predictions(out, masks.shape[-2:])
                for i, image_id in enumerate(data_batch["image_id"]):
                    one = Evaluator(self.task, self.class_names, self.policy, per_image=False)
                    one.add(image_id, masks[i].numpy().astype(np.uint8), preds[i], score=scores[i], label=labels[i])
                    entries[i]["state"] = one.state_dict()
            self.results += entries

    def predictions(self, out: dict, size) -> np.ndarray:
        """N×H×W predictions at the mask size: P(edited) for the binary task, class ids for the
        semantic one (from the class probabilities, resized before the argmax, as one map per class)."""
        binary = self.task == "binary"
        maps = (out["map"][:, None] if binary else out["probs"]).detach().float()
        if maps.shape[-2:] != tuple(size):
            maps = F.interpolate(maps, size=tuple(size), mode="bilinear", align_corners=False)
        return maps[:, 0].cpu().numpy() if binary else maps.argmax(1).byte().cpu().numpy()

    def compute_metrics(self, results: list) -> dict[str, float]:
        if all("state" in r for r in results):
            total = Evaluator(self.task, self.class_names, self.policy, per_image=False)
            for r in results:
                total.merge(Evaluator.from_state_dict(r["state"]))
            metrics = total.compute().metrics
        else:
            metrics = detection_metrics(np.array([r["score"] for r in results]), np.array([r["label"] for r in results]),
                                        self.policy.image_threshold, self.policy.image_compare)
        out = {k: _number(metrics[k]) for k in SCALARS if k in metrics}
        losses = [r["loss"] for r in results if r["loss"] is not None]
        if losses:
            out["loss"] = float(np.mean(losses))
        return out


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)) \
        else float("nan")


class ValidationLogProcessor(LogProcessor):
    """mmengine's log processor, except that validation metrics are logged as computed: mmengine
    averages every key containing 'loss' over its last 10 values, which would log `val/loss` as a
    running mean of the validations so far, not the number the checkpoint is selected by."""

    def get_log_after_epoch(self, runner, batch_idx: int, mode: str, with_non_scalar: bool = False):
        smoothed, self.mean_pattern = self.mean_pattern, re.compile(r"(?!)")  # matches nothing
        try:
            return super().get_log_after_epoch(runner, batch_idx, mode, with_non_scalar)
        finally:
            self.mean_pattern = smoothed
