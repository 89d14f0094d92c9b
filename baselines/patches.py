"""Patch-Forensics (Chai et al., ECCV 2020) as DOLOS uses it: a truncated Xception whose every
output position classifies one receptive-field patch as real or fake."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.metrics.image_score import image_scores
from benchmark.registry import BASELINES

from .xception import XceptionDetector, as_labels, build_xception, layers, pixel_cross_entropy


def xavier_init(module: nn.Module, gain: float = 0.02) -> None:
    """Patch-Forensics trains from scratch: xavier-normal convolutions (zero bias), BatchNorm
    scales drawn around 1."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_normal_(module.weight, gain=gain)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, gain)
        nn.init.zeros_(module.bias)


@BASELINES.register_module(name="dolos_patches")
class PatchForensics(XceptionDetector):
    """Xception truncated after `block2` + a 1×1 convolution to 2 classes: 37×37 patch logits at
    299 px, xavier-initialised (gain 0.02). `weak` (setups A, B): every patch takes its image's
    label, cross-entropy; `full` (setup C): cross-entropy against the mask at 37×37. `map` = the
    patches' softmax P(fake), `score` = its mean over the patches. `pretrained`: a local file of
    timm Xception weights (its stem and first two blocks load)."""

    score_rule = "mean"

    default_config = "dolos_patches_xception"

    def __init__(self, num_classes: int = 2, supervision: str = "weak", pretrained: str | None = None,
                 channels_last: bool = False):
        super().__init__("dolos_patches", num_classes, supervision, channels_last)
        self.features = layers(build_xception("dolos_patches", pretrained, init=xavier_init), last="block2")
        self.classifier = nn.Conv2d(256, 2, 1)
        xavier_init(self.classifier)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x)).float()

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, label: torch.Tensor | None = None,
                mode: str | None = None, **_meta) -> dict[str, torch.Tensor]:
        logits = self.logits(inputs)
        fake = logits.softmax(1)[:, 1]
        out = self.outputs(fake, image_scores(fake.flatten(1), self.score_rule))
        if self.weak and label is not None:
            n, _, h, w = logits.shape
            out["loss"] = F.cross_entropy(logits, as_labels(label, logits.device).view(n, 1, 1).expand(n, h, w))
        elif not self.weak and mask is not None:
            out["loss"] = pixel_cross_entropy(logits, mask)
        return out
