"""Loading the toolkit's own checkpoints on torch >= 2.6.

mmengine 0.10.7 calls `torch.load` without `weights_only`, which now defaults to True and refuses
the message hub, numpy scalars and other objects mmengine itself pickles into checkpoints. Files a
training run wrote into its own work dir are trusted, so they are loaded with weights_only=False;
nothing else goes through this path.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from benchmark.errors import BenchError


def load_own_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"{path}: checkpoint not found")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:  # truncated zip, pickle and version errors have no common base
        raise BenchError(f"{path}: not a readable checkpoint ({exc})") from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise BenchError(f"{path}: not a bench training checkpoint (no state_dict)")
    return checkpoint


class BenchRunner(Runner):
    """mmengine Runner whose checkpoint loading (resume, load_from) accepts its own checkpoints."""

    def load_checkpoint(self, filename: str, map_location="cpu", strict: bool = False,
                        revise_keys: list = [(r"^module\.", "")]) -> dict:  # noqa: B006 (mmengine's signature)
        checkpoint = load_own_checkpoint(filename, map_location)
        self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        model = self.model.module if hasattr(self.model, "module") else self.model
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f"Load checkpoint from {filename}")
        return checkpoint
