"""Pretrained encoder weights: from a local file, or downloaded only on explicit request.

Build machines have no network, so the default is random init, said plainly in the log.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from mmengine.logging import print_log
from torch import nn

from benchmark.errors import BenchError

DOWNLOAD_HINT = "set download=True (e.g. --cfg-options model.download=True) on a machine with a network"


def wants_download(pretrained: str | None, download: bool, name: str) -> bool:
    """True when `pretrained` names a published weight set to download; checks the opt-in."""
    if pretrained is None or Path(pretrained).suffix in (".pth", ".pt", ".bin", ".safetensors") \
            or os.sep in pretrained or Path(pretrained).exists():
        return False
    if not download:
        raise BenchError(f"{name}: pretrained='{pretrained}' would download weights; {DOWNLOAD_HINT}, "
                         "or give pretrained=PATH to a local file")
    print_log(f"{name}: downloading '{pretrained}' encoder weights (explicit opt-in)", logger="current")
    return True


def load_encoder_weights(encoder: nn.Module, path: str | os.PathLike, name: str) -> None:
    """Load a local state dict into `encoder`, tolerating a classifier head and the usual prefixes;
    fails if the file shares no parameter with the encoder (wrong architecture)."""
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"{path}: pretrained weights file not found")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file
        state = load_file(str(path))
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # pickle, zip and version errors have no common base
            raise BenchError(f"{path}: not a loadable weights file ({exc})") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    own = encoder.state_dict()
    cleaned = {}
    for key, value in state.items():
        for prefix in ("module.", "encoder.", "backbone."):
            key = key[len(prefix):] if key.startswith(prefix) else key
        if key in own and own[key].shape == value.shape:
            cleaned[key] = value
    if not cleaned:
        raise BenchError(f"{path}: no parameter matches the {name} encoder (wrong architecture?)")
    # nn.Module's own loader: some encoders (smp's MiT) override load_state_dict without `strict`
    nn.Module.load_state_dict(encoder, cleaned, strict=False)
    missing = len(own) - len(cleaned)
    print_log(f"{name}: encoder weights from {path} ({len(cleaned)} tensors loaded, {missing} left at init)",
              logger="current")


def log_random_init(name: str, can_download: bool = True) -> None:
    hint = "pass pretrained=PATH" + (", or pretrained='imagenet' with download=True" if can_download else "")
    print_log(f"{name}: encoder RANDOMLY initialised (no pretrained weights given; {hint})", logger="current", level=30)
