"""The one output contract every baseline follows (as IMDL-BenCo does).

`model(inputs, mask=None, label=None)` returns a dict:
  - `score`: N image scores, the probability that the image is edited or fake (always);
  - `map`: N×h×w P(edited) per pixel, at the model's own map resolution (models that localise);
  - `probs`: N×C×h×w class probabilities (segmentation models: C = 2 for the binary task,
    1 + generators for the semantic task);
  - `loss`: the training loss, when the targets it learns from are given (`mask`: N×H×W,
    255 = ignore; `label`: N image labels).
The model owns the conversion to stored predictions (`stored`); the scorer resizes maps to the
ground-truth size, so a model never has to. A model whose explanations need gradients (Grad-CAM)
says so with `needs_grad`, and prediction then runs with autograd on.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from benchmark.tasks import IGNORE
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


class Detector(BaseModel):
    """Base of every baseline: normalises uint8 inputs on the device (`SegDataPreprocessor`),
    returns the contract's dict in every mmengine mode (`parse_losses` keeps only `loss`)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], channels_last: bool = False):
        super().__init__(data_preprocessor=SegDataPreprocessor(mean, std, channels_last))
        self.channels_last = channels_last  # the layers are converted by build_model, once they exist
        self.explanation: str | None = None

    @property
    def localizes(self) -> bool:
        """Whether the outputs carry a per-pixel `map` (else predictions are image scores only);
        a classifier does once an explanation is switched on."""
        return self.explanation is not None

    @property
    def needs_grad(self) -> bool:
        return self.explanation is not None

    def summary(self) -> str | None:
        """A line for the log after training or prediction (e.g. what a feature cache saved)."""
        return None

    def explain_layers(self) -> list[torch.nn.Module]:
        """The layers Grad-CAM weighs (the last convolutional block); none: not explainable."""
        return []

    def explain(self, method: str | None) -> None:
        """Switch on an explanation (`gradcam`): evaluation outputs then carry its `map`."""
        from .explain import EXPLANATIONS

        if method is not None and (method not in EXPLANATIONS or not self.explain_layers()):
            raise BenchError(f"{type(self).__name__} offers no '{method}' explanation "
                             f"({', '.join(EXPLANATIONS) if self.explain_layers() else 'it has its own maps'})")
        self.explanation = method

    def stored(self, out: dict, task: str) -> tuple[np.ndarray | None, list[float]]:
        """(maps to store or None, image scores): binary maps are P(edited), semantic maps class ids."""
        scores = out["score"].detach().float().cpu().tolist()
        if not self.localizes:
            return None, scores
        if task == "binary":
            return out["map"].detach().float().clamp(0, 1).cpu().numpy(), scores
        return out["probs"].detach().argmax(1).to(torch.uint8).cpu().numpy(), scores

    def parse_losses(self, outputs: dict) -> tuple[torch.Tensor, dict]:
        return super().parse_losses({"loss": outputs["loss"]})

    def val_step(self, data: dict) -> list[dict]:
        # Evaluators iterate over a list of outputs; a batch's contract dict is one item.
        return [self(**self.data_preprocessor(data, False))]

    def test_step(self, data: dict) -> list[dict]:
        return self.val_step(data)


class SegmentationModel(Detector):
    """Base of the segmentation baselines: subclasses build `self.encoder` (the pretrained part,
    which the configs train with a lower learning rate) and implement `logits(x)`. They learn
    from masks; the image label is not part of their loss.
    """

    def __init__(self, num_classes: int, score_rule: str = "max",
                 class_weight: Sequence[float] | None = None, dice_weight: float = 0.0,
                 cpu_bf16: bool = False, channels_last: bool = False,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375)):
        super().__init__(mean, std, channels_last)
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

            self.dice = DiceLoss("multiclass", classes=list(range(1, num_classes)), ignore_index=IGNORE)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @property
    def localizes(self) -> bool:
        return True

    @property
    def needs_grad(self) -> bool:
        return False

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, label: torch.Tensor | None = None,
                mode: str | None = None, **_meta) -> dict[str, torch.Tensor]:
        # `mode` is accepted because mmengine passes it; the contract is the same in every mode.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.cpu_bf16 and inputs.device.type == "cpu"):
            logits = self.logits(inputs)
        probs = logits.float().softmax(1)
        out = {"probs": probs, "map": 1.0 - probs[:, 0], "score": image_score(probs, self.score_rule)}
        if mask is not None:
            out["loss"] = self.loss(logits, mask)
        return out

    def loss(self, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.long()  # datasets hand over uint8 label maps
        if logits.shape[-2:] != mask.shape[-2:]:
            logits = F.interpolate(logits, size=mask.shape[-2:], mode="bilinear", align_corners=False)
        # Mean over labelled pixels; a batch that is all ignore gives 0 instead of NaN.
        loss = F.cross_entropy(logits.float(), mask, weight=self.class_weight, ignore_index=IGNORE,
                               reduction="sum")
        if self.class_weight is None:
            norm = (mask != IGNORE).sum()
        else:
            valid = mask != IGNORE
            norm = self.class_weight[mask[valid]].sum()
        loss = loss / norm.clamp_min(1)
        if self.dice_weight:
            loss = loss + self.dice_weight * self.dice(logits.float(), mask)
        return loss
