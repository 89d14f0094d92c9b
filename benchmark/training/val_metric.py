"""Validation metric for checkpoint selection: the toolkit's own `Evaluator` as an mmengine metric,
fed the dataset's image labels, so the number a checkpoint is chosen by is the number `bench score` reports (`miou`: mean IoU of
the edited/generator classes, background excluded, as in DiffSeg30k).

Results are kept per image (an evaluator state of one image: counts, never pixels): mmengine drops
the samples a distributed sampler pads by position, so the distributed result equals the
single-process one exactly.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from benchmark.metrics.evaluator import Evaluator
from benchmark.metrics.policy import Policy

SCALARS = ("miou", "miou_with_bg", "f1", "pixel_acc", "auc", "ap")


class EvaluatorMetric(BaseMetric):
    """Scores the contract's `probs` (resized to the validation mask) with `Evaluator`."""

    default_prefix = "val"

    def __init__(self, task: str, class_names: list[str], policy: Policy = Policy()):
        super().__init__(collect_device="cpu")
        self.task, self.class_names, self.policy = task, list(class_names), policy

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for out in data_samples:
            masks = data_batch["mask"]
            probs = out["probs"].detach().float()
            if probs.shape[-2:] != masks.shape[-2:]:
                probs = F.interpolate(probs, size=masks.shape[-2:], mode="bilinear", align_corners=False)
            probs = probs.cpu()
            preds = (1 - probs[:, 0]).numpy() if self.task == "binary" else probs.argmax(1).byte().numpy()
            labels = data_batch["label"]
            for i, image_id in enumerate(data_batch["image_id"]):
                one = Evaluator(self.task, self.class_names, self.policy, per_image=False)
                one.add(image_id, masks[i].numpy().astype(np.uint8), preds[i], score=float(out["score"][i].detach()),
                        label=int(labels[i]))
                self.results.append(one.state_dict())

    def compute_metrics(self, results: list) -> dict[str, float]:
        total = Evaluator(self.task, self.class_names, self.policy, per_image=False)
        for state in results:
            total.merge(Evaluator.from_state_dict(state))
        metrics = total.compute().metrics
        return {k: float(metrics[k]) for k in SCALARS if isinstance(metrics.get(k), (int, float))}
