"""Data preprocessor: the Dataset yields uint8 images; the model normalises them on its device."""
from __future__ import annotations

from typing import Sequence

import torch
from mmengine.model import BaseDataPreprocessor


class SegDataPreprocessor(BaseDataPreprocessor):
    """Moves a collated batch to the model's device, then turns `inputs` uint8 N×3×H×W into
    normalised float ((x - mean) / std, in the 0-255 scale of `mean` and `std`)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], channels_last: bool = False):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
        self.channels_last = channels_last

    def forward(self, data: dict, training: bool = False) -> dict:
        data = dict(self.cast_data(data))
        x = data["inputs"]
        if x.dim() == 3:
            x = x.unsqueeze(0)
        x = (x.float() - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        data["inputs"] = x
        return data
