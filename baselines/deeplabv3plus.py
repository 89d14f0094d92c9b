"""DeepLabv3+ (Chen et al. 2018) from segmentation_models_pytorch, with the reference ASPP rates."""
from __future__ import annotations

from typing import Sequence

from benchmark.registry import BASELINES

from .contract import ContractCase
from .smp_segmenter import SMPSegmenter


@BASELINES.register_module(name="deeplabv3plus")
class DeepLabV3Plus(SMPSegmenter):
    """smp's DeepLabv3+ with the DiffSeg30k reference's decoder: smp defaults to ASPP rates
    (12, 24, 36); the reference used (6, 12, 18) at output stride 16, so those are the defaults
    here. `encoder`: any smp encoder name (resnet50 in the paper setting); `pretrained`,
    `download`, `noise_residual` and `image_head` as for `smp`. `encoder_depth` (3-5: the encoder
    stages used, the ASPP reading the last) and `decoder_channels` (ASPP and decoder width, 256 in
    the paper) shrink the network for CPU settings."""

    default_config = "deeplabv3plus_r50_512"
    log_name = "deeplabv3plus"

    def __init__(self, num_classes: int, encoder: str = "resnet50", output_stride: int = 16,
                 atrous_rates: Sequence[int] = (6, 12, 18), aspp_separable: bool = True, aspp_dropout: float = 0.5,
                 pretrained: str | None = None, download: bool = False, noise_residual: bool = False,
                 encoder_depth: int = 5, decoder_channels: int = 256, **contract):
        super().__init__(num_classes, arch="deeplabv3plus", encoder=encoder,
                         arch_params=dict(encoder_depth=encoder_depth, encoder_output_stride=output_stride,
                                          decoder_channels=decoder_channels, decoder_atrous_rates=tuple(atrous_rates),
                                          decoder_aspp_separable=aspp_separable, decoder_aspp_dropout=aspp_dropout),
                         pretrained=pretrained, download=download, noise_residual=noise_residual, **contract)

    @classmethod
    def contract_cases(cls) -> list[ContractCase]:
        return [ContractCase(dict(num_classes=2, encoder="resnet18")),
                ContractCase(dict(num_classes=4, encoder="resnet18", noise_residual=True, class_weight=(1, 2, 2, 2),
                                  dice_weight=0.5, score_rule="topk_mean:0.01")),
                ContractCase(dict(num_classes=2, encoder="resnet18", image_head=True))]
