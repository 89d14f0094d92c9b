"""Explanations of image-level classifiers as localization maps (Grad-CAM, with the `grad-cam`
package), so the same scorer judges where a classifier looks."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

EXPLANATIONS = ("gradcam",)


def gradcam_maps(net: nn.Module, layers: list[nn.Module], inputs: torch.Tensor) -> torch.Tensor:
    """Grad-CAM of the "edited" logit (output 0 of `net`): N×H×W at the input's size, ReLU of the
    gradient-weighted activations normalised by each image's maximum, so in [0, 1]; an image whose
    CAM is empty gets zeros, never NaN."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    with torch.enable_grad(), GradCAM(model=net, target_layers=layers) as cam:
        maps = cam(input_tensor=inputs.detach(), targets=[ClassifierOutputTarget(0)] * len(inputs))
    return torch.from_numpy(np.nan_to_num(maps, nan=0.0)).float().clamp(0, 1)
