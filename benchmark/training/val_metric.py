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


class EvaluatorMetric(BaseMetric):
    """Scores the contract's outputs: `probs` (resized to the validation mask) with `Evaluator`
    when the model localises, else its image scores against the labels; `loss` when it has one.
    Every metric is reported, NaN where undefined, so checkpoint selection never loses its key."""

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
            if "probs" in out:
                masks = data_batch["mask"]
                probs = out["probs"].detach().float()
                if probs.shape[-2:] != masks.shape[-2:]:
                    probs = F.interpolate(probs, size=masks.shape[-2:], mode="bilinear", align_corners=False)
                probs = probs.cpu()
                preds = (1 - probs[:, 0]).numpy() if self.task == "binary" else probs.argmax(1).byte().numpy()
                for i, image_id in enumerate(data_batch["image_id"]):
                    one = Evaluator(self.task, self.class_names, self.policy, per_image=False)
                    one.add(image_id, masks[i].numpy().astype(np.uint8), preds[i], score=scores[i], label=labels[i])
                    entries[i]["state"] = one.state_dict()
            self.results += entries

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
