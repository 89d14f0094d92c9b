"""The Xception backbone of the DOLOS weak-supervision baselines (Grad-CAM, Patches, Attention) and
what the three share: DOLOS preprocessing, the two kinds of supervision and their pixel losses.

`weak` supervision learns from image labels only (DOLOS setups A and B): those models never read a
mask. `full` supervision learns from masks (setup C). `bench train` picks one from the dataset
spec (`supervision="auto"` in the packaged configs); a model built directly is told which.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import timm
import torch
import torch.nn.functional as F
from torch import nn

from benchmark.tasks import IGNORE
from benchmark.errors import BenchError

from .contract import ContractCase, Detector
from .weights import load_encoder_weights, log_random_init

# DOLOS normalises with mean = std = 0.5, here in the 0-255 scale of the data preprocessor.
DOLOS_MEAN = DOLOS_STD = (127.5, 127.5, 127.5)
SUPERVISIONS = ("weak", "full")


def timm_name() -> str:
    """timm's name of the Keras/Cadene Xception DOLOS builds on: `legacy_xception` since timm 0.9,
    `xception` before."""
    return "legacy_xception" if timm.is_model("legacy_xception") else "xception"


def build_xception(name: str, pretrained: str | None,
                   init: Callable[[nn.Module], None] | None = None) -> nn.Module:
    """timm's Xception with a 2-way head (real, fake): timm's random init, then `init` if given,
    then the weights of the local file `pretrained` (timm's layout, e.g. ImageNet weights: the
    1000-way head does not fit and starts anew). Never downloads."""
    net = timm.create_model(timm_name(), pretrained=False, num_classes=2)
    if init is not None:
        net.apply(init)
    if pretrained is not None:
        load_encoder_weights(net, pretrained, name)
    else:
        log_random_init(name, can_download=False)
    return net


def layers(net: nn.Module, first: str | None = None, last: str | None = None) -> nn.Sequential:
    """The top-level layers of `net` from `first` to `last`, both included (None: from the start,
    to the end), under their timm names, so that checkpoints read like the backbone's."""
    names = [n for n, _ in net.named_children()]
    start = names.index(first) if first else 0
    stop = names.index(last) + 1 if last else len(names)
    return nn.Sequential(OrderedDict((n, getattr(net, n)) for n in names[start:stop]))


def mask_at(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """An N×H×W label map at a map's size, nearest (as DOLOS resizes its masks), so the ignore value
    survives; 'nearest-exact' samples pixel centres, as PIL does."""
    return F.interpolate(mask[:, None].float(), size=tuple(size), mode="nearest-exact")[:, 0].long()


def pixel_cross_entropy(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of N×2×h×w logits over the labelled pixels of `mask` (at h×w); a batch
    that is all ignore gives 0 instead of NaN."""
    target = mask_at(mask, logits.shape[-2:])
    loss = F.cross_entropy(logits.float(), target, ignore_index=IGNORE, reduction="sum")
    return loss / (target != IGNORE).sum().clamp_min(1)


def pixel_bce(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of N×h×w fake logits over the labelled pixels of `mask`; 0 when
    none is labelled."""
    target = mask_at(mask, logits.shape[-2:])
    valid = target != IGNORE
    loss = F.binary_cross_entropy_with_logits(logits.float(), (target == 1).float(), reduction="none")
    return (loss * valid).sum() / valid.sum().clamp_min(1)


def as_labels(label, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(label, device=device).long().view(-1)


class XceptionDetector(Detector):
    """Base of the DOLOS trio: DOLOS normalisation, the binary task only, `weak` or `full`
    supervision, and outputs built from one N×h×w P(fake) map."""

    def __init__(self, name: str, num_classes: int, supervision: str, channels_last: bool = False):
        super().__init__(DOLOS_MEAN, DOLOS_STD, channels_last)
        if num_classes != 2:
            raise BenchError(f"{name} says which pixels are fake: train it with --task binary")
        if supervision not in SUPERVISIONS:
            raise BenchError(f"{name}: supervision must be 'weak' (image labels, DOLOS setups A and B) or 'full' "
                             f"(masks, setup C), got {supervision!r} ('auto' is for bench train, which picks one "
                             "from the dataset spec)")
        self.supervision = supervision

    @property
    def localizes(self) -> bool:
        return True

    @property
    def weak(self) -> bool:
        return self.supervision == "weak"

    @property
    def targets(self) -> tuple[str, ...]:
        return ("label",) if self.weak else ("mask",)

    @classmethod
    def contract_cases(cls) -> list[ContractCase]:
        return [ContractCase(dict(num_classes=2, supervision=s), size=(70, 52)) for s in SUPERVISIONS]

    def outputs(self, fake: torch.Tensor, score: torch.Tensor) -> dict[str, torch.Tensor]:
        """The contract's dict from the N×h×w P(fake) map and the N image scores."""
        return {"map": fake.float(), "score": score.float()}

