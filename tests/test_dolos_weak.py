"""The DOLOS weak-supervision trio on Xception (Grad-CAM, Patches, Attention): shapes at the
paper's 299 px, the losses of both supervisions against direct computations, weak models that
never read a mask, supervision chosen by the dataset spec, and demo trainings end to end."""
import json

import pytest
import torch
import torch.nn.functional as F

from benchmark.baselines import DolosGradCAM, FFDAttention, PatchForensics
from benchmark.cli.main import main
from benchmark.errors import BenchError
from benchmark.training.config import load_config
from benchmark.training.runner import resolve_supervision, train

MODELS = {"dolos_gradcam": DolosGradCAM, "dolos_patches": PatchForensics, "dolos_attention": FFDAttention}
VARIANTS = [(name, supervision) for name in MODELS for supervision in ("weak", "full")]


def batch(model, n=4, size=64, seed=0):
    """Uint8 images, labels 0/1 and masks with an edited patch on the fakes below an ignored band
    (both wide enough to survive the maps' 4x4 at 64 px)."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=g)
    label = torch.arange(n) % 2
    mask = torch.zeros(n, size, size, dtype=torch.uint8)
    mask[label == 1, size // 4: size // 2, size // 4: 3 * size // 4] = 1
    mask[:, : size // 4] = 255
    return model.data_preprocessor({"inputs": inputs, "mask": mask, "label": label})


def build(name, supervision, seed=0):
    torch.manual_seed(seed)
    return MODELS[name](supervision=supervision)


@pytest.mark.parametrize("name,supervision", VARIANTS)
def test_maps_at_299_and_the_contract(name, supervision):
    model = build(name, supervision).eval()
    data = batch(model, n=1, size=299)
    with torch.no_grad():
        if name == "dolos_gradcam":
            assert model.features(data["inputs"]).shape == (1, 728, 19, 19)  # block11
        if name == "dolos_patches":
            assert model.logits(data["inputs"]).shape == (1, 2, 37, 37)
        if name == "dolos_attention":
            assert model.attention(model.features(data["inputs"])).shape == (1, 1, 19, 19)  # after block7
    out = {k: v.detach() for k, v in model(**data).items()}
    side = 37 if name == "dolos_patches" else 19
    assert out["map"].shape == (1, side, side) and "probs" not in out  # one P(fake) map, no class softmax
    assert out["score"].shape == (1,) and 0 <= float(out["score"]) <= 1
    assert 0 <= float(out["map"].min()) and float(out["map"].max()) <= 1
    assert out["loss"].shape == () and torch.isfinite(out["loss"])


def test_gradcam_is_the_gradient_weighted_block11_normalised_by_its_max():
    model = build("dolos_gradcam", "weak")
    data = batch(model, n=4, size=96)
    x = data["inputs"]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(2):  # a random network's CAM is a pixel or two; a little training fills it out
        optimizer.zero_grad()
        model(**data)["loss"].backward()
        optimizer.step()
    model.eval()
    out = model(x)
    assert int((out["map"] > 0).sum()) > 40
    # independently: a hook on block11 and one backward pass through the whole network
    saved = {}
    handle = model.features.block11.register_forward_hook(lambda m, i, o: saved.update(a=o))
    logits = model.classifier(model.features(x))
    handle.remove()
    grads = torch.autograd.grad(logits[:, 1].sum(), saved["a"])[0]
    cam = F.relu((grads.mean((2, 3), keepdim=True) * saved["a"]).sum(1))
    cam = cam / cam.flatten(1).amax(1)[:, None, None]
    assert torch.allclose(out["map"], cam.detach(), atol=1e-5)
    assert torch.allclose(out["score"], logits.softmax(1)[:, 1].detach(), atol=1e-6)
    assert model.needs_grad and model.score_rule == "image logit"
    with torch.no_grad():
        model.classifier.fc.weight.zero_()  # no gradient reaches block11: an empty CAM
    empty = model(x)["map"]
    assert not torch.isnan(empty).any() and float(empty.abs().max()) == 0.0


def test_losses_are_the_papers():
    gc_weak, gc_full = build("dolos_gradcam", "weak").train(), build("dolos_gradcam", "full").eval()
    data = batch(gc_weak)
    y, mask = data["label"], data["mask"]
    want = F.cross_entropy(gc_weak.classifier(gc_weak.features(data["inputs"])), y)
    assert torch.allclose(gc_weak(**data)["loss"], want, atol=1e-6)
    logits = gc_full.head(gc_full.features(data["inputs"]))
    small = F.interpolate(mask[:, None].float(), size=logits.shape[-2:], mode="nearest-exact")[:, 0].long()
    assert (small == 255).any() and (small == 1).any()
    assert torch.allclose(gc_full(**data)["loss"], F.cross_entropy(logits, small, ignore_index=255), atol=1e-5)

    pt_weak, pt_full = build("dolos_patches", "weak").eval(), build("dolos_patches", "full").eval()
    logits = pt_weak.logits(data["inputs"])
    every_patch = y.view(-1, 1, 1).expand(-1, *logits.shape[-2:])
    assert torch.allclose(pt_weak(**data)["loss"], F.cross_entropy(logits, every_patch), atol=1e-6)
    out = pt_weak(**data)
    assert torch.allclose(out["score"], logits.softmax(1)[:, 1].flatten(1).mean(1), atol=1e-6)
    logits = pt_full.logits(data["inputs"])
    small = F.interpolate(mask[:, None].float(), size=logits.shape[-2:], mode="nearest-exact")[:, 0].long()
    assert torch.allclose(pt_full(**data)["loss"], F.cross_entropy(logits, small, ignore_index=255), atol=1e-6)

    for supervision in ("weak", "full"):
        at = build("dolos_attention", supervision).eval()
        out = at(**data)
        feats = at.features(data["inputs"])
        m = at.attention(feats).sigmoid()
        logits = at.classifier(feats * m)
        assert torch.allclose(out["map"], m[:, 0], atol=1e-6)
        if supervision == "weak":
            want = F.cross_entropy(logits, y) + F.binary_cross_entropy(m.amax((1, 2, 3)), y.float())
        else:
            small = F.interpolate(mask[:, None].float(), size=m.shape[-2:], mode="nearest-exact")[:, 0]
            valid = small != 255
            want = F.binary_cross_entropy(m[:, 0][valid], small[valid]) + F.cross_entropy(logits, y)
        assert torch.allclose(out["loss"], want, atol=1e-5)


@pytest.mark.parametrize("name,supervision", VARIANTS)
def test_each_loss_decreases_on_a_tiny_batch(name, supervision):
    model = build(name, supervision).train()
    data = batch(model, n=4, size=64)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3 if name != "dolos_attention" else 3e-4)
    losses = []
    for _ in range(6):
        loss = model(**data)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    assert losses[-1] < losses[0], losses


def trained_weights(name, supervision, data, steps=3):
    model = build(name, supervision).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(steps):
        optimizer.zero_grad()
        model(**data)["loss"].backward()
        optimizer.step()
    return model.state_dict()


@pytest.mark.parametrize("name", MODELS)
def test_weak_training_never_reads_a_mask(name):
    data = batch(build(name, "weak"), n=4, size=64)
    ignored = dict(data, mask=torch.full_like(data["mask"], 255))
    a, b = trained_weights(name, "weak", data), trained_weights(name, "weak", ignored)
    assert all(torch.equal(a[k], b[k]) for k in a)
    # the same comparison tells a model that learns from masks apart
    a, b = trained_weights(name, "full", data), trained_weights(name, "full", ignored)
    assert not all(torch.equal(a[k], b[k]) for k in a)


def test_local_imagenet_weights_load_and_the_head_starts_anew(tmp_path):
    import timm

    from benchmark.baselines.xception import timm_name

    torch.manual_seed(5)
    imagenet = timm.create_model(timm_name(), pretrained=False)  # the 1000-way head of ImageNet weights
    torch.save(imagenet.state_dict(), tmp_path / "xception.pth")
    for name, cls in MODELS.items():
        model = cls(pretrained=str(tmp_path / "xception.pth"))
        assert torch.equal(model.features.conv1.weight, imagenet.conv1.weight), name
    attention = FFDAttention(pretrained=str(tmp_path / "xception.pth"))
    assert torch.equal(attention.classifier.conv4.pointwise.weight, imagenet.conv4.pointwise.weight)
    assert attention.classifier.fc.weight.shape == (2, 2048)
    torch.save({"unrelated.weight": torch.zeros(3)}, tmp_path / "bad.pth")
    with pytest.raises(BenchError, match="no parameter matches"):
        DolosGradCAM(pretrained=str(tmp_path / "bad.pth"))


def test_supervision_is_the_dataset_specs():
    cfg = load_config("dolos_attention_xception")
    assert cfg.model.supervision == "auto" and dict(cfg.optim_wrapper.optimizer.lr) == {"weak": 1e-4, "full": 3e-4}
    weak = load_config("dolos_attention_xception")
    assert resolve_supervision(weak, "dolos[setup=A]", masks=False) == "weak"
    assert weak.model.supervision == "weak" and weak.optim_wrapper.optimizer.lr == 1e-4
    full = load_config("dolos_attention_xception")
    assert resolve_supervision(full, "dolos[setup=C]", masks=True) == "full"
    assert full.optim_wrapper.optimizer.lr == 3e-4
    # a learning rate given on the command line wins over the recipe's
    mine = load_config("dolos_attention_xception", cfg_options={"optim_wrapper.optimizer.lr": 5e-5})
    resolve_supervision(mine, "dolos[setup=C]", masks=True)
    assert mine.optim_wrapper.optimizer.lr == 5e-5
    asked = load_config("dolos_patches_xception", cfg_options={"model.supervision": "full"})
    with pytest.raises(BenchError, match="needs masks"):
        resolve_supervision(asked, "dolos[setup=B]", masks=False)
    with pytest.raises(BenchError, match="'auto' is for bench train"):
        PatchForensics(supervision="auto")
    with pytest.raises(BenchError, match="--task binary"):
        DolosGradCAM(num_classes=7)
    assert resolve_supervision(load_config("deeplabv3plus_r50_512"), "diffseg", masks=True) is None


def losses_logged(work):
    rows = [json.loads(line) for line in next(work.glob("*/vis_data/scalars.json")).read_text().splitlines()]
    return [r["val/loss"] for r in rows if "val/loss" in r]


def test_the_lowest_validation_loss_is_kept_and_logged_as_computed(demo_roots, tmp_path, monkeypatch):
    from benchmark.training.val_metric import ValidationMetric

    scripted = iter([0.5, 0.2, 0.4])
    compute = ValidationMetric.compute_metrics
    monkeypatch.setattr(ValidationMetric, "compute_metrics",
                        lambda self, results: {**compute(self, results), "loss": next(scripted)})
    cfg = load_config("dolos_patches_xception_demo_cpu", None, {"train_cfg.val_interval": 1, "checkpoint.interval": 1},
                      max_iters=3, batch_size=2, size=32)
    out = train(cfg, "dolos[setup=A]", str(demo_roots["dolos"]), work_dir=str(tmp_path / "work"), progress=False)
    assert losses_logged(tmp_path / "work") == [0.5, 0.2, 0.4]  # mmengine's own logging: 0.5, 0.35, 0.367
    assert out["best_score"] == 0.2 and out["best_checkpoint"].endswith("best_val_loss_iter_2.pth")


@pytest.mark.slow
@pytest.mark.parametrize("name,setup", [("dolos_gradcam", "A"), ("dolos_patches", "B"), ("dolos_attention", "A"),
                                        ("dolos_gradcam", "C"), ("dolos_patches", "C"), ("dolos_attention", "C")])
def test_demo_training_and_eval(name, setup, demo_roots, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    root, work, out = demo_roots["dolos"], tmp_path / "work", tmp_path / "eval"
    assert main(["train", "--config", f"{name}_xception_demo_cpu", "--dataset", f"dolos[setup={setup}]", "--root", str(root),
                 "--work-dir", str(work), "--max-iters", "2", "--batch-size", "2", "--size", "64", "--no-progress",
                 "--cfg-options", "train_cfg.val_interval=1", "checkpoint.interval=1"]) == 0
    run = json.loads((work / "run.json").read_text())
    assert run["supervision"] == ("full" if setup == "C" else "weak") and run["model"]["supervision"] == run["supervision"]
    assert run["selection"].startswith("best validation loss (less) on split 'val'")
    # logged as computed (mmengine would log a running mean), and the lowest one kept
    logged = losses_logged(work)
    best = logged.index(min(logged)) + 1
    assert len(logged) == 2 and list(work.glob(f"best_val_loss_iter_{best}.pth"))
    # localization on the masked fakes, detection AP against the reals, DOLOS scoring rules
    assert main(["eval", "--checkpoint", str(work), "--dataset", "dolos[setup=C;reals=true]", "--root", str(root),
                 "--split", "test", "--policy", "preset=dolos", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "results" / "clean.json").read_text())
    metrics = result["metrics"]
    assert result["task"] == "binary" and result["submission"]["baseline"] == name
    assert all(0 <= metrics[k] <= 1 for k in ("iou", "pbca", "ap")) and metrics["n_authentic"] > 0
    rule = {"dolos_patches": "mean", "dolos_gradcam": "max" if setup == "C" else "image logit"}.get(name, "image logit")
    assert result["submission"]["score_rule"] == rule
