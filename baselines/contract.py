"""The one output contract every baseline follows (as IMDL-BenCo does).

`model(inputs, mask=None, label=None)` returns a dict:
  - `score`: N image scores, the probability that the image is edited or fake (always);
  - `map`: N×h×w P(edited) per pixel, at the model's own map resolution (models that localise);
  - `probs`: N×C×h×w class probabilities, segmentation models only (C = 2 for the binary task,
    1 + generators for the semantic task; `map` is 1 - its class 0);
  - `loss`: the training loss, when the targets it learns from (`targets`) are given (`mask`:
    N×H×W, 255 = ignore; `label`: N image labels).
The model owns the conversion to stored predictions (`stored`); the scorer resizes maps to the
ground-truth size, so a model never has to. A model whose explanations need gradients (Grad-CAM)
says so with `needs_grad`, and prediction then runs with autograd on.

`benchmark.baselines.testing` checks the contract for every registered baseline on the tiny
configurations each one declares (`contract_cases`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from benchmark.tasks import IGNORE
from benchmark.errors import BenchError
from benchmark.metrics.image_score import image_scores

from .preprocess import SegDataPreprocessor

IMAGE_HEAD = "image head"  # the score rule of a model whose score comes from a learnt image classifier


@dataclass(frozen=True)
class ContractCase:
    """A tiny configuration of a baseline that the shared contract tests build (random init, CPU,
    well under a second): `kwargs` for its constructor (`num_classes` included: 2 tests the binary
    task, more the semantic one), the input `size` (h, w), an `explain` method to switch on, and
    `files(folder) -> kwargs`, arguments naming local files the case writes first (e.g. weights
    the model cannot be built without)."""

    kwargs: dict = field(default_factory=lambda: {"num_classes": 2})
    size: tuple[int, int] = (50, 38)
    explain: str | None = None
    files: Callable[[Path], dict] | None = None

    @property
    def num_classes(self) -> int:
        return int(self.kwargs.get("num_classes", 2))

    @property
    def task(self) -> str:
        return "binary" if self.num_classes == 2 else "semantic"

    def describe(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in {**self.kwargs, "explain": self.explain}.items() if v is not None)


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
    returns the contract's dict in every mmengine mode (`parse_losses` keeps only `loss`).

    `default_config`: what `bench train --baseline NAME` trains without `--config` (a packaged
    config name, or the path of a config file a plugin package ships). `score_rule`: how `score`
    is made (a learnt image logit, or a rule of `benchmark.metrics.image_score` on the map)."""

    default_config: ClassVar[str | None] = None
    # How `score` is made, recorded in run.json and in the predictions' manifest.
    score_rule: str = "image logit"

    def __init__(self, mean: Sequence[float], std: Sequence[float], channels_last: bool = False):
        super().__init__(data_preprocessor=SegDataPreprocessor(mean, std, channels_last))
        self.channels_last = channels_last  # the layers are converted by build_model, once they exist
        self.explanation: str | None = None

    @classmethod
    def contract_cases(cls) -> list[ContractCase]:
        """Tiny configurations the shared contract tests build; a baseline whose defaults are
        large, or that needs files to be built, declares its own."""
        return [ContractCase()]

    @property
    def localizes(self) -> bool:
        """Whether the outputs carry a per-pixel `map` (else predictions are image scores only);
        a classifier does once an explanation is switched on."""
        return self.explanation is not None

    @property
    def needs_grad(self) -> bool:
        return self.explanation is not None

    @property
    def targets(self) -> tuple[str, ...]:
        """What the training loss reads, of 'mask' and 'label' (the loss never depends on the other)."""
        return ("label",)

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
    which the configs train with a lower learning rate) and implement `logits(x)`, or `heads(x)`
    when they can also classify the whole image. They learn from masks; with `image_head` also
    from the image label: a classifier on the encoder's last features, trained with BCE on the
    dataset's label (weighted by `image_head_weight`), whose sigmoid is then the image score
    instead of `score_rule` applied to the map.
    """

    def __init__(self, num_classes: int, score_rule: str = "max",
                 class_weight: Sequence[float] | None = None, dice_weight: float = 0.0,
                 image_head: bool = False, image_head_weight: float = 1.0,
                 cpu_bf16: bool = False, channels_last: bool = False,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375)):
        super().__init__(mean, std, channels_last)
        if num_classes < 2:
            raise BenchError(f"num_classes must be at least 2 (unedited + edited), got {num_classes}")
        self.num_classes = num_classes
        image_scores(torch.zeros(1, 1), score_rule)  # fail early on a bad rule
        self.image_head = bool(image_head)
        self.image_head_weight = float(image_head_weight)
        self.score_rule = IMAGE_HEAD if self.image_head else score_rule
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
        """N×C×h×w class logits."""
        raise NotImplementedError

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(N×C×h×w class logits, N image logits of the image head or None)."""
        return self.logits(x), None

    @property
    def localizes(self) -> bool:
        return True

    @property
    def needs_grad(self) -> bool:
        return False

    @property
    def targets(self) -> tuple[str, ...]:
        return ("mask", "label") if self.image_head else ("mask",)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, label: torch.Tensor | None = None,
                mode: str | None = None, **_meta) -> dict[str, torch.Tensor]:
        # `mode` is accepted because mmengine passes it; the contract is the same in every mode.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.cpu_bf16 and inputs.device.type == "cpu"):
            logits, image_logit = self.heads(inputs)
        probs = logits.float().softmax(1)
        edited = 1.0 - probs[:, 0]
        if self.image_head:
            image_logit = image_logit.float().view(-1)
            score = image_logit.sigmoid()
        else:
            score = image_scores(edited.flatten(1), self.score_rule)
        out = {"probs": probs, "map": edited, "score": score}
        losses = []
        if mask is not None:
            losses.append(self.loss(logits, mask))
        if self.image_head and label is not None:
            target = torch.as_tensor(label, device=image_logit.device).float().view(-1)
            losses.append(self.image_head_weight * F.binary_cross_entropy_with_logits(image_logit, target))
        if losses:
            out["loss"] = sum(losses)
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
