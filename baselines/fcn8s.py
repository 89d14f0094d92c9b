"""FCN-8s (Long et al. 2015) on torchvision backbones: VGG16 taps at pool3/pool4/pool5, or ResNet
taps at layer2/layer3/layer4 (the same strides 8/16/32)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor

from benchmark.errors import BenchError
from benchmark.registry import BASELINES

from .contract import ContractCase, SegmentationModel
from .weights import load_encoder_weights, log_random_init, wants_download

# node names of the stride-8/16/32 taps per backbone family
VGG_TAPS = {"vgg16": ("features.16", "features.23", "features.30"),
            "vgg16_bn": ("features.23", "features.33", "features.43")}
RESNET_TAPS = ("layer2", "layer3", "layer4")
RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101")


def build_backbone(name: str, download: bool) -> tuple[nn.Module, tuple[int, int, int]]:
    """Feature extractor returning {'pool3','pool4','pool5'} maps and their channel counts."""
    if name in VGG_TAPS:
        taps = VGG_TAPS[name]
    elif name in RESNETS:
        taps = RESNET_TAPS
    else:
        raise BenchError(f"fcn8s: unknown backbone '{name}' (known: {', '.join([*VGG_TAPS, *RESNETS])})")
    net = torchvision.models.get_model(name, weights="DEFAULT" if download else None)
    extractor = create_feature_extractor(net, dict(zip(taps, ("pool3", "pool4", "pool5"))))
    with torch.no_grad():
        shapes = extractor(torch.zeros(1, 3, 64, 64))
    return extractor, tuple(shapes[k].shape[1] for k in ("pool3", "pool4", "pool5"))


@BASELINES.register_module(name="fcn8s")
class FCN8s(SegmentationModel):
    """1×1 score convs on the three taps; up2(score_fr) + score_pool4 → up2 → + score_pool3 → up8.
    Upsampling is bilinear to each tap's exact size, so any input size works. `variant='32s'`
    gives FCN-32s (score_fr upsampled ×32). `pretrained`: a local torchvision state dict, or
    'imagenet' (torchvision's default weights), downloaded only with `download=True`.
    `image_head`: a linear classifier on the average-pooled pool5 features."""

    default_config = "fcn8s_vgg16_512"

    def __init__(self, num_classes: int, backbone: str = "vgg16", variant: str = "8s",
                 pretrained: str | None = None, download: bool = False, **contract):
        super().__init__(num_classes, **contract)
        if variant not in ("8s", "32s"):
            raise BenchError(f"fcn8s: variant must be '8s' or '32s', got '{variant}'")
        fetch = wants_download(pretrained, download, "fcn8s")
        self.encoder, (c3, c4, c5) = build_backbone(backbone, fetch)
        if pretrained is not None and not fetch:
            load_encoder_weights(self.encoder, pretrained, "fcn8s")
        elif pretrained is None:
            log_random_init("fcn8s")
        self.variant = variant
        self.score_fr = nn.Conv2d(c5, num_classes, 1)
        self.score_pool4 = nn.Conv2d(c4, num_classes, 1)
        self.score_pool3 = nn.Conv2d(c3, num_classes, 1)
        if self.image_head:
            self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c5, 1))

    @classmethod
    def contract_cases(cls) -> list[ContractCase]:
        return [ContractCase(dict(num_classes=2, backbone="resnet18")),
                ContractCase(dict(num_classes=3, backbone="vgg16", variant="32s")),
                ContractCase(dict(num_classes=2, backbone="resnet18", image_head=True))]

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        feats = self.encoder(x)
        out = self.score_fr(feats["pool5"])
        if self.variant == "8s":
            out = _up(out, feats["pool4"]) + self.score_pool4(feats["pool4"])
            out = _up(out, feats["pool3"]) + self.score_pool3(feats["pool3"])
        return _up(out, x), (self.classifier(feats["pool5"]) if self.image_head else None)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads(x)[0]


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)
