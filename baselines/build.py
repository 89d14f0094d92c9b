"""Building a baseline from a config's `model` dict, and a trained one from its checkpoint.

Training (`benchmark.training`) and inference (`benchmark.predict`, `bench eval`, `bench explain`)
both come here, so inference never imports the training runner.

mmengine 0.10.7 calls `torch.load` without `weights_only`, which on torch >= 2.6 defaults to True
and refuses the message hub, numpy scalars and other objects mmengine itself pickles into
checkpoints. Files a training run wrote into its own work dir are trusted, so `read_checkpoint`
loads them with weights_only=False; nothing else goes through this path.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from benchmark.cpu_kernels import pin as pin_cpu_kernels
from benchmark.errors import BenchError


def build_model(model_cfg: dict) -> torch.nn.Module:
    """Instantiate a baseline from a config's `model` dict (which carries num_classes once trained)."""
    from benchmark.registry import BASELINES, lookup

    lookup(BASELINES, model_cfg["type"])
    try:
        model = BASELINES.build(dict(model_cfg))
    except (TypeError, ValueError, KeyError) as exc:  # a config value of the wrong kind
        raise BenchError(f"cannot build model {model_cfg['type']} from the config ({type(exc).__name__}: {exc})") from None
    if getattr(model, "channels_last", False):
        # NHWC layout for weights and activations; the layers exist only once the subclass has built them.
        model = model.to(memory_format=torch.channels_last)
    return model


def read_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """A checkpoint `bench train` wrote (mmengine's dict: `state_dict`, `meta`, ...)."""
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


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """A checkpoint file, or a work dir: its best (validation-selected) checkpoint, else its last."""
    path = Path(path)
    if not path.is_dir():
        return path
    best = sorted(path.glob("best_*.pth"), key=lambda p: p.stat().st_mtime)
    if best:
        return best[-1]
    if (path / "last_checkpoint").is_file():
        return Path((path / "last_checkpoint").read_text().strip())
    raise BenchError(f"{path}: no checkpoint in this work dir")


def load_trained(checkpoint: str | os.PathLike, device: str | torch.device = "cpu"):
    """(model in eval mode, the run's mmengine Config) of a `bench train` checkpoint or work dir;
    `cfg.run` holds task, classes, generators and the cross-generator selection."""
    from mmengine.config import Config

    checkpoint = resolve_checkpoint(checkpoint)
    ckpt = read_checkpoint(checkpoint)
    text = ckpt.get("meta", {}).get("cfg")
    if not text:
        raise BenchError(f"{checkpoint}: no training config inside (not written by bench train)")
    cfg = Config.fromstring(text, file_format=".py")
    if "run" not in cfg:
        raise BenchError(f"{checkpoint}: the config inside lacks the run record of bench train")
    if torch.device(device).type == "cpu":
        # The kernels the model was trained with, so that its outputs too are the same on every CPU.
        pin_cpu_kernels(cfg.get("cpu_kernels"))
    model = build_model(cfg.model)
    model.load_state_dict({k.removeprefix("module."): v for k, v in ckpt["state_dict"].items()})
    return model.to(device).eval(), cfg
