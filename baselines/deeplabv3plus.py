"""DeepLabv3+ (Chen et al. 2018) from segmentation_models_pytorch, with the reference ASPP rates."""
from __future__ import annotations

from typing import Sequence

import segmentation_models_pytorch as smp
import torch
import torch.nn.functional as F

from benchmark.registry import BASELINES

from .contract import SegmentationModel
from .weights import load_encoder_weights, log_random_init, wants_download


RESIDUAL_GAIN = 8.0


@BASELINES.register_module(name="deeplabv3plus")
class DeepLabV3Plus(SegmentationModel):
    """`encoder`: any smp encoder name (resnet50 in the paper setting). smp defaults to ASPP rates
    (12, 24, 36); the DiffSeg30k reference used (6, 12, 18) at output stride 16, so those are the
    defaults here. `pretrained`: a local weights file, or a smp weight name ('imagenet') that is
    downloaded only with `download=True`. `noise_residual` feeds the encoder 3 more channels, the
    image minus its 3×3 mean (a fixed high-pass, like the SRM noise stream of RGB-N): edit traces
    are mostly high-frequency, which a randomly initialised encoder is slow to find on its own.
    `encoder_depth` (3-5: the encoder stages used, the ASPP reading the last) and `decoder_channels`
    (ASPP and decoder width, 256 in the paper) shrink the network for CPU settings."""

    def __init__(self, num_classes: int, encoder: str = "resnet50", output_stride: int = 16,
                 atrous_rates: Sequence[int] = (6, 12, 18), aspp_separable: bool = True, aspp_dropout: float = 0.5,
                 pretrained: str | None = None, download: bool = False, noise_residual: bool = False,
                 encoder_depth: int = 5, decoder_channels: int = 256, **contract):
        super().__init__(num_classes, **contract)
        download_name = pretrained if wants_download(pretrained, download, "deeplabv3plus") else None
        self.net = smp.DeepLabV3Plus(encoder_name=encoder, encoder_weights=download_name, encoder_depth=encoder_depth,
                                     encoder_output_stride=output_stride, decoder_channels=decoder_channels,
                                     decoder_atrous_rates=tuple(atrous_rates),
                                     decoder_aspp_separable=aspp_separable, decoder_aspp_dropout=aspp_dropout,
                                     classes=num_classes,
                                     in_channels=6 if noise_residual else 3)
        self.noise_residual = noise_residual
        if pretrained is not None and download_name is None:
            load_encoder_weights(self.net.encoder, pretrained, "deeplabv3plus")
        elif pretrained is None:
            log_random_init("deeplabv3plus")

    @property
    def encoder(self) -> torch.nn.Module:
        return self.net.encoder

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        # smp needs sides divisible by the encoder stride: pad bottom/right, crop the logits back.
        h, w = x.shape[-2:]
        stride = self.net.encoder.output_stride
        pad_h, pad_w = -h % stride, -w % stride
        if self.noise_residual:
            # ×8 brings the residual of natural images to about unit variance, the scale of the
            # normalised image, so the first convolution does not start out ignoring it.
            residual = x - F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
            x = torch.cat([x, RESIDUAL_GAIN * residual], 1)
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return self.net(x)[..., :h, :w]
