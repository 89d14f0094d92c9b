"""Grad-CAM localization as DOLOS trains and reads it (Tantaru et al., WACV 2024): an Xception
real/fake classifier explained on `block11`, or, with masks, the same backbone with an FCN head."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision.models.segmentation.fcn import FCNHead

from benchmark.metrics.image_score import image_scores
from benchmark.registry import BASELINES

from .xception import XceptionDetector, as_labels, build_xception, layers, pixel_cross_entropy


@BASELINES.register_module(name="dolos_gradcam")
class DolosGradCAM(XceptionDetector):
    """`weak` (setups A, B): Xception + Linear(2048, 2), cross-entropy on the image label; `score` =
    softmax P(fake); `map` = Grad-CAM of the fake logit on block11 (19×19 at 299 px): the ReLU of the
    activations weighted by their spatially averaged gradients, divided by the image's maximum.
    The CAM is made in evaluation mode (validation, prediction), which therefore runs the layers
    after block11 with autograd on; training outputs carry `score` and `loss` only.

    `full` (setup C): Xception up to block11 + FCN head (3×3 728→182, BN, ReLU, dropout 0.1,
    1×1 → 2), per-pixel cross-entropy against the mask at 19×19; `map` = its softmax P(fake),
    `score` = the map's maximum. `pretrained`: a local file of timm Xception weights."""

    default_config = "dolos_gradcam_xception"

    def __init__(self, num_classes: int = 2, supervision: str = "weak", pretrained: str | None = None,
                 channels_last: bool = False):
        super().__init__("dolos_gradcam", num_classes, supervision, channels_last)
        net = build_xception("dolos_gradcam", pretrained)
        self.features = layers(net, last="block11")
        if self.weak:
            self.classifier = layers(net, first="block12")
        else:
            self.head = FCNHead(728, 2)
            self.score_rule = "max"

    @property
    def needs_grad(self) -> bool:
        return self.weak

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, label: torch.Tensor | None = None,
                mode: str | None = None, **_meta) -> dict[str, torch.Tensor]:
        if not self.weak:
            logits = self.head(self.features(inputs))
            fake = logits.float().softmax(1)[:, 1]
            out = self.outputs(fake, image_scores(fake.flatten(1), self.score_rule))
            if mask is not None:
                out["loss"] = pixel_cross_entropy(logits, mask)
            return out
        if self.training:
            logits = self.classifier(self.features(inputs)).float()
            out = {"score": logits.softmax(1)[:, 1]}
        else:
            logits, cam = self.gradcam(inputs)
            out = self.outputs(cam, logits.softmax(1)[:, 1])
        if label is not None:
            out["loss"] = F.cross_entropy(logits, as_labels(label, logits.device))
        return out

    def gradcam(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, N×h×w CAM in [0, 1]); an image whose CAM is empty gets zeros, never NaN."""
        with torch.no_grad():  # the gradients are taken at block11: the layers before need no graph
            feats = self.features(inputs)
        with torch.enable_grad():
            feats = feats.detach().float().requires_grad_()
            logits = self.classifier(feats).float()
            # each image's fake logit depends on its own activations only (BatchNorm is in eval mode
            # here), so one backward pass of their sum gives every image's gradients
            (grads,) = torch.autograd.grad(logits[:, 1].sum(), feats)
        cam = F.relu((grads.mean((2, 3), keepdim=True) * feats).sum(1)).detach()
        peak = cam.flatten(1).amax(1).clamp_min(torch.finfo(cam.dtype).tiny)
        return logits.detach(), cam / peak[:, None, None]
