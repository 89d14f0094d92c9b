"""CNNSpot (Wang et al., CVPR 2020, "CNN-generated images are surprisingly easy to spot"):
a torchvision ResNet-50 whose last layer gives one logit, trained with BCE on the image label."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
import torchvision

from benchmark.errors import BenchError
from benchmark.registry import BASELINES

from .contract import ContractCase, Detector
from .explain import gradcam_maps
from .weights import load_encoder_weights, log_random_init

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@BASELINES.register_module(name="cnnspot")
class CNNSpot(Detector):
    """Image-level: `score` = sigmoid(logit); with `explain("gradcam")` evaluation outputs also
    carry the Grad-CAM `map` of the last residual block (`net.layer4`). `pretrained`: a
    local file, either the public CNNDetection checkpoint (`{"model": state_dict}` of this exact
    network, `module.` prefixes allowed: every tensor loads) or ImageNet ResNet-50 weights (the
    1000-way head does not fit and starts anew)."""

    default_config = "cnnspot_r50"

    def __init__(self, num_classes: int = 2, pretrained: str | None = None, channels_last: bool = False,
                 mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        super().__init__(mean, std, channels_last)
        if num_classes != 2:
            raise BenchError("cnnspot says whether an image is edited: train it with --task binary")
        self.net = torchvision.models.resnet50(weights=None, num_classes=1)
        if pretrained is not None:
            load_encoder_weights(self.net, pretrained, "cnnspot")
        else:
            log_random_init("cnnspot", can_download=False)

    @classmethod
    def contract_cases(cls) -> list[ContractCase]:
        return [ContractCase(size=(64, 48)), ContractCase(size=(64, 48), explain="gradcam")]

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, label: torch.Tensor | None = None,
                mode: str | None = None, **_meta) -> dict[str, torch.Tensor]:
        logit = self.net(inputs).squeeze(1).float()
        out = {"score": logit.sigmoid()}
        if label is not None:
            out["loss"] = F.binary_cross_entropy_with_logits(logit, label.float())
        if self.explanation is not None and not self.training:
            out["map"] = gradcam_maps(self.net, self.explain_layers(), inputs).to(inputs.device)
        return out

    def explain_layers(self) -> list[torch.nn.Module]:
        return [self.net.layer4[-1]]
