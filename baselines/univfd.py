"""UnivFD-style probe (Ojha et al., CVPR 2023): a frozen CLIP image encoder (open_clip; ViT-L/14 in
the paper) and one linear layer on its embedding, trained with BCE on the image label.

The encoder is frozen, so an image's embedding depends only on its input tensor: embeddings are
cached on disk (`$BENCH_CACHE/clip-embeddings/`, keyed by the encoder's weights and the input's
bytes), computed once per split and reused by every later epoch and run; the probe then trains in
seconds. Weights come from local files only, and a missing file is one clear line."""
from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmark.errors import BenchError
from benchmark.registry import BASELINES

from .contract import ContractCase, Detector

CLIP_MEAN = (122.7709383, 116.7460125, 104.09373615)  # open_clip's OPENAI_DATASET_MEAN x 255
CLIP_STD = (68.5005327, 66.6321579, 70.32316305)
# A tiny open_clip model for the contract tests: 224 px in, 4×4 patches, one layer.
TINY_CLIP = {"embed_dim": 16, "vision_cfg": {"image_size": 224, "layers": 1, "width": 32, "patch_size": 56,
                                             "head_width": 16},
             "text_cfg": {"context_length": 8, "vocab_size": 64, "width": 16, "heads": 1, "layers": 1}}


def write_tiny_clip(folder: Path) -> dict:
    """A randomly initialised tiny CLIP saved as a local config and checkpoint (never a download):
    the `clip_model` and `clip_weights` arguments that build a probe on it."""
    import json

    import open_clip

    config, weights = folder / "tiny-clip.json", folder / "tiny-clip.pt"
    config.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(str(config))
    torch.save(open_clip.create_model("tiny-clip").state_dict(), weights)
    return {"clip_model": str(config), "clip_weights": str(weights)}


def is_torchscript(path: Path) -> bool:
    """OpenAI publishes CLIP as TorchScript archives (`{name}/code/...`, `constants.pkl`)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.endswith("constants.pkl") or "/code/" in n for n in zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def load_clip(model: str, weights: str | None, quick_gelu: bool | None) -> nn.Module:
    """An open_clip model from a local checkpoint. `model`: an open_clip name, or the path of an
    open_clip model config JSON (tests build tiny encoders that way). OpenAI's TorchScript
    checkpoints were trained with QuickGELU: loading them into a GELU model would silently shift
    every embedding, so that is refused."""
    import open_clip

    if weights is None:
        raise BenchError("univfd: no CLIP weights given; pass model.clip_weights=PATH to a local CLIP checkpoint "
                         f"for '{model}' (nothing is downloaded)")
    path = Path(weights)
    if not path.is_file():
        raise BenchError(f"{path}: CLIP weights for univfd not found (give model.clip_weights=PATH to a local "
                         f"checkpoint of '{model}')")
    if Path(model).suffix == ".json":
        if not Path(model).is_file():
            raise BenchError(f"{model}: open_clip model config not found")
        open_clip.add_model_config(model)
        model = Path(model).stem
    if model not in open_clip.list_models():
        raise BenchError(f"univfd: unknown open_clip model '{model}' (e.g. ViT-L-14, ViT-L-14-quickgelu)")
    quick = model.endswith("-quickgelu") or bool(quick_gelu)
    if is_torchscript(path):
        if not quick:
            raise BenchError(f"{path}: OpenAI CLIP weights need QuickGELU: use clip_model='{model}-quickgelu' "
                             "(or quick_gelu=True); without it the embeddings silently degrade")
        try:
            state = torch.jit.load(str(path), map_location="cpu").state_dict()
            return open_clip.model.build_model_from_openai_state_dict(state, quick_gelu=True).float().eval()
        except Exception as exc:  # a TorchScript file of something else
            raise BenchError(f"{path}: not an OpenAI CLIP checkpoint ({type(exc).__name__}: {exc})") from None
    try:
        return open_clip.create_model(model, pretrained=str(path), force_quick_gelu=quick).eval()
    except Exception as exc:  # shape mismatches and unpickling errors have no common base
        raise BenchError(f"{path}: cannot load it into open_clip '{model}' ({type(exc).__name__}: {exc})") from None


@BASELINES.register_module(name="univfd")
class UnivFDProbe(Detector):
    """`clip_model`/`clip_weights`: the frozen encoder; `probe_weights`: UnivFD's public
    `fc_weights.pth` layout (`{"weight": 1xD, "bias": 1}`), optional."""

    default_config = "univfd_vitl14"

    def __init__(self, num_classes: int = 2, clip_model: str = "ViT-L-14", clip_weights: str | None = None,
                 quick_gelu: bool | None = None, probe_weights: str | None = None, cache: bool = True,
                 mean: Sequence[float] = CLIP_MEAN, std: Sequence[float] = CLIP_STD, channels_last: bool = False):
        super().__init__(mean, std, channels_last)
        if num_classes != 2:
            raise BenchError("univfd says whether an image is edited: train it with --task binary")
        self.clip = load_clip(clip_model, clip_weights, quick_gelu).requires_grad_(False)
        dim = int(self.clip.visual.output_dim)
        self.fc = nn.Linear(dim, 1)
        if probe_weights is not None:
            self._load_probe(Path(probe_weights))
        # The cache key of an encoder: its name and its weights file (size and first MiB, enough to
        # tell checkpoints apart without hashing a 1.7 GB file on every start).
        with open(clip_weights, "rb") as f:
            head = f.read(1 << 20)
        digest = hashlib.sha256(f"{clip_model}|{quick_gelu}|{os.path.getsize(clip_weights)}|".encode()
                                + head).hexdigest()[:16]
        root = Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache" / "bench"))
        self.cache_dir = root / "clip-embeddings" / digest if cache else None
        self.cache_hits = self.cache_misses = 0

    @classmethod
    def contract_cases(cls) -> list[ContractCase]:
        return [ContractCase(dict(num_classes=2, cache=False), size=(224, 224), files=write_tiny_clip)]

    def _load_probe(self, path: Path) -> None:
        if not path.is_file():
            raise BenchError(f"{path}: UnivFD probe weights (fc_weights.pth) not found")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            state = {k.removeprefix("fc."): v for k, v in state.items()}
            self.fc.load_state_dict(state)
        except Exception as exc:
            raise BenchError(f"{path}: not a UnivFD probe ({type(exc).__name__}: {exc})") from None

    def state_dict(self, *args, **kwargs):
        """The probe only: the frozen encoder is rebuilt from `clip_weights` (recorded in the run's
        config), so checkpoints stay kilobytes instead of carrying 1.7 GB of CLIP each."""
        state = super().state_dict(*args, **kwargs)
        for key in [k for k in state if k.startswith("clip.")]:
            del state[key]
        return state

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        result = super().load_state_dict(state_dict, strict=False, assign=assign)
        missing = [k for k in result.missing_keys if not k.startswith("clip.")]
        if strict and (missing or result.unexpected_keys):
            raise BenchError(f"univfd checkpoint does not fit the probe (missing {missing}, "
                             f"unexpected {result.unexpected_keys})")
        return result

    def train(self, mode: bool = True):
        super().train(mode)
        self.clip.eval()  # frozen: no dropout, and BatchNorm-free anyway
        return self

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """Image embeddings, from the disk cache where this exact input was embedded before."""
        keys = [hashlib.sha1(x.detach().cpu().numpy().tobytes()).hexdigest() for x in inputs]
        found = {}
        if self.cache_dir is not None:
            for i, key in enumerate(keys):
                path = self.cache_dir / key[:2] / f"{key}.npy"
                if path.is_file():
                    found[i] = torch.from_numpy(np.load(path))
        todo = [i for i in range(len(keys)) if i not in found]
        if todo:
            with torch.no_grad():
                fresh = self.clip.encode_image(inputs[todo]).float().cpu()
            for i, emb in zip(todo, fresh):
                found[i] = emb
                if self.cache_dir is not None:
                    path = self.cache_dir / keys[i][:2] / f"{keys[i]}.npy"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # loader workers and ranks may race
                    with open(tmp, "wb") as f:
                        np.save(f, emb.numpy(), allow_pickle=False)
                    os.replace(tmp, path)
        self.cache_hits += len(keys) - len(todo)
        self.cache_misses += len(todo)
        return torch.stack([found[i] for i in range(len(keys))]).to(inputs.device)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, label: torch.Tensor | None = None,
                mode: str | None = None, **_meta) -> dict[str, torch.Tensor]:
        logit = self.fc(self.embed(inputs)).squeeze(1).float()
        out = {"score": logit.sigmoid()}
        if label is not None:
            out["loss"] = F.binary_cross_entropy_with_logits(logit, label.float())
        return out

    def summary(self) -> str | None:
        return f"univfd: {self.cache_misses} embeddings computed, {self.cache_hits} reused from {self.cache_dir}"
