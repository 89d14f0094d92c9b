"""The UnivFD-style probe with a tiny randomly initialised CLIP built from an open_clip config and
saved locally (never a download): weights from local files only, OpenAI checkpoints refused without
QuickGELU, the public probe layout, and the embedding cache across epochs and runs."""
import json
import re

import pytest
import torch

from benchmark.baselines import UnivFDProbe
from benchmark.baselines.univfd import write_tiny_clip
from benchmark.cli.main import main
from benchmark.errors import BenchError


@pytest.fixture
def tiny_clip(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    files = write_tiny_clip(tmp_path)
    return files["clip_model"], files["clip_weights"]


def test_missing_weights_and_openai_checkpoints_without_quickgelu_fail_loudly(tiny_clip, tmp_path):
    config, weights = tiny_clip
    with pytest.raises(BenchError, match="no CLIP weights given; pass model.clip_weights=PATH"):
        UnivFDProbe(clip_model=config)
    with pytest.raises(BenchError, match="nowhere.pt: CLIP weights for univfd not found"):
        UnivFDProbe(clip_model=config, clip_weights=str(tmp_path / "nowhere.pt"))
    # OpenAI ships TorchScript archives trained with QuickGELU
    scripted = tmp_path / "ViT-L-14.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(scripted))
    with pytest.raises(BenchError, match="OpenAI CLIP weights need QuickGELU: use clip_model='ViT-L-14-quickgelu'"):
        UnivFDProbe(clip_model="ViT-L-14", clip_weights=str(scripted))
    with pytest.raises(BenchError, match="not an OpenAI CLIP checkpoint"):
        UnivFDProbe(clip_model="ViT-L-14-quickgelu", clip_weights=str(scripted))


def test_probe_is_frozen_clip_plus_linear_and_loads_the_univfd_layout(tiny_clip, tmp_path):
    config, weights = tiny_clip
    torch.save({"weight": torch.full((1, 16), 0.5), "bias": torch.tensor([-1.0])}, tmp_path / "fc_weights.pth")
    model = UnivFDProbe(clip_model=config, clip_weights=weights, probe_weights=str(tmp_path / "fc_weights.pth")).train()
    assert not model.clip.training and not any(p.requires_grad for p in model.clip.parameters())
    x = model.data_preprocessor({"inputs": torch.randint(0, 256, (2, 3, 224, 224), dtype=torch.uint8)})["inputs"]
    out = model(x, label=torch.tensor([0, 1]))
    want = (model.clip.encode_image(x) @ torch.full((16,), 0.5) - 1.0).sigmoid()
    assert torch.allclose(out["score"], want, atol=1e-5) and out["loss"].requires_grad
    assert model.summary().startswith("univfd: 2 embeddings computed, 0 reused")
    model(x)  # the same inputs again: from the cache
    assert "2 embeddings computed, 2 reused" in model.summary()


@pytest.mark.slow
def test_probe_end_to_end_embeds_each_image_once(tiny_clip, demo_roots, tmp_path, capfd):
    config, weights = tiny_clip
    root = demo_roots["semitruths"]

    def train(work):
        return main(["train", "--baseline", "univfd", "--dataset", "semitruths", "--root", str(root), "--work-dir",
                     str(work), "--max-iters", "4", "--batch-size", "16", "--no-progress", "--cfg-options",
                     f"model.clip_model={config}", f"model.clip_weights={weights}", "data.num_workers=0",
                     "train_cfg.val_interval=2", "checkpoint.interval=2"])

    def cache_line() -> list[int]:
        captured = capfd.readouterr()
        return [int(n) for n in re.findall(r"univfd: (\d+) embeddings computed, (\d+) reused", captured.out + captured.err)[-1]]

    capfd.readouterr()
    assert train(tmp_path / "a") == 0
    first = cache_line()
    assert first[0] > 0 and first[1] > 0  # later epochs and the second validation reuse the embeddings
    assert train(tmp_path / "b") == 0
    second = cache_line()
    assert second[0] == 0 and second[1] == sum(first)  # a second run computes nothing
    # checkpoints hold the probe only; the frozen encoder comes back from clip_weights
    from benchmark.baselines.build import read_checkpoint

    ckpt = read_checkpoint(next((tmp_path / "b").glob("best_*.pth")))
    assert sorted(ckpt["state_dict"]) == ["fc.bias", "fc.weight"]
    out = tmp_path / "eval"
    assert main(["eval", "--checkpoint", str(tmp_path / "b"), "--dataset", "semitruths", "--root", str(root),
                 "--split", "val", "--distortion", "clean", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "results" / "clean.json").read_text())
    assert result["task"] == "detection" and result["submission"]["baseline"] == "univfd"
    assert 0.0 <= result["metrics"]["ap"] <= 1.0
