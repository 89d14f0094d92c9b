"""The one output contract every segmentation baseline follows (as IMDL-BenCo does).

`model(inputs, mask=None)` returns a dict:
  - `probs`: N×C×h×w softmax mask probabilities (C = 2 for the binary task: unedited, edited;
    C = 1 + generators for the semantic task), at the model's own map resolution;
  - `score`: N image scores, the probability that the image is edited, derived from `probs` by
    the configured `score_rule`;
  - `loss`: the training loss, only when `mask` (N×H×W, 255 = ignore) is given.
The scorer resizes `probs` to the ground-truth size, so a model never has to.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from benchmark.datasets.sample import IGNORE_INDEX
from benchmark.errors import BenchError
from benchmark.metrics.image_score import image_scores

from .preprocess import SegDataPreprocessor


def image_score(probs: torch.Tensor, rule: str = "max") -> torch.Tensor:
    """Image-level edit probability from N×C×h×w mask probabilities by the shared image-score
    rule (`benchmark.metrics.image_score`) applied to 1 - P(unedited)."""
    return image_scores((1.0 - probs[:, 0]).flatten(1), rule)


def native_cpu_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); elsewhere bf16 autocast is
    emulated and slower than float32, so `cpu_bf16` falls back to float32 and says so."""
    cpu = getattr(torch, "cpu", None)
    native = any(getattr(cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    if not native:
        from mmengine.logging import print_log

        print_log("cpu_bf16: this CPU has no native bfloat16, training in float32 (slower)", logger="current")
    return native


class SegmentationModel(BaseModel):
    """Base of the segmentation baselines: subclasses build `self.encoder` (the pretrained part,
    which the configs train with a lower learning rate) and implement `logits(x)`.

    The same dict comes back in every mmengine mode; `parse_losses` keeps only `loss`.
    """

    def __init__(self, num_classes: int, score_rule: str = "max",
                 class_weight: Sequence[float] | None = None, dice_weight: float = 0.0,
                 cpu_bf16: bool = False, channels_last: bool = False,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375)):
        super().__init__(data_preprocessor=SegDataPreprocessor(mean, std, channels_last))
        self.channels_last = channels_last  # the layers are converted by build_model, once they exist
        if num_classes < 2:
            raise BenchError(f"num_classes must be at least 2 (unedited + edited), got {num_classes}")
        self.num_classes = num_classes
        image_score(torch.full((1, num_classes, 1, 1), 1 / num_classes), score_rule)  # fail early
        self.score_rule = score_rule
        self.cpu_bf16 = cpu_bf16 and native_cpu_bf16()
        if class_weight is not None:
            if len(class_weight) != num_classes:
                raise BenchError(f"class_weight has {len(class_weight)} entries for {num_classes} classes")
            self.register_buffer("class_weight", torch.tensor(class_weight, dtype=torch.float32), persistent=False)
        else:
            self.class_weight = None
        # Soft Dice on top of cross-entropy optimises overlap directly, which helps IoU when edits
        # cover a small share of the pixels; 0 keeps the paper's plain cross-entropy.
        self.dice_weight = float(dice_weight)
        if self.dice_weight:
            from segmentation_models_pytorch.losses import DiceLoss

            self.dice = DiceLoss("multiclass", classes=list(range(1, num_classes)), ignore_index=IGNORE_INDEX)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, mode: str | None = None,
                **_meta) -> dict[str, torch.Tensor]:
        # `mode` is accepted because mmengine passes it; the contract is the same in every mode.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.cpu_bf16 and inputs.device.type == "cpu"):
            logits = self.logits(inputs)
        probs = logits.float().softmax(1)
        out = {"probs": probs, "score": image_score(probs, self.score_rule)}
        if mask is not None:
            out["loss"] = self.loss(logits, mask)
        return out

    def loss(self, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.long()  # datasets hand over uint8 label maps
        if logits.shape[-2:] != mask.shape[-2:]:
            logits = F.interpolate(logits, size=mask.shape[-2:], mode="bilinear", align_corners=False)
        # Mean over labelled pixels; a batch that is all ignore gives 0 instead of NaN.
        loss = F.cross_entropy(logits.float(), mask, weight=self.class_weight, ignore_index=IGNORE_INDEX,
                               reduction="sum")
        if self.class_weight is None:
            norm = (mask != IGNORE_INDEX).sum()
        else:
            valid = mask != IGNORE_INDEX
            norm = self.class_weight[mask[valid]].sum()
        loss = loss / norm.clamp_min(1)
        if self.dice_weight:
            loss = loss + self.dice_weight * self.dice(logits.float(), mask)
        return loss

    def parse_losses(self, outputs: dict) -> tuple[torch.Tensor, dict]:
        return super().parse_losses({"loss": outputs["loss"]})

    def val_step(self, data: dict) -> list[dict]:
        # Evaluators iterate over a list of outputs; a batch's contract dict is one item.
        return [self(**self.data_preprocessor(data, False))]

    def test_step(self, data: dict) -> list[dict]:
        return self.val_step(data)
