"""The attention-map detector of FFD (Dang et al., CVPR 2020, "On the detection of digital face
manipulation") as DOLOS uses it: Xception whose middle features are weighted by a learnt map."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from timm.models.xception import SeparableConv2d

from benchmark.registry import BASELINES

from .xception import XceptionDetector, as_labels, build_xception, layers, pixel_bce


@BASELINES.register_module(name="dolos_attention")
class FFDAttention(XceptionDetector):
    """Xception with a regression map (separable 3×3 convolution 728 → 1, sigmoid) after `block7`
    (19×19 at 299 px) that multiplies the features the rest of the network classifies. `map` = the
    attention map, `score` = softmax P(fake) of the classifier.

    `weak` (setups A, B): CE(label) + `lam`·BCE(max of the map, label): a fake image must light up
    somewhere, a real one nowhere. `full` (setup C): BCE of the map against the mask at 19×19, plus
    `label_weight`·CE(label) (DOLOS's reference trains the map alone: label_weight=0).
    `pretrained`: a local file of timm Xception weights."""

    default_config = "dolos_attention_xception"

    def __init__(self, num_classes: int = 2, supervision: str = "weak", pretrained: str | None = None,
                 lam: float = 1.0, label_weight: float = 1.0, channels_last: bool = False):
        super().__init__("dolos_attention", num_classes, supervision, channels_last)
        net = build_xception("dolos_attention", pretrained)
        self.features = layers(net, last="block7")
        self.attention = SeparableConv2d(728, 1, 3, padding=1)
        self.classifier = layers(net, first="block8")
        self.lam, self.label_weight = float(lam), float(label_weight)

    @property
    def targets(self) -> tuple[str, ...]:
        return ("mask", "label") if not self.weak and self.label_weight else super().targets

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, label: torch.Tensor | None = None,
                mode: str | None = None, **_meta) -> dict[str, torch.Tensor]:
        feats = self.features(inputs)
        # kept as logits: the losses use them directly, which stays finite where the sigmoid saturates
        map_logits = self.attention(feats).float()[:, 0]
        attention = map_logits.sigmoid()
        logits = self.classifier(feats * attention[:, None].to(feats.dtype)).float()
        out = self.outputs(attention, logits.softmax(1)[:, 1])
        labels = None if label is None else as_labels(label, logits.device)
        if self.weak and labels is not None:
            # max of the sigmoid map = sigmoid of the max logit
            peak = map_logits.flatten(1).amax(1)
            out["loss"] = F.cross_entropy(logits, labels) + self.lam * F.binary_cross_entropy_with_logits(
                peak, labels.float())
        elif not self.weak and mask is not None:
            loss = pixel_bce(map_logits, mask)
            if labels is not None and self.label_weight:
                loss = loss + self.label_weight * F.cross_entropy(logits, labels)
            out["loss"] = loss
        return out
