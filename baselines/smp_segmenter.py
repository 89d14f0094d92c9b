"""Any segmentation architecture of segmentation_models_pytorch on any of its encoders, named by
the config: SegFormer, UPerNet, U-Net, FPN, DPT... on smp's own encoders (resnet50, mit_b2...) or
any timm model through smp's timm encoders ('tu-convnext_tiny')."""
from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import segmentation_models_pytorch as smp
import torch
import torch.nn.functional as F

from benchmark.errors import BenchError
from benchmark.registry import BASELINES

from .contract import ContractCase, SegmentationModel
from .weights import load_encoder_weights, log_random_init, wants_download

RESIDUAL_GAIN = 8.0
TIMM_PREFIX = "tu-"
# DPT resamples its patch tokens to half their resolution and back: an odd token count (a side of
# 80 px at patch 16) does not survive the round trip, although smp only checks the patch stride.
STRIDE_FACTOR = {"dpt": 2}


def architectures() -> list[str]:
    """The architecture names smp ships (its `create_model` names)."""
    return sorted(smp.MODEL_ARCHITECTURES_MAPPING)


@BASELINES.register_module(name="smp")
class SMPSegmenter(SegmentationModel):
    """`arch`: any of `architectures()` (smp 0.6: deeplabv3, deeplabv3plus, dpt, fpn, linknet,
    manet, pan, pspnet, segformer, unet, unetplusplus, upernet); `encoder`: an smp encoder name, or
    'tu-' + any timm model name (DPT takes timm ViTs only); `arch_params`: further keyword
    arguments of the smp architecture (e.g. decoder_channels) and, for timm encoders, of
    `timm.create_model` (e.g. drop_path_rate).

    `pretrained`: a local weights file of the encoder (smp's or the original layout; for 'tu-'
    encoders timm's own layout, which timm maps onto the feature extractor and adapts to the
    input channels), or a published weight name ('imagenet') downloaded only with
    `download=True`. `noise_residual` feeds the encoder 3 more channels, the image minus its 3×3
    mean (a fixed high-pass, like the SRM noise stream of RGB-N): edit traces are mostly
    high-frequency, which a randomly initialised encoder is slow to find on its own.
    `image_head`: smp's classification head (`aux_params`) on the encoder's last features."""

    default_config = "segformer_mitb2_512"
    log_name: ClassVar[str | None] = None

    def __init__(self, num_classes: int, arch: str = "segformer", encoder: str = "mit_b2",
                 arch_params: dict | None = None, pretrained: str | None = None, download: bool = False,
                 noise_residual: bool = False, **contract):
        super().__init__(num_classes, **contract)
        if str(arch).lower() not in smp.MODEL_ARCHITECTURES_MAPPING:
            raise BenchError(f"smp: unknown architecture '{arch}' (smp {smp.__version__} ships: "
                             f"{', '.join(architectures())})")
        name = self.log_name or f"smp {arch} on {encoder}"
        params = dict(arch_params or {})
        timm_encoder = encoder.startswith(TIMM_PREFIX)
        fetch = wants_download(pretrained, download, name)
        weights = None
        if fetch:
            weights = True if timm_encoder else pretrained
        elif pretrained is not None and timm_encoder:
            if not Path(pretrained).is_file():
                raise BenchError(f"{pretrained}: pretrained weights file not found")
            # timm reads the file itself: it knows how its checkpoints map onto a feature extractor
            params["pretrained_cfg_overlay"] = dict(file=os.fspath(pretrained))
            weights = True
        if self.image_head:
            params["aux_params"] = dict(classes=1)
        try:
            self.net = smp.create_model(arch, encoder_name=encoder, encoder_weights=weights,
                                        in_channels=6 if noise_residual else 3, classes=num_classes, **params)
        except (KeyError, ValueError, TypeError, RuntimeError, AssertionError) as exc:
            # smp and timm say what is wrong (unknown encoder, an argument the architecture lacks)
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise BenchError(f"cannot build model {name} ({type(exc).__name__}: {message})") from None
        self.noise_residual = noise_residual
        self.stride = self.net.encoder.output_stride * STRIDE_FACTOR.get(str(arch).lower(), 1)
        if pretrained is not None and not fetch and not timm_encoder:
            load_encoder_weights(self.net.encoder, pretrained, name)
        elif pretrained is None:
            log_random_init(name)

    @classmethod
    def contract_cases(cls) -> list[ContractCase]:
        small = {"segformer": "mit_b0", "dpt": "tu-test_vit"}
        extra = {"dpt": {"dynamic_img_size": True}}
        size = {"pan": (130, 128)}  # its feature pyramid attention halves the 1/16 map three times
        cases = [ContractCase(dict(num_classes=2, arch=arch, encoder=small.get(arch, "resnet18"),
                                   arch_params=extra.get(arch)), size=size.get(arch, (66, 50)))
                 for arch in architectures()]
        return cases + [
            ContractCase(dict(num_classes=4, arch="upernet", encoder="tu-resnet10t", noise_residual=True)),
            ContractCase(dict(num_classes=2, arch="segformer", encoder="mit_b0", image_head=True)),
            ContractCase(dict(num_classes=3, arch="unet", encoder="resnet18", image_head=True,
                              score_rule="topk_mean:0.1")),
        ]

    @property
    def encoder(self) -> torch.nn.Module:
        return self.net.encoder

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h, w = x.shape[-2:]
        if self.noise_residual:
            # ×8 brings the residual of natural images to about unit variance, the scale of the
            # normalised image, so the first convolution does not start out ignoring it.
            residual = x - F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
            x = torch.cat([x, RESIDUAL_GAIN * residual], 1)
        if self.net.requires_divisible_input_shape:
            # sides divisible by the encoder stride: pad bottom/right, crop the logits back
            x = F.pad(x, (0, -w % self.stride, 0, -h % self.stride))
        out = self.net(x)
        logits, image_logit = out if isinstance(out, tuple) else (out, None)
        return logits[..., :h, :w], image_logit

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads(x)[0]
